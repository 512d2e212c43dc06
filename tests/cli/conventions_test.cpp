// The command-line conventions every command follows: global options before or after the
// subcommand, and the published table of exit codes (README.md, "Exit codes"). Codes 4, 5 and 6
// are checked where their situations are made: autogenerate_cli_test (check), migrate_cli_test
// (verify), events_cli_test (ingest).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/test_db.hpp"

namespace retort {
namespace {

struct Outcome {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line in dir, with none of the variables that choose a database.
Outcome shell_in(const std::filesystem::path& dir, const std::string& command_line) {
  const std::filesystem::path err_file = dir / ".stderr";
  const std::string command = "cd '" + dir.string() +
                              "' && unset RETORT_DATABASE_URL DATABASE_URL DB_USER DB_HOST "
                              "DB_NAME DB_PASSWORD RETORT_CONFIG && " +
                              command_line + " 2>'" + err_file.string() + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  Outcome r;
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe))
    r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

Outcome retort_in(const std::filesystem::path& dir, const std::string& args) {
  return shell_in(dir, "'" RETORT_BINARY_DIR "/retort' " + args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class Conventions : public ::testing::Test {
 protected:
  Outcome run(const std::string& args) { return retort_in(dir_.path(), args); }
  testing::TempDir dir_;
};

TEST_F(Conventions, GlobalOptionsAfterTheSubcommand) {
  const std::string url = "sqlite:///" + (dir_.path() / "chosen.db").string();
  Outcome r = run("settings --url '" + url + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "chosen.db")) << r.out;

  std::ofstream(dir_.path() / "other.toml") << "[database]\nurl = \"sqlite:///from_toml.db\"\n";
  r = run("settings -c other.toml");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "from_toml.db")) << r.out;

  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m first --rev-id aaaa").exit_code, 0);
  // -q after the subcommand and its argument: the upgrade's log lines are gone.
  r = run("upgrade head -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(run("current").out, "aaaa (head)\n");
  // The same option before the subcommand still works.
  EXPECT_EQ(run("-q downgrade base").exit_code, 0);
}

TEST_F(Conventions, ASubcommandsOwnOptionWinsOverTheGlobalOne) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m first --rev-id aaaa").exit_code, 0);
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  // current -v is current's verbose output (Alembic's), not the global --verbose, which would
  // print which setting chose the database on stderr.
  const Outcome r = run("current -v");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Current revision(s) for")) << r.out;
  EXPECT_FALSE(contains(r.err, "database:")) << r.err;
}

TEST_F(Conventions, UsageErrorsExitWithTwoAndOneLinePlusAHint) {
  for (const char* args : {"upgrade head --no-such-option", "no-such-command", "",
                           "history -r not-a-range", "current extra-argument"}) {
    const Outcome r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "retort: usage error: ")) << args << ": " << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 2) << args << ": " << r.err;
  }
  const Outcome r = run("upgrade head --no-such-option");
  EXPECT_TRUE(contains(r.err, "hint: run 'retort upgrade --help'")) << r.err;
}

TEST_F(Conventions, AUsageErrorNeverEchoesAPassword) {
  // The URL is an unexpected argument here, so the parser's message quotes it.
  const Outcome r = run("current extra postgresql://app:Pw5ecret@127.0.0.1:1/db");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(contains(r.err, "Pw5ecret")) << r.err;
}

TEST_F(Conventions, ErrorsExitWithOne) {
  const Outcome r = run("current --url postgresql://nobody@127.0.0.1:1/none");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "retort: error: ")) << r.err;
}

TEST_F(Conventions, HelpAndVersionSucceed) {
  EXPECT_EQ(run("--help").exit_code, 0);
  EXPECT_EQ(run("upgrade --help").exit_code, 0);
  const Outcome r = run("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.out.empty());
}

TEST_F(Conventions, FormatJsonAndJsonlParseWithStableKeys) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m first --rev-id aaaa").exit_code, 0);
  ASSERT_EQ(run("revision -m second --rev-id bbbb").exit_code, 0);

  Outcome r = run("upgrade aaaa --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["before"], nlohmann::json::array());
  EXPECT_EQ(doc["after"], nlohmann::json::array({"aaaa"}));
  EXPECT_TRUE(doc["backup"].is_null());
  ASSERT_EQ(doc["steps"].size(), 1u);
  EXPECT_EQ(doc["steps"][0]["step"], "upgrade  -> aaaa, first");

  r = run("heads --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["revisions"].size(), 1u);
  const nlohmann::json& head = doc["revisions"][0];
  EXPECT_EQ(head["revision"], "bbbb");
  EXPECT_EQ(head["down_revisions"], nlohmann::json::array({"aaaa"}));
  EXPECT_EQ(head["message"], "second");
  EXPECT_EQ(head["is_head"], true);
  EXPECT_EQ(head["is_base"], false);
  EXPECT_TRUE(head["path"].get<std::string>().ends_with(".sql"));

  r = run("history --format jsonl -i");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["revision"], "bbbb");
  EXPECT_EQ(lines[0]["current"], false);
  EXPECT_EQ(lines[1]["revision"], "aaaa");
  EXPECT_EQ(lines[1]["current"], true);

  doc = nlohmann::json::parse(run("current --format json").out);
  EXPECT_EQ(doc["revisions"][0]["revision"], "aaaa");

  doc = nlohmann::json::parse(run("show bbbb --format json").out);
  EXPECT_EQ(doc["revisions"][0]["message"], "second");

  doc = nlohmann::json::parse(run("settings --format json").out);
  EXPECT_EQ(doc["dialect"], "sqlite");
  EXPECT_TRUE(doc["secrets"].is_array());

  r = run("upgrade head --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["step"], "upgrade aaaa -> bbbb, second");
}

TEST_F(Conventions, FormatRefusesUnknownValuesAndSql) {
  Outcome r = run("heads --format yaml");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--format")) << r.err;
  ASSERT_EQ(run("init migrations").exit_code, 0);
  r = run("upgrade head --sql --format json");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_F(Conventions, LogFormatJsonWritesOneObjectPerLine) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m first --rev-id aaaa").exit_code, 0);
  Outcome r = run("upgrade head --log-format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.err);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const nlohmann::json entry = nlohmann::json::parse(line);
    EXPECT_EQ(entry["level"], "info") << line;
    EXPECT_TRUE(entry["time"].get<std::string>().ends_with("Z")) << line;
    EXPECT_TRUE(entry["message"].get<std::string>().starts_with("[retort.runtime.migration]"));
  }
  EXPECT_GT(lines, 0);
  r = run("--log-format json show nope");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json error = nlohmann::json::parse(r.err);
  EXPECT_EQ(error["level"], "error");
  EXPECT_TRUE(error["message"].get<std::string>().starts_with("error: ")) << r.err;
}

TEST_F(Conventions, NoColourWhenStderrIsNotATerminal) {
  const Outcome r = run("show nope");
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
}

// Completes in a real bash: the words typed so far, what _retort offers.
std::string complete_in_bash(const std::filesystem::path& dir, const std::string& words,
                             int cword) {
  const std::filesystem::path script = dir / "complete.sh";
  std::ofstream(script) << "source <('" RETORT_BINARY_DIR "/retort' completion bash)\n"
                        << "COMP_WORDS=(" << words << ")\nCOMP_CWORD=" << cword
                        << "\n_retort\necho \"${COMPREPLY[*]}\"\n";
  return shell_in(dir, "PATH=" RETORT_BINARY_DIR ":$PATH bash '" + script.string() + "'").out;
}

TEST_F(Conventions, BashCompletionFromTheCommandTreeAndTheScriptDirectory) {
  const Outcome r = run("completion bash");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "complete -F _retort retort")) << r.out;
  EXPECT_EQ(complete_in_bash(dir_.path(), "retort upg", 1), "upgrade\n");
  EXPECT_TRUE(contains(complete_in_bash(dir_.path(), "retort upgrade --s", 2), "--sql"));
  EXPECT_TRUE(contains(complete_in_bash(dir_.path(), "retort events ", 2), "ingest"));
  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m first --rev-id aaaa1111 --branch-label billing").exit_code, 0);
  const std::string revisions = complete_in_bash(dir_.path(), "retort upgrade ''", 2);
  EXPECT_TRUE(contains(revisions, "aaaa1111")) << revisions;
  EXPECT_TRUE(contains(revisions, "billing@head")) << revisions;
  EXPECT_TRUE(contains(revisions, "heads")) << revisions;
  EXPECT_TRUE(contains(run("completion fish").out, "__fish_seen_subcommand_from upgrade"));
  EXPECT_TRUE(contains(run("completion zsh").out, "bashcompinit"));
}

TEST_F(Conventions, GraphWritesDotAndSvgOrSaysWhyNot) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m first --rev-id aaaa").exit_code, 0);
  ASSERT_EQ(run("revision -m second --rev-id bbbb").exit_code, 0);
  ASSERT_EQ(run("upgrade aaaa").exit_code, 0);
  Outcome r = run("graph");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "\"bbbb\" -> \"aaaa\";")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"aaaa\" [label=\"aaaa\\nfirst\", style=filled")) << r.out;

  r = run("graph --format svg -o graph.svg");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream svg(dir_.path() / "graph.svg");
  const std::string text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_TRUE(contains(text, "<svg")) << text.substr(0, 200);

  // Without Graphviz: a clear message, and the DOT text.
  r = shell_in(dir_.path(),
               "PATH=/nonexistent '" RETORT_BINARY_DIR "/retort' graph --format svg --offline");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "Graphviz's `dot` is not installed")) << r.err;
  EXPECT_TRUE(contains(r.out, "digraph revisions")) << r.out;

  r = run("history --graph");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("*  aaaa -> bbbb (head), second\n*  <base> -> aaaa, first\n"))
      << r.out;
}

}  // namespace
}  // namespace retort

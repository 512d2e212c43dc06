// What keeps `retort`'s start-up short (docs/benchmarks.md "Start-up"): libpq, libcrypto and
// libsimdjson are not among the shared objects the binary loads (they are loaded on first use),
// fmt is compiled in (header-only; the stock build), and the command line builds only the chosen
// command's group, which must not change what any command line does.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "support/test_db.hpp"

namespace retort {
namespace {

struct CliResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

CliResult run_shell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return CliResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// build/retort with args, in dir, with no database settings from the environment.
CliResult run_retort(const std::string& args, const std::filesystem::path& dir) {
  return run_shell("cd '" + dir.string() +
                   "' && env -u RETORT_DATABASE_URL -u DATABASE_URL -u DB_USER -u DB_HOST "
                   "-u DB_NAME -u DB_PASSWORD -u RETORT_CONFIG '" RETORT_BINARY_DIR "/retort' " +
                   args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// "1.2.3\n" and nothing else.
bool is_version_line(const std::string& text) {
  int dots = 0;
  if (text.size() < 6 || text.back() != '\n') return false;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '.') {
      ++dots;
    } else if (text[i] < '0' || text[i] > '9') {
      return false;
    }
  }
  return dots == 2;
}

TEST(StartupTest, BinaryLoadsNoneOfTheLazilyLoadedLibrariesAtStartUp) {
  // The dynamic loader's own list (what ldd prints): every object loaded before main.
  const CliResult run = run_shell("LD_TRACE_LOADED_OBJECTS=1 '" RETORT_BINARY_DIR "/retort'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_TRUE(contains(run.output, "libc.so")) << run.output;
  EXPECT_FALSE(contains(run.output, "libpq")) << run.output;
  EXPECT_FALSE(contains(run.output, "libcrypto")) << run.output;
  EXPECT_FALSE(contains(run.output, "libssl")) << run.output;
  EXPECT_FALSE(contains(run.output, "libsimdjson")) << run.output;
#ifdef FMT_HEADER_ONLY
  EXPECT_FALSE(contains(run.output, "libfmt")) << run.output;
#else
  // The test preset links libfmt.so (RETORT_FMT_HEADER_ONLY=OFF, for compile time); the stock
  // build compiles fmt in, which the branch above checks.
  EXPECT_TRUE(contains(run.output, "libfmt")) << run.output;
#endif
  EXPECT_FALSE(contains(run.output, "libspdlog")) << run.output;
}

class StartupCliTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(StartupCliTest, VersionAloneAndWithGlobalOptions) {
  for (const char* args : {"--version", "-q --version", "--url sqlite:///v.db --version"}) {
    const CliResult run = run_retort(args, dir_.path());
    EXPECT_EQ(run.exit_code, 0) << args << ": " << run.output;
    EXPECT_TRUE(is_version_line(run.output)) << args << ": " << run.output;
  }
}

TEST_F(StartupCliTest, SimdjsonLoadedOnFirstUseChecksJsonAndUtf8) {
  // The binary's two ways into libsimdjson: the JSON check (its DOM parser) and the UTF-8 check.
  ASSERT_EQ(run_retort("--url sqlite:///e.db upgrade head", dir_.path()).exit_code, 0);
  {
    std::ofstream out(dir_.path() / "in.jsonl", std::ios::binary);
    out << "{\"type\":\"x\"}\n{\"type\":\"x\",}\n{\"type\":\"\xff\"}\n";
  }
  const CliResult run = run_retort("--url sqlite:///e.db events ingest in.jsonl", dir_.path());
  EXPECT_EQ(run.exit_code, 6) << run.output;  // done, some lines rejected
  EXPECT_TRUE(contains(run.output, "accepted 1, rejected 2")) << run.output;
  EXPECT_TRUE(contains(run.output, "line 2: rejected: malformed JSON")) << run.output;
  EXPECT_TRUE(contains(run.output, "line 3: rejected: invalid UTF-8")) << run.output;
}

TEST_F(StartupCliTest, HelpStillListsEveryCommand) {
  const CliResult run = run_retort("--help", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* command :
       {"settings", "ping", "sql", "demo", "init", "upgrade", "downgrade", "current", "heads",
        "history", "graph", "check", "events", "grants", "completion", "import"}) {
    EXPECT_TRUE(contains(run.output, std::string("  ") + command)) << command << run.output;
  }
}

TEST_F(StartupCliTest, GlobalOptionValueIsNotTakenForTheCommand) {
  // "heads" after --log-format is that option's value (and an invalid one), not the command.
  const CliResult bad = run_retort("--log-format heads current", dir_.path());
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "--log-format")) << bad.output;
  // A valid value before the command, and global options after it.
  const CliResult good =
      run_retort("--log-format text --url sqlite:///g.db current -q", dir_.path());
  EXPECT_EQ(good.exit_code, 0) << good.output;
}

TEST_F(StartupCliTest, UnknownCommandIsAUsageErrorAsBefore) {
  // A name no command group has: the whole tree is built, and CLI11 answers as it always did.
  const CliResult run = run_retort("curent", dir_.path());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(contains(run.output, "usage error: A subcommand is required")) << run.output;
  EXPECT_TRUE(contains(run.output, "hint: run 'retort --help'")) << run.output;
}

TEST_F(StartupCliTest, CompletionIsGeneratedFromTheWholeTree) {
  const CliResult run = run_retort("completion bash", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* command : {"upgrade", "events", "import", "grants", "heads"}) {
    EXPECT_TRUE(contains(run.output, command)) << command;
  }
}

TEST_F(StartupCliTest, SubcommandHelpShowsItsOwnOptions) {
  const CliResult run = run_retort("events ingest --help", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "ingest")) << run.output;
  EXPECT_TRUE(contains(run.output, "--restart")) << run.output;
}

}  // namespace
}  // namespace retort

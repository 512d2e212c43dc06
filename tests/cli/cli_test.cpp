// The retort command, run as a user runs it: exit codes, output, and no password anywhere.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "support/test_db.hpp"

namespace retort {
namespace {

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs build/retort with args in dir (a shell command line; arguments must be quoted by caller).
CliRun run_retort(const std::string& args, const std::filesystem::path& dir,
                  const std::string& env = "") {
  const std::string command = "cd '" + dir.string() +
                              "' && env -u RETORT_DATABASE_URL -u DATABASE_URL " +
                              "-u DB_USER -u DB_HOST -u DB_NAME -u DB_PASSWORD -u RETORT_CONFIG " +
                              env + " '" RETORT_BINARY_DIR "/retort' " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

constexpr const char* kPassword = "Zq9:s3cret@/x%";
constexpr const char* kPasswordEncoded = "Zq9%3As3cret%40%2Fx%25";

void expect_no_password(const CliRun& run) {
  EXPECT_EQ(run.output.find("s3cret"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find(kPasswordEncoded), std::string::npos) << run.output;
}

class CliTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(CliTest, DefaultsToSqliteFileInWorkingDirectory) {
  const CliRun run = run_retort("settings", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("sqlite"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("retort.db"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("default"), std::string::npos) << run.output;
}

TEST_F(CliTest, UrlOptionWinsAndPasswordIsMasked) {
  const CliRun run =
      run_retort(std::string("--verbose --url 'postgresql://app:") + kPasswordEncoded +
                     "@db.example.com:6432/app?sslmode=require' settings",
                 dir_.path(), "DATABASE_URL=sqlite:///other.db");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("postgresql://app:***@db.example.com:6432/app"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("argument"), std::string::npos) << run.output;
  expect_no_password(run);
}

TEST_F(CliTest, EnvironmentSourceIsReported) {
  const CliRun run = run_retort("settings", dir_.path(), "DATABASE_URL=sqlite:///from_env.db");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("from_env.db"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("DATABASE_URL"), std::string::npos) << run.output;
}

TEST_F(CliTest, BadUrlFailsWithoutEchoingThePassword) {
  const CliRun run = run_retort(
      std::string("--url 'postgresql://app:") + kPasswordEncoded + "@db:notaport/app' ping",
      dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("port"), std::string::npos) << run.output;
  expect_no_password(run);
}

TEST_F(CliTest, UnknownSchemeIsNamed) {
  const CliRun run = run_retort("--url 'mysql://u@h/db' ping", dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("mysql"), std::string::npos) << run.output;
}

TEST_F(CliTest, FailedConnectionNamesTheServerNotThePassword) {
  const CliRun run = run_retort(std::string("--url 'postgresql://app:") + kPasswordEncoded +
                                    "@127.0.0.1:1/app?connect_timeout=2' ping",
                                dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("127.0.0.1"), std::string::npos) << run.output;
  expect_no_password(run);
}

TEST_F(CliTest, WrongPasswordOnTheRealServerIsNotEchoed) {
  DatabaseUrl url = parse_database_url(testing::pg_server_url());
  url.set_param("password", kPassword);
  std::string text = url.redacted();
  text.replace(text.find("***"), 3, kPasswordEncoded);
  const CliRun run = run_retort("--url '" + text + "' ping", dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("password authentication failed"), std::string::npos) << run.output;
  expect_no_password(run);
}

TEST_F(CliTest, HelpShowsNoPasswordEvenWhenOneIsConfigured) {
  const CliRun run =
      run_retort("--help", dir_.path(),
                 std::string("RETORT_DATABASE_URL='postgresql://u:") + kPasswordEncoded + "@h/db'");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("--url"), std::string::npos);
  expect_no_password(run);
}

TEST_F(CliTest, SqlCommandBindsParametersAndPrintsJson) {
  ASSERT_EQ(run_retort("sql 'CREATE TABLE t (v TEXT)'", dir_.path()).exit_code, 0);
  const std::string evil = "x'); DROP TABLE t; --";
  ASSERT_EQ(
      run_retort("sql 'INSERT INTO t VALUES ($1)' -p \"" + evil + "\"", dir_.path()).exit_code, 0);
  const CliRun run = run_retort("sql 'SELECT v FROM t' --json", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "{\"v\":\"x'); DROP TABLE t; --\"}\n");
}

TEST_F(CliTest, SqlErrorExitsNonZeroWithSqlstate) {
  const CliRun run = run_retort("sql 'SELECT * FROM missing_table'", dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("42P01"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("missing_table"), std::string::npos) << run.output;
}

TEST_F(CliTest, DemoRunsOnTheDefaultDatabase) {
  const CliRun run = run_retort("demo", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("UniqueViolation"), std::string::npos) << run.output;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "retort.db"));
  const CliRun count =
      run_retort("sql 'SELECT count(*) AS n FROM demo_events' --json", dir_.path());
  EXPECT_EQ(count.output, "{\"n\":5}\n");
  // The migration side, on a scratch database: down one revision and up again.
  EXPECT_NE(run.output.find("retort downgrade -1"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("downgrade e93712f478ad -> b5f0c3e8d217"), std::string::npos)
      << run.output;
  const CliRun events = run_retort("sql 'SELECT count(*) AS n FROM events' --json", dir_.path());

  // Twice: the same five demo events, and the example file is not stored again.
  const CliRun again = run_retort("demo", dir_.path());
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing was stored twice"), std::string::npos) << again.output;
  EXPECT_EQ(run_retort("sql 'SELECT count(*) AS n FROM demo_events' --json", dir_.path()).output,
            "{\"n\":5}\n");
  EXPECT_EQ(run_retort("sql 'SELECT count(*) AS n FROM events' --json", dir_.path()).output,
            events.output);
}

TEST_F(CliTest, DemoAgainstPostgres) {
  testing::PgSchema schema;
  const CliRun run = run_retort("--url '" + schema.url_text() + "' demo", dir_.path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("PostgreSQL 15"), std::string::npos) << run.output;
  expect_no_password(run);
}

}  // namespace
}  // namespace retort

// Command-line input that used to leak or mislead (issue 12): usage errors quoting a URL with
// its password, "sqlite://" silently meaning a database that vanishes on exit, and `sql --json`
// ending with "internal error" on text that is not UTF-8.
#include <gtest/gtest.h>

#include "migrate_cli_support.hpp"

namespace retort::migrate_cli {
namespace {

class HostileInputCli : public ::testing::Test {
 protected:
  CliRun run(const std::string& args, const std::string& env = "") const {
    return retort(args, tmp_.path(), env);
  }
  retort::testing::TempDir tmp_;
};

// CLI11's "The following arguments were not expected: postgresql://app:PW@host/db --url" (an
// option of the main command given after the subcommand) printed the password. Global options
// are now accepted after the subcommand, so `current --url URL` runs and fails to connect (exit
// 1); an argument nothing expects is still a usage error (exit 2). Neither prints the password.
TEST_F(HostileInputCli, UsageErrorsNeverPrintAUrlPassword) {
  struct Case {
    std::string args;
    std::string password;  // as it must not appear
    int exit_code;
  };
  const std::vector<Case> cases = {
      {"current --url postgresql://app:Us4ge-pa55-Q1@db.internal/app", "Us4ge-pa55-Q1", 1},
      // Percent-encoded: neither the written nor the decoded form.
      {"current --url 'postgresql://app:Pc%40t-pa55@db.internal/app'", "Pc%40t-pa55", 1},
      {"current --url 'postgresql://app:Pc%40t-pa55@db.internal/app'", "Pc@t-pa55", 1},
      // Too short for the secret registry's free-text scrubbing: masked in the URL structure.
      {"current --url postgresql://app:pw@db.internal/app", "app:pw@", 1},
      {"current --url 'host=db password=Kw-pa55-9 dbname=app'", "Kw-pa55-9", 1},
      {"current --url \"host=db password='Qu0ted pa55' dbname=app\"", "Qu0ted pa55", 1},
      // Arguments nothing expects: CLI11 quotes them in its message.
      {"upgrade head postgresql://u:Extr4-pa55@h/db", "Extr4-pa55", 2},
      {"current postgresql://app:pw@db.internal/app", "app:pw@", 2},
      {"current 'host=db password=Kw-pa55-9 dbname=app'", "Kw-pa55-9", 2},
      {"--nonsense postgresql://u:N0nsense-pa55@h/db current", "N0nsense-pa55", 2},
  };
  for (const Case& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.args << "\n" << r.output;
    EXPECT_FALSE(contains(r.output, c.password)) << c.args << "\n" << r.output;
  }
  const CliRun masked = run("current postgresql://app:pw@db.internal/app");
  EXPECT_TRUE(contains(masked.output, "postgresql://app:***@db.internal/app")) << masked.output;
}

TEST_F(HostileInputCli, HelpAndVersionStillExitZero) {
  EXPECT_EQ(run("--help").exit_code, 0);
  EXPECT_EQ(run("--version").exit_code, 0);
  EXPECT_EQ(run("upgrade --help").exit_code, 0);
}

// The library keeps SQLAlchemy's "sqlite://"; commands that store or read anything refuse it.
TEST_F(HostileInputCli, ImpliedInMemorySqliteIsRefusedByCommandsThatUseTheDatabase) {
  write_project(tmp_.path(), 1);
  for (const std::string url : {"sqlite://", "sqlite:///"}) {
    for (const std::string command : {"upgrade head", "downgrade base", "stamp head", "current",
                                      "check", "ping", "sql 'SELECT 1'", "events list"}) {
      const CliRun r = run("--url " + url + " " + command);
      EXPECT_EQ(r.exit_code, 1) << url << " " << command << "\n" << r.output;
      EXPECT_TRUE(contains(r.output,
                           "the database URL (from argument --url) names an in-memory SQLite "
                           "database, which is gone when retort exits: write sqlite:///file.db "
                           "for a file, or sqlite://:memory: if an in-memory database is really "
                           "meant"))
          << url << " " << command << "\n"
          << r.output;
    }
  }
  const CliRun from_env = run("current", "RETORT_DATABASE_URL=sqlite://");
  EXPECT_EQ(from_env.exit_code, 1) << from_env.output;
  EXPECT_TRUE(contains(from_env.output, "(from environment variable RETORT_DATABASE_URL)"))
      << from_env.output;
  // Spelled out, it is what the user asked for; `settings` only shows the choice.
  EXPECT_EQ(run("--url sqlite://:memory: upgrade head").exit_code, 0);
  EXPECT_EQ(run("--url sqlite://:memory: current").exit_code, 0);
  EXPECT_EQ(run("--url sqlite:// settings").exit_code, 0);
}

// Text that is not UTF-8 (SQLite stores it) is printed like a bytea value; the exit code stays 0.
TEST_F(HostileInputCli, SqlJsonPrintsNonUtf8TextAsHexBytes) {
  CliRun r = run("sql \"SELECT CAST(X'41FF42' AS TEXT) AS v, 'ok' AS w\" --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.out, "{\"v\":\"\\\\x41ff42\",\"w\":\"ok\"}\n") << r.output;
  // A column name that is not UTF-8 too.
  r = run("sql \"SELECT 1 AS \\\"$(printf 'a\\377')\\\"\" --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.out, "{\"\\\\x61ff\":1}\n") << r.output;
}

}  // namespace
}  // namespace retort::migrate_cli

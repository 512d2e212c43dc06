// `retort grants` with hostile names (issue 12): a role or schema with a newline once started a
// line of executable SQL in the comments, and `psql -f` on the output dropped the events table.
// Control characters are refused on the command line; every other name reaches the script only
// as a quoted identifier, and psql runs the script as GRANTs and nothing else, online and
// --offline.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;

// Runs as the test server's superuser.
void admin(const std::string& sql) {
  Database db(parse_database_url(retort::testing::pg_server_url()));
  db.connection()->execute_script(sql);
}

// A role with a hostile name for the length of a test.
class HostileRole {
 public:
  explicit HostileRole(std::string name) : name_(std::move(name)) {
    admin("CREATE ROLE " + Connection::quote_identifier(name_));
  }
  ~HostileRole() {
    try {
      admin("DROP OWNED BY " + Connection::quote_identifier(name_) + "; DROP ROLE " +
            Connection::quote_identifier(name_));
    } catch (...) {
      // Teardown of a failed test must not throw.
    }
  }
  HostileRole(const HostileRole&) = delete;
  HostileRole& operator=(const HostileRole&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

class GrantsInjection : public ::testing::Test {
 protected:
  GrantsInjection() {
    url_ = schema_.url_text();
    const CliRun r = run("--url " + q(url_) + " upgrade head");
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }

  CliRun run(const std::string& args) const { return retort(args, tmp_.path()); }

  // Unique per test process: roles are cluster-wide. Holds every character psql or SQL could
  // take for syntax, and a psql meta-command (which must stay part of a name).
  static std::string hostile(const std::string& what) {
    return what + R"(" ; DROP TABLE events; -- */ '\' \! touch pwned )" +
           std::to_string(::getpid());
  }

  // psql -f on the script with ON_ERROR_STOP, echoing every statement it sends to the server.
  struct PsqlRun {
    int exit_code;
    std::string echoed;
  };
  PsqlRun psql(const std::string& script) const {
    const char* bindir = std::getenv("RETORT_TEST_PG_BINDIR");
    if (bindir == nullptr) ADD_FAILURE() << "RETORT_TEST_PG_BINDIR is not set (run under ./dev pg)";
    std::ofstream(tmp_ / "grants.sql") << script;
    const std::string command = "cd " + q(tmp_.path().string()) + " && " +
                                q(std::string(bindir != nullptr ? bindir : "") + "/psql") +
                                " -X -q -e -v ON_ERROR_STOP=1 -f grants.sql " +
                                q(retort::testing::pg_server_url()) + " >psql.out 2>&1";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(tmp_ / "psql.out")};
  }

  // Every statement psql sent is a GRANT; the events table is still there; no shell command
  // ran; the role got what the script says.
  void expect_only_grants(const PsqlRun& r, const std::string& table, const std::string& role) {
    EXPECT_EQ(r.exit_code, 0) << r.echoed;
    std::istringstream lines(r.echoed);
    int grants = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      EXPECT_TRUE(line.starts_with("GRANT ") || line.starts_with("-- ")) << line;
      grants += line.starts_with("GRANT ") ? 1 : 0;
    }
    EXPECT_GE(grants, 2) << r.echoed;
    EXPECT_FALSE(fs::exists(tmp_ / "pwned")) << "psql ran a meta-command from a name";
    Database db(parse_database_url(retort::testing::pg_server_url()));
    const std::string events = schema_.name() + ".events";
    EXPECT_TRUE(db.connection()
                    ->execute("SELECT to_regclass($1) IS NOT NULL", {events})
                    .at(0)[0]
                    .as_bool());
    EXPECT_TRUE(
        db.connection()
            ->execute("SELECT has_table_privilege($1, $2::regclass, 'INSERT')", {role, table})
            .at(0)[0]
            .as_bool());
  }

  retort::testing::PgSchema schema_;
  retort::testing::TempDir tmp_;
  std::string url_;
};

TEST_F(GrantsInjection, ControlCharactersAreRefusedNamingTheOptionAndByte) {
  struct Case {
    std::string args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {q("app\nDROP TABLE events; --") + " --offline",
       "role: the control character U+000A at byte 3"},
      {q("app\rDROP TABLE events; --") + " --offline",
       "role: the control character U+000D at byte 3"},
      {q("app\x1b[2J") + " --offline", "role: the control character U+001B at byte 3"},
      {"app --offline --schema " + q("s\nDROP TABLE events; --"),
       "--schema: the control character U+000A at byte 1"},
      {"app --offline --table events --table " + q("t\r--"),
       "--table: the control character U+000D at byte 1"},
      {q("app\nDROP TABLE events; --") + " --url " + q(url_),
       "role: the control character U+000A at byte 3"},
      {q("ab\xff") + " --offline", "role: invalid UTF-8 at byte 2"},
  };
  for (const Case& c : cases) {
    const CliRun r = run("grants " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_EQ(r.out, "") << c.args;
    EXPECT_TRUE(contains(r.output, c.says)) << r.output;
    EXPECT_FALSE(contains(r.output, "DROP TABLE")) << r.output;
  }
}

TEST_F(GrantsInjection, OnlineScriptRunsInPsqlAsGrantsOnly) {
  const HostileRole role(hostile("r"));
  const CliRun r = run("--url " + q(url_) + " grants " + q(role.name()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_only_grants(psql(r.out), schema_.name() + ".events", role.name());
}

TEST_F(GrantsInjection, OfflineScriptWithHostileSchemaAndTableRunsInPsqlAsGrantsOnly) {
  const HostileRole role(hostile("o"));
  const std::string schema = hostile("s");
  const std::string table = R"(t"*/ '\' --)";
  const std::string quoted_schema = Connection::quote_identifier(schema);
  const std::string qualified = quoted_schema + "." + Connection::quote_identifier(table);
  admin("CREATE SCHEMA " + quoted_schema + "; CREATE TABLE " + qualified + " (id INTEGER)");
  const CliRun r = run("grants " + q(role.name()) + " --offline --version-read --schema " +
                       q(schema) + " --table " + q(table) + " --read-only");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // --version-read names a table the schema lacks: create it so ON_ERROR_STOP lets all run.
  admin("CREATE TABLE " + quoted_schema + ".retort_version (version_num VARCHAR(32))");
  const PsqlRun ran = psql(r.out);
  admin("DROP SCHEMA " + quoted_schema + " CASCADE");
  EXPECT_EQ(ran.exit_code, 0) << ran.echoed;
  EXPECT_FALSE(fs::exists(tmp_.path() / "pwned"));
  std::istringstream lines(ran.echoed);
  int grants = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    EXPECT_TRUE(line.starts_with("GRANT ") || line.starts_with("-- ")) << line;
    grants += line.starts_with("GRANT ") ? 1 : 0;
  }
  EXPECT_EQ(grants, 3) << ran.echoed;  // USAGE on the schema, SELECT on the table and version
  Database db(parse_database_url(retort::testing::pg_server_url()));
  EXPECT_TRUE(db.connection()
                  ->execute("SELECT to_regclass($1) IS NOT NULL", {schema_.name() + ".events"})
                  .at(0)[0]
                  .as_bool());
}

TEST_F(GrantsInjection, OfflineScriptForTheEventStoreRunsInPsqlAsGrantsOnly) {
  const HostileRole role(hostile("e"));
  const CliRun r = run("grants " + q(role.name()) + " --offline --schema " + q(schema_.name()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_only_grants(psql(r.out), schema_.name() + ".events", role.name());
}

}  // namespace
}  // namespace retort::migrate_cli

// The security commands as a user runs them: `grants` (offline and inspecting PostgreSQL),
// `upgrade --backup`, `ping` reporting TLS, `settings` listing where secrets came from.
#include <gtest/gtest.h>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;

class SecurityCli : public ::testing::Test {
 protected:
  fs::path dir() const { return tmp_.path(); }
  CliRun run(const std::string& args, const std::string& env = "") const {
    return retort(args, dir(), env);
  }
  retort::testing::TempDir tmp_;
};

TEST_F(SecurityCli, GrantsOfflinePrintsTheEventStorePrivileges) {
  const CliRun r = run("grants app --offline");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.out,
            "-- Privileges of the application role app (retort grants). Run as the role that "
            "owns\n"
            "-- schema public (the migration role): it keeps CREATE, ALTER, DROP and TRUNCATE.\n"
            "GRANT USAGE ON SCHEMA public TO app;\n"
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.events TO app;\n"
            "-- EventRepository::merge_task_context calls it:\n"
            "GRANT EXECUTE ON FUNCTION public.retort_json_merge_patch(jsonb, jsonb) TO app;\n"
            "-- sequences: not inspected (--offline); events ids are UUIDs and need none\n");
}

TEST_F(SecurityCli, GrantsOptionsAndQuoting) {
  const CliRun r =
      run("grants Reporting-User --offline --schema app --read-only --version-read --table "
          "events --table user");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, "GRANT USAGE ON SCHEMA app TO \"Reporting-User\";\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "GRANT SELECT ON TABLE app.events TO \"Reporting-User\";\n"));
  EXPECT_TRUE(contains(r.out, "GRANT SELECT ON TABLE app.\"user\" TO \"Reporting-User\";\n"));
  EXPECT_TRUE(contains(r.out, "GRANT SELECT ON TABLE app.retort_version TO"));
  EXPECT_FALSE(contains(r.out, "INSERT")) << r.out;
  EXPECT_FALSE(contains(r.out, "EXECUTE")) << r.out;
}

TEST_F(SecurityCli, GrantsRefusesPublicAndSqlite) {
  CliRun r = run("grants PUBLIC --offline");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "PUBLIC is every role")) << r.output;
  r = run("grants app");  // the default database is SQLite
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "SQLite has no roles or GRANT")) << r.output;
}

TEST_F(SecurityCli, GrantsInspectsThePostgresSchema) {
  retort::testing::PgSchema schema;
  const std::string url = q(schema.url_text());
  ASSERT_EQ(run("--url " + url + " upgrade head").exit_code, 0);
  {
    Database db(schema.url());
    db.connection()->execute_script(
        "CREATE TABLE jobs (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT)");
  }
  const CliRun r = run("--url " + url + " grants worker --table events --table jobs");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, "GRANT USAGE ON SCHEMA " + schema.name() + " TO worker;")) << r.out;
  EXPECT_TRUE(contains(r.out, "ON TABLE " + schema.name() + ".jobs TO worker;")) << r.out;
  EXPECT_TRUE(contains(
      r.out, "GRANT USAGE, SELECT ON SEQUENCE " + schema.name() + ".jobs_id_seq TO worker;"))
      << r.out;
  EXPECT_TRUE(contains(r.out, schema.name() + ".retort_json_merge_patch(jsonb, jsonb)")) << r.out;

  const CliRun missing = run("--url " + url + " grants worker --table nope");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.output, "there is no table " + schema.name() + ".nope"))
      << missing.output;
}

TEST_F(SecurityCli, UpgradeWithBackupOnSqlite) {
  ASSERT_EQ(run("sql 'CREATE TABLE keep (v TEXT)'").exit_code, 0);
  const CliRun r = run("upgrade --backup backups");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Backing up the database to " + (dir() / "backups").string()))
      << r.output;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir() / "backups")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1U);
  EXPECT_TRUE(files[0].filename().string().starts_with("retort-")) << files[0];
  EXPECT_TRUE(files[0].filename().string().ends_with("-from-base.db")) << files[0];
  // Every revision the run applied records the backup taken before it (the built-in history has
  // more than one).
  const CliRun recorded = run("sql 'SELECT DISTINCT backup FROM retort_history' --json");
  EXPECT_EQ(recorded.out, "{\"backup\":\"" + files[0].string() + "\"}\n");
  const CliRun rows =
      run("sql 'SELECT count(*) AS n FROM retort_history WHERE backup IS NULL' --json");
  EXPECT_EQ(rows.out, "{\"n\":0}\n");
  // The copy holds the table that existed before the run, and not the migration's.
  Database copy(DatabaseUrl::sqlite(files[0].string()));
  EXPECT_EQ(copy.connection()
                ->execute("SELECT count(*) FROM sqlite_master WHERE name = 'keep'")
                .at(0)[0]
                .as_int64(),
            1);
  EXPECT_EQ(copy.connection()
                ->execute("SELECT count(*) FROM sqlite_master WHERE name = 'events'")
                .at(0)[0]
                .as_int64(),
            0);

  const CliRun sql = run("upgrade --backup backups --sql");
  EXPECT_EQ(sql.exit_code, 2);  // options that do not go together: a usage error
  EXPECT_TRUE(contains(sql.output, "--backup applies to online runs")) << sql.output;
}

TEST_F(SecurityCli, FailedBackupExitsNonZeroAndMigratesNothing) {
  std::ofstream(dir() / "backups") << "not a directory";
  const CliRun r = run("upgrade --backup backups");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "retort: error: backup failed: ")) << r.output;
  EXPECT_TRUE(contains(r.output, "nothing was migrated")) << r.output;
  EXPECT_EQ(run("current").out, "");
}

TEST_F(SecurityCli, PingSaysWhetherTheSessionUsesTls) {
  const CliRun r = run("--url " + q(retort::testing::pg_server_url()) + " ping");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, ", no TLS) in ")) << r.out;
}

TEST_F(SecurityCli, SettingsListsWhereSecretsCameFrom) {
  std::ofstream(dir() / "pw") << "Fi1e-pa55word\n";
  const CliRun r = run("settings", "DB_HOST=db DB_USER=env:APP_USER APP_USER=app DB_PASSWORD=" +
                                       q("file:" + (dir() / "pw").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, "url:     postgresql://app:***@db\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "secret:  DB_USER <- env:APP_USER\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "secret:  DB_PASSWORD <- file:" + (dir() / "pw").string() + "\n"))
      << r.out;
  EXPECT_FALSE(contains(r.output, "Fi1e-pa55word")) << r.output;
}

}  // namespace
}  // namespace retort::migrate_cli

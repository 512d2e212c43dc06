// The migration commands as a user runs them: init, revision, merge, heads, history, current,
// show, branches, edit, upgrade/downgrade (online and --sql), stamp, verify; Alembic's output.
#include <gtest/gtest.h>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;

class MigrateCli : public ::testing::Test {
 protected:
  fs::path dir() const { return tmp_.path(); }
  CliRun run(const std::string& args, const std::string& env = "") const {
    return retort(args, dir(), env);
  }
  fs::path versions() const { return dir() / "migrations" / "versions"; }
  std::vector<fs::path> revision_files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(versions())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  retort::testing::TempDir tmp_;
};

TEST_F(MigrateCli, InitCreatesTheEnvironmentAndRetortToml) {
  const CliRun r = run("init migrations");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string abs = fs::canonical(dir()).string();
  EXPECT_TRUE(contains(r.out, "Creating directory " + abs + "/migrations ...  done")) << r.out;
  EXPECT_TRUE(contains(r.out, "Creating directory " + abs + "/migrations/versions ...  done"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "Generating " + abs + "/retort.toml ...  done")) << r.out;
  EXPECT_TRUE(contains(r.out, "Generating " + abs + "/migrations/script.sql.tmpl ...  done"))
      << r.out;
  EXPECT_TRUE(contains(slurp(dir() / "retort.toml"), "script_location = \"migrations\""))
      << slurp(dir() / "retort.toml");
  EXPECT_TRUE(fs::is_directory(versions()));
  const std::string tmpl = slurp(dir() / "migrations" / "script.sql.tmpl");
  for (const char* p : {"${message}", "${revision}", "${down_revision}", "${branch_labels}",
                        "${depends_on}", "${create_date}", "${upgrades}", "${downgrades}"}) {
    EXPECT_TRUE(contains(tmpl, p)) << p;
  }
  // A second init refuses: retort.toml exists (and nothing is created).
  const CliRun again = run("init other");
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(contains(again.output, "retort.toml already exists")) << again.output;
  EXPECT_FALSE(fs::exists(dir() / "other"));
}

TEST_F(MigrateCli, InitRefusesANonEmptyDirectoryAndUnknownTemplates) {
  fs::create_directories(dir() / "full");
  std::ofstream(dir() / "full" / "x") << "x";
  EXPECT_TRUE(contains(run("init full").output, "already exists and is not empty"));
  EXPECT_TRUE(contains(run("init m -t nope").output, "No such template 'nope'"));
  EXPECT_FALSE(fs::exists(dir() / "retort.toml"));
  const CliRun list = run("list_templates");
  EXPECT_TRUE(contains(list.out, "Available templates:\n\n")) << list.out;
  EXPECT_TRUE(contains(list.out, "generic - ")) << list.out;
  EXPECT_TRUE(contains(list.out, "events - ")) << list.out;
}

TEST_F(MigrateCli, RevisionHeadsHistoryCurrentPrintLikeAlembic) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  const CliRun first = run("revision -m 'Create accounts table!' --rev-id 1975ea83b712");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string abs = fs::canonical(dir()).string();
  EXPECT_EQ(first.out,
            "Generating " + abs +
                "/migrations/versions/1975ea83b712_create_accounts_table.sql ...  done\n");
  const CliRun second = run("revision -m 'add a column'");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  // "Generating <abs>/migrations/versions/<12 hex digits>_add_a_column.sql ...  done"
  const std::string prefix = "Generating " + abs + "/migrations/versions/";
  ASSERT_EQ(second.out.rfind(prefix, 0), 0u) << second.out;
  EXPECT_EQ(second.out.substr(prefix.size(), 12).find_first_not_of("0123456789abcdef"),
            std::string::npos)
      << second.out;
  EXPECT_EQ(second.out.substr(prefix.size() + 12), "_add_a_column.sql ...  done\n") << second.out;
  fs::path second_file;
  for (const fs::path& f : revision_files()) {
    if (f.filename().string().rfind("1975ea83b712", 0) != 0) second_file = f;
  }
  const std::string second_id = second_file.filename().string().substr(0, 12);
  const std::string content = slurp(second_file);
  EXPECT_TRUE(contains(content, "-- Down revision: 1975ea83b712\n")) << content;
  EXPECT_TRUE(contains(content, "-- Message: add a column\n")) << content;

  EXPECT_EQ(run("heads").out, second_id + " (head)\n");
  EXPECT_EQ(run("history").out,
            "1975ea83b712 -> " + second_id +
                " (head), add a column\n<base> -> 1975ea83b712, Create accounts table!\n");
  EXPECT_EQ(run("current").out, "");
  ASSERT_EQ(run("upgrade 1975ea83b712").exit_code, 0);
  EXPECT_EQ(run("current").out, "1975ea83b712\n");
  EXPECT_EQ(
      run("history --indicate-current").out,
      "1975ea83b712 -> " + second_id +
          " (head), add a column\n<base> -> 1975ea83b712 (current), Create accounts table!\n");
  EXPECT_EQ(run("history -r current:").out,
            "1975ea83b712 -> " + second_id +
                " (head), add a column\n<base> -> 1975ea83b712, Create accounts table!\n");
  const CliRun up = run("upgrade");
  EXPECT_TRUE(
      contains(up.output, "INFO  [retort.runtime.migration] Running upgrade 1975ea83b712 -> " +
                              second_id + ", add a column"))
      << up.output;
  EXPECT_EQ(run("current").out, second_id + " (head)\n");
  const CliRun verbose = run("current --verbose");
  EXPECT_TRUE(contains(
      verbose.out, "Current revision(s) for sqlite:///retort.db:\nRev: " + second_id + " (head)\n"))
      << verbose.out;
  EXPECT_TRUE(contains(verbose.out, "Parent: 1975ea83b712\n")) << verbose.out;
  const CliRun show = run("show 1975");
  EXPECT_TRUE(contains(show.out, "Rev: 1975ea83b712\nParent: <base>\nPath: ")) << show.out;
  EXPECT_TRUE(
      contains(show.out, "    Create accounts table!\n    \n    Revision ID: 1975ea83b712\n"))
      << show.out;
  EXPECT_TRUE(contains(run("history -r bad").output,
                       "History range requires [start]:[end], [start]:, or :[end]"));
}

TEST_F(MigrateCli, MultipleHeadsNeedHeadSpliceAndMerge) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  ASSERT_EQ(run("revision -m base --rev-id aaaa").exit_code, 0);
  ASSERT_EQ(run("revision -m one --rev-id bbbb").exit_code, 0);
  // A new branch from a non-head needs --splice.
  const CliRun no_splice = run("revision -m two --head aaaa --rev-id cccc");
  EXPECT_EQ(no_splice.exit_code, 1);
  EXPECT_TRUE(contains(
      no_splice.output,
      "Revision aaaa is not a head revision; please specify --splice to create a new branch from "
      "this revision"))
      << no_splice.output;
  ASSERT_EQ(run("revision -m two --head aaaa --splice --rev-id cccc --branch-label side").exit_code,
            0);
  EXPECT_EQ(run("heads").out, "bbbb (head)\ncccc (side) (head)\n");
  const CliRun ambiguous = run("revision -m three");
  EXPECT_EQ(ambiguous.exit_code, 1);
  EXPECT_TRUE(contains(
      ambiguous.output,
      "Multiple heads are present; please specify the head revision on which the new revision "
      "should be based, or perform a merge."))
      << ambiguous.output;
  EXPECT_EQ(run("branches").out,
            "aaaa (branchpoint)\n     -> bbbb (head)\n     -> cccc (side) (head)\n\n");
  const CliRun upgrade_head = run("upgrade head");
  EXPECT_EQ(upgrade_head.exit_code, 1);
  EXPECT_TRUE(contains(upgrade_head.output,
                       "Multiple head revisions are present for given argument 'head'"));
  ASSERT_EQ(run("merge heads -m 'merge them' --rev-id dddd").exit_code, 0);
  EXPECT_EQ(run("heads").out,
            "dddd (side) (head)\n");  // labels reach every descendant, as in Alembic
  EXPECT_TRUE(
      contains(slurp(versions() / "dddd_merge_them.sql"), "-- Down revision: bbbb, cccc\n"));
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  EXPECT_EQ(run("current").out, "dddd (head) (mergepoint)\n");
  EXPECT_TRUE(
      contains(run("history").out, "bbbb, cccc -> dddd (side) (head) (mergepoint), merge them\n"))
      << run("history").out;
}

TEST_F(MigrateCli, UpgradeFailureExitsNonZeroNamingRevisionFileLineAndSqlstate) {
  write_project(dir(), 2);
  std::ofstream(versions() / "r0002_bad.sql")
      << "-- retort revision\n-- Revision: r0002\n-- Down revision: r0001\n-- Message: bad\n\n-- "
         "+upgrade\n"
         "CREATE TABLE fine (id INTEGER);\nSELECT * FROM missing_table;\n";
  const CliRun r = run("upgrade head");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(
      r.output,
      "retort: error: upgrade of revision r0002 failed at migrations/versions/r0002_bad.sql:8: "
      "SQLSTATE 42P01"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "the database stays at r0001")) << r.output;
  EXPECT_EQ(run("current").out, "r0001\n");
}

TEST_F(MigrateCli, OfflineSqlNeedsNoConnection) {
  write_project(dir(), 2);
  // A server that does not exist: --sql must not try to reach it.
  const std::string url = "--url 'postgresql://nobody:pw@192.0.2.1:1/app'";
  const CliRun up = run(url + " upgrade head --sql");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_TRUE(contains(up.out, "BEGIN;\n\nCREATE TABLE retort_version (\n")) << up.out;
  EXPECT_TRUE(contains(up.out, "-- Running upgrade  -> r0000\n\nCREATE TABLE t_r0000")) << up.out;
  EXPECT_TRUE(
      contains(up.out,
               "UPDATE retort_version SET version_num='r0001' WHERE retort_version.version_num = "
               "'r0000';\n"))
      << up.out;
  EXPECT_TRUE(contains(up.out, "current_user")) << up.out;  // PostgreSQL's history insert
  const CliRun range = run(url + " upgrade r0000:r0001 --sql");
  EXPECT_FALSE(contains(range.out, "CREATE TABLE retort_version")) << range.out;
  const CliRun down = run(url + " downgrade r0001:base --sql");
  EXPECT_TRUE(contains(down.out,
                       "DELETE FROM retort_version WHERE retort_version.version_num = 'r0000';\n"))
      << down.out;
  EXPECT_TRUE(contains(down.out, "DROP TABLE retort_version;\n")) << down.out;
  EXPECT_TRUE(contains(run(url + " downgrade base --sql").output,
                       "downgrade with --sql requires <fromrev>:<torev>"));
  EXPECT_TRUE(contains(run("upgrade r0000:r0001").output, "Range revision not allowed"));
  // SQLite (the default) renders SQLite's history insert.
  EXPECT_TRUE(contains(run("upgrade head --sql").out, "strftime("))
      << run("upgrade head --sql").out;
}

TEST_F(MigrateCli, VerifyAndAcceptChecksums) {
  write_project(dir(), 2);
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  EXPECT_EQ(run("verify").exit_code, 0);
  // A comment is not a change (checksum v2)...
  std::ofstream(versions() / "r0000_create_t_r0000.sql", std::ios::app) << "-- a late note\n";
  EXPECT_EQ(run("verify").exit_code, 0);
  // ...SQL is.
  std::ofstream(versions() / "r0000_create_t_r0000.sql", std::ios::app) << "SELECT 1;\n";
  const CliRun v = run("verify");
  EXPECT_EQ(v.exit_code, 5);  // differences found
  EXPECT_TRUE(contains(v.out,
                       "r0000: modified: migrations/versions/r0000_create_t_r0000.sql: its SQL "
                       "changed (beyond comments and whitespace) (checksum v2:"))
      << v.out;
  write_revision(versions(), "r0002", "r0001");
  const CliRun refused = run("upgrade head");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.output, "r0000: modified")) << refused.output;
  const CliRun accepted = run("verify --accept r0000");
  EXPECT_EQ(accepted.exit_code, 0) << accepted.output;
  EXPECT_TRUE(
      contains(accepted.out, "accepted r0000 (migrations/versions/r0000_create_t_r0000.sql)"))
      << accepted.out;
  EXPECT_EQ(run("upgrade head").exit_code, 0);
  EXPECT_EQ(run("current").out, "r0002 (head)\n");
}

TEST_F(MigrateCli, StampAndDowngrade) {
  write_project(dir(), 3);
  ASSERT_EQ(run("stamp r0001").exit_code, 0);
  EXPECT_EQ(run("current").out, "r0001\n");
  const CliRun up = run("upgrade");
  EXPECT_TRUE(contains(up.output, "Running upgrade r0001 -> r0002, create t_r0002")) << up.output;
  const CliRun down = run("downgrade r0001");
  EXPECT_TRUE(contains(down.output, "Running downgrade r0002 -> r0001, create t_r0002"))
      << down.output;
  EXPECT_EQ(run("stamp base").exit_code, 0);
  EXPECT_EQ(run("current").out, "");
  EXPECT_EQ(run("stamp head --purge").exit_code, 0);
  EXPECT_EQ(run("current").out, "r0002 (head)\n");
  EXPECT_TRUE(contains(run("stamp r0000 --sql").out, "-- Running stamp_revision  -> r0000"));
}

TEST_F(MigrateCli, EditOpensTheFileInTheEditor) {
  write_project(dir(), 1);
  const CliRun r = run("edit r0000", "EDITOR=cat");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "-- Revision: r0000")) << r.output;
  EXPECT_TRUE(contains(run("edit current", "EDITOR=cat").output, "No current revisions"));
}

TEST_F(MigrateCli, WithoutConfigUpgradeAppliesTheBuiltInEventsSchema) {
  const CliRun r = run("upgrade head");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Running upgrade  -> 4f3c2a1b9d07, create events table"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "Running upgrade 4f3c2a1b9d07 -> 7c2d9e4b1a60")) << r.output;
  EXPECT_TRUE(contains(r.output, "Running upgrade 7c2d9e4b1a60 -> a1e7d4c90b3f")) << r.output;
  EXPECT_TRUE(contains(r.output, "Running upgrade a1e7d4c90b3f -> b5f0c3e8d217")) << r.output;
  EXPECT_TRUE(contains(r.output, "Running upgrade b5f0c3e8d217 -> e93712f478ad")) << r.output;
  EXPECT_EQ(run("current").out, "e93712f478ad (head)\n");
  Database db = Database::open("sqlite:///" + (dir() / "retort.db").string());
  EXPECT_NO_THROW(db.connection()->execute(
      "SELECT id, data, task_context, created_at, updated_at FROM events"));
  // init -t events starts a project from it.
  fs::remove(dir() / "retort.toml");
  const CliRun init = run("init app -t events");
  ASSERT_EQ(init.exit_code, 0) << init.output;
  EXPECT_TRUE(fs::exists(dir() / "app" / "versions" / "4f3c2a1b9d07_create_events_table.sql"));
  EXPECT_EQ(run("heads").out, "e93712f478ad (head)\n");
}

// The partitioned template: the opt-in e2c7b9a4f610 and the built-in e93712f478ad both follow
// b5f0c3e8d217, and the template's merge revision makes them one head again.
TEST_F(MigrateCli, PartitionedTemplateHasOneHead) {
  const CliRun init = run("init app -t events-partitioned");
  ASSERT_EQ(init.exit_code, 0) << init.output;
  for (const char* file : {"e2c7b9a4f610_events_partitioned_by_created_at.sql",
                           "e93712f478ad_events_sqlite_status_without_in_lists.sql",
                           "507adfb914b5_merge_events_partitioned_and_builtin.sql"}) {
    EXPECT_TRUE(fs::is_regular_file(dir() / "app" / "versions" / file)) << file;
  }
  EXPECT_EQ(run("heads").out, "507adfb914b5 (events_partitioned) (head)\n");
  const CliRun up = run("upgrade head");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(run("current").out, "507adfb914b5 (head) (mergepoint)\n");
}

TEST_F(MigrateCli, AlembicVersionTableByConfig) {
  write_project(dir(), 2, "", "version_table = \"alembic_version\"\n");
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  Database db = Database::open("sqlite:///" + (dir() / "retort.db").string());
  EXPECT_EQ(db.connection()->execute("SELECT version_num FROM alembic_version").at(0)[0].as_text(),
            "r0001");
}

TEST_F(MigrateCli, BadConfigNamesFileLineAndKey) {
  fs::create_directories(dir() / "m" / "versions");
  std::ofstream(dir() / "retort.toml")
      << "[migrations]\nscript_location = \"m\"\nversion_tabel = \"x\"\n";
  const CliRun r = run("heads");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "retort.toml:3:1: unknown key 'version_tabel' in [migrations]"))
      << r.output;
}

}  // namespace
}  // namespace retort::migrate_cli

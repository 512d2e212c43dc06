// The runner on both backends: upgrade, downgrade, stamp, the version and history tables,
// Alembic's version-table layout and takeover of an Alembic database.
#include <gtest/gtest.h>

#include "migrate/runtime/runner_support.hpp"

namespace retort::migrate::runner_testing {
namespace {

using Basic = OnBothDialects;

TEST_P(Basic, UpgradeHeadAppliesEveryRevisionOnceAndLogsLikeAlembic) {
  const auto ids = env_.chain(3);
  RunReport report = upgrade(db_, "head", env_.options());
  EXPECT_TRUE(report.before.empty());
  EXPECT_EQ(report.after, std::vector<std::string>{"r002"});
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(report.steps[0], "upgrade  -> r000, revision r000");
  EXPECT_EQ(report.steps[1], "upgrade r000 -> r001, revision r001");
  EXPECT_NE(std::find(env_.log().begin(), env_.log().end(),
                      "Running upgrade r001 -> r002, revision r002"),
            env_.log().end());
  for (const auto& id : ids) EXPECT_TRUE(table_exists(db_, "t_" + id)) << id;
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r002"});
  EXPECT_EQ(column(db_, "SELECT version_num FROM retort_version"),
            std::vector<std::string>{"r002"});
  EXPECT_EQ(column(db_, "SELECT revision || ' ' || direction FROM retort_history ORDER BY id"),
            (std::vector<std::string>{"r000 upgrade", "r001 upgrade", "r002 upgrade"}));
  // A second run finds nothing to do.
  EXPECT_TRUE(upgrade(db_, "head", env_.options()).steps.empty());
  EXPECT_EQ(column(db_, "SELECT count(*) FROM retort_history"), std::vector<std::string>{"3"});
}

TEST_P(Basic, HistoryRecordsChecksumScriptDurationAndWho) {
  env_.chain(1);
  upgrade(db_, "head", env_.options());
  PooledConnection c = db_.connection();
  Result r = c->execute(
      "SELECT revision, direction, checksum, script, applied_at, duration_ms, applied_by, "
      "retort_version FROM "
      "retort_history");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.at(0)[0].as_text(), "r000");
  EXPECT_EQ(r.at(0)[2].as_text().substr(0, 3), "v2:");
  EXPECT_EQ(r.at(0)[3].as_text(), env_.path_of("r000").string());
  EXPECT_FALSE(r.at(0)[4].is_null());
  EXPECT_GE(r.at(0)[5].as_double(), 0.0);
  EXPECT_FALSE(r.at(0)[6].as_text().empty());
  EXPECT_FALSE(r.at(0)[7].as_text().empty());
}

TEST_P(Basic, VersionTableHasAlembicsLayout) {
  env_.chain(1);
  upgrade(db_, "head", env_.options());
  PooledConnection c = db_.connection();
  if (db_.dialect() == Dialect::postgresql) {
    EXPECT_EQ(
        column(
            db_,
            "SELECT column_name || ' ' || data_type || ' ' || character_maximum_length || ' ' || "
            "is_nullable FROM information_schema.columns WHERE table_name = 'retort_version' AND "
            "table_schema = current_schema()"),
        std::vector<std::string>{"version_num character varying 32 NO"});
    EXPECT_EQ(column(db_,
                     "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = "
                     "'retort_version'::regclass"),
              std::vector<std::string>{"retort_version_pkc"});
  } else {
    const std::string sql =
        column(db_, "SELECT sql FROM sqlite_master WHERE name = 'retort_version'").at(0);
    EXPECT_NE(sql.find("version_num VARCHAR(32) NOT NULL"), std::string::npos) << sql;
    EXPECT_NE(sql.find("CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)"),
              std::string::npos)
        << sql;
  }
}

TEST_P(Basic, DowngradeStepByStepThenToBase) {
  env_.chain(3);
  upgrade(db_, "head", env_.options());
  RunReport one = downgrade(db_, "-1", env_.options());
  EXPECT_EQ(one.steps, std::vector<std::string>{"downgrade r002 -> r001, revision r002"});
  EXPECT_FALSE(table_exists(db_, "t_r002"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r001"});
  downgrade(db_, "base", env_.options());
  EXPECT_TRUE(current(db_, env_.options()).empty());
  EXPECT_TRUE(column(db_, "SELECT version_num FROM retort_version").empty());
  EXPECT_FALSE(table_exists(db_, "t_r000"));
  EXPECT_EQ(column(db_, "SELECT count(*) FROM retort_history WHERE direction = 'downgrade'"),
            std::vector<std::string>{"3"});
}

TEST_P(Basic, UpgradeToARevisionAndRelativeSteps) {
  env_.chain(4);
  upgrade(db_, "r001", env_.options());
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r001"});
  upgrade(db_, "+2", env_.options());
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r003"});
  EXPECT_THROW(upgrade(db_, "r000:r001", env_.options()), UsageError);
}

TEST_P(Basic, StampSetsTheTableWithoutRunningSql) {
  env_.chain(3);
  RunReport r = stamp(db_, {"r001"}, env_.options());
  EXPECT_EQ(r.steps, std::vector<std::string>{"stamp_revision  -> r001"});
  EXPECT_FALSE(table_exists(db_, "t_r000"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r001"});
  upgrade(db_, "head", env_.options());  // runs only r002
  EXPECT_FALSE(table_exists(db_, "t_r001"));
  EXPECT_TRUE(table_exists(db_, "t_r002"));
  stamp(db_, {"base"}, env_.options());
  EXPECT_TRUE(current(db_, env_.options()).empty());
  EXPECT_EQ(column(db_, "SELECT revision || ' ' || direction FROM retort_history ORDER BY id"),
            (std::vector<std::string>{"r001 stamp", "r002 upgrade", "r002 unstamp"}));
}

TEST_P(Basic, StampPurgeReplacesWhateverTheTableHeld) {
  env_.chain(2);
  stamp(db_, {"r000"}, env_.options());
  {
    PooledConnection c = db_.connection();
    c->execute("INSERT INTO retort_version (version_num) VALUES ('stray')");
  }
  stamp(db_, {"r001"}, env_.options(), true);
  EXPECT_EQ(column(db_, "SELECT version_num FROM retort_version"),
            std::vector<std::string>{"r001"});
}

TEST_P(Basic, TakesOverAnAlembicDatabase) {
  env_.chain(3);
  {
    PooledConnection c = db_.connection();
    c->execute_script(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT "
        "alembic_version_pkc PRIMARY "
        "KEY (version_num)); INSERT INTO alembic_version VALUES ('r001'); CREATE TABLE t_r000 (id "
        "INTEGER); "
        "CREATE TABLE t_r001 (id INTEGER)");
  }
  MigrateOptions o = env_.options();
  o.settings->version_table = "alembic_version";
  RunReport r = upgrade(db_, "head", o);
  EXPECT_EQ(r.steps, std::vector<std::string>{"upgrade r001 -> r002, revision r002"});
  EXPECT_EQ(column(db_, "SELECT version_num FROM alembic_version"),
            std::vector<std::string>{"r002"});
  EXPECT_FALSE(table_exists(db_, "retort_version"));
}

TEST_P(Basic, BranchesMergesAndHeads) {
  // a <- b1, a <- b2, merge m(b1, b2)
  env_.write(
      {.id = "a", .upgrade = "CREATE TABLE ta (id INTEGER);", .downgrade = "DROP TABLE ta;"});
  env_.write({.id = "b1",
              .down = {"a"},
              .upgrade = "CREATE TABLE tb1 (id INTEGER);",
              .downgrade = "DROP TABLE tb1;"});
  env_.write({.id = "b2",
              .down = {"a"},
              .upgrade = "CREATE TABLE tb2 (id INTEGER);",
              .downgrade = "DROP TABLE tb2;"});
  EXPECT_EQ(heads(env_.options()), (std::vector<std::string>{"b1", "b2"}));
  auto e = error_of<Error>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_NE(
      std::string(e.what()).find("Multiple head revisions are present for given argument 'head'"),
      std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("b1 ("), std::string::npos) << e.what();
  upgrade(db_, "heads", env_.options());
  std::vector<std::string> now = current(db_, env_.options());
  std::sort(now.begin(), now.end());
  EXPECT_EQ(now, (std::vector<std::string>{"b1", "b2"}));
  env_.write({.id = "m", .down = {"b1", "b2"}, .upgrade = "SELECT 1;", .downgrade = "SELECT 1;"});
  upgrade(db_, "head", env_.options());
  EXPECT_EQ(column(db_, "SELECT version_num FROM retort_version"), std::vector<std::string>{"m"});
  EXPECT_THROW(downgrade(db_, "-1", env_.options()), Error);  // Alembic: "Ambiguous walk"
  downgrade(db_, "b1", env_.options());
  std::vector<std::string> rows = column(db_, "SELECT version_num FROM retort_version");
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (std::vector<std::string>{"b1", "b2"}));
}

TEST_P(Basic, DialectSectionsRunOnlyOnTheirDatabase) {
  env_.write({.id = "a",
              .upgrade = "CREATE TABLE common (id INTEGER);",
              .downgrade = "DROP TABLE common;",
              .extra_sections = "-- +upgrade postgresql\nCREATE TABLE only_pg (id INTEGER);\n-- "
                                "+upgrade sqlite\nCREATE TABLE "
                                "only_sqlite (id INTEGER);\n"});
  upgrade(db_, "head", env_.options());
  EXPECT_TRUE(table_exists(db_, "common"));
  EXPECT_EQ(table_exists(db_, "only_pg"), db_.dialect() == Dialect::postgresql);
  EXPECT_EQ(table_exists(db_, "only_sqlite"), db_.dialect() == Dialect::sqlite);
}

TEST_P(Basic, NonTransactionalRevisionCanCreateAnIndexConcurrently) {
  env_.chain(1);
  env_.write({.id = "r001",
              .down = {"r000"},
              .downgrade = "DROP INDEX ix_name;",
              .extra_headers = "-- Transactional: false\n",
              .extra_sections =
                  "-- +upgrade postgresql\nCREATE INDEX CONCURRENTLY ix_name ON t_r000 (name);\n"
                  "-- +upgrade sqlite\nCREATE INDEX ix_name ON t_r000 (name);\n"});
  upgrade(db_, "head",
          env_.options());  // the lock's session holds no transaction CIC would wait for
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r001"});
  downgrade(db_, "r000", env_.options());
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r000"});
}

TEST_P(Basic, ConfiguredTableNames) {
  env_.chain(1);
  MigrateOptions o = env_.options();
  o.settings->version_table = "app_versions";
  o.settings->history_table = "app_history";
  upgrade(db_, "head", o);
  EXPECT_EQ(column(db_, "SELECT version_num FROM app_versions"), std::vector<std::string>{"r000"});
  EXPECT_EQ(column(db_, "SELECT revision FROM app_history"), std::vector<std::string>{"r000"});
  EXPECT_EQ(current(db_, o), std::vector<std::string>{"r000"});
}

TEST_P(Basic, BuiltInMigrationsCreateTheEventsTable) {
  MigrateOptions o;
  o.settings = builtin_settings();
  o.on_log = [](std::string_view) {};
  upgrade(db_, "head", o);
  EXPECT_TRUE(table_exists(db_, "events"));
  PooledConnection c = db_.connection();
  c->execute(
      "INSERT INTO events (id, data, task_context, created_at, updated_at) VALUES ($1, $2, $3, $4, "
      "$4)",
      {Uuid::v7(), JsonText{R"({"kind":"x"})"}, JsonText{"{}"}, Timestamp::now()});
  c->execute("INSERT INTO events (id, data) VALUES ($1, $2)",
             {Uuid::v7(), JsonText{R"({"kind":"y"})"}});
  EXPECT_THROW(
      c->execute("INSERT INTO events (id, data) VALUES ($1, $2)", {Uuid::v7(), "not json"}), Error);
  EXPECT_EQ(column(db_, "SELECT count(*) FROM events"), std::vector<std::string>{"2"});
  downgrade(db_, "base", o);
  EXPECT_FALSE(table_exists(db_, "events"));
}

INSTANTIATE_TEST_SUITE_P(Runner, Basic, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::migrate::runner_testing

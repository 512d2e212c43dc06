// `--sql` output against golden files (tests/migrate/runtime/goldens/). RETORT_UPDATE_GOLDENS=1
// rewrites them; review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "migrate/command/project.hpp"
#include "migrate/runtime/runner_support.hpp"

namespace retort::migrate::runner_testing {
namespace {

const std::filesystem::path kGoldens =
    std::filesystem::path(RETORT_SOURCE_DIR) / "tests/migrate/runtime/goldens";

class Offline : public ::testing::Test {
 protected:
  Offline() {
    env_.write({.id = "a1b2c3d4e5f6",
                .message = "create accounts",
                .upgrade = "CREATE TABLE accounts (\n    id BIGINT PRIMARY KEY,\n    name TEXT NOT "
                           "NULL -- who\n);\n"
                           "INSERT INTO accounts VALUES (1, 'O''Brien; & Sons');",
                .downgrade = "DROP TABLE accounts;"});
    env_.write(
        {.id = "b2c3d4e5f6a1",
         .down = {"a1b2c3d4e5f6"},
         .message = "index account names",
         .upgrade = "",
         .downgrade = "DROP INDEX ix_accounts_name;",
         .extra_headers = "-- Transactional: false\n",
         .extra_sections =
             "-- +upgrade postgresql\nCREATE INDEX CONCURRENTLY ix_accounts_name ON accounts "
             "(name);\n-- +upgrade sqlite\nCREATE INDEX ix_accounts_name ON accounts (name);\n"});
    env_.write({.id = "c3d4e5f6a1b2",
                .down = {"b2c3d4e5f6a1"},
                .message = "audit trigger function",
                .upgrade = "",
                .downgrade = "",
                .extra_sections = "-- +upgrade postgresql\nCREATE FUNCTION touch() RETURNS trigger "
                                  "AS $$\nBEGIN\n  NEW.at := now(); "
                                  "RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n-- +downgrade "
                                  "postgresql\nDROP FUNCTION touch();\n"});
  }

  // The output with the environment's directory replaced, so goldens do not depend on it.
  std::string normalized(std::string sql) const {
    const std::string dir = env_.dir().string();
    for (std::size_t at = sql.find(dir); at != std::string::npos; at = sql.find(dir, at)) {
      sql.replace(at, dir.size(), "$ENV");
    }
    return sql;
  }

  void expect_golden(const std::string& name, const std::string& sql) const {
    const std::filesystem::path file = kGoldens / name;
    const std::string actual = normalized(sql);
    if (const char* update = std::getenv("RETORT_UPDATE_GOLDENS");
        update != nullptr && *update == '1') {
      std::filesystem::create_directories(kGoldens);
      std::ofstream(file, std::ios::binary) << actual;
      return;
    }
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in) << "missing golden " << file << " (run with RETORT_UPDATE_GOLDENS=1)";
    std::stringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(actual, expected.str()) << "golden " << file;
  }

  Environment env_;
};

TEST_F(Offline, PostgresqlUpgradeFromBase) {
  expect_golden("upgrade_head.postgresql.sql",
                upgrade_sql(Dialect::postgresql, "head", env_.options()));
}

TEST_F(Offline, SqliteUpgradeFromBase) {
  expect_golden("upgrade_head.sqlite.sql", upgrade_sql(Dialect::sqlite, "head", env_.options()));
}

TEST_F(Offline, RangeStartsFromTheGivenRevision) {
  const std::string sql = upgrade_sql(Dialect::postgresql, "a1b2:head", env_.options());
  EXPECT_EQ(sql.find("CREATE TABLE retort_version"), std::string::npos) << sql;
  expect_golden("upgrade_range.postgresql.sql", sql);
}

TEST_F(Offline, DowngradeToBaseDropsTheVersionTable) {
  expect_golden("downgrade_base.postgresql.sql",
                downgrade_sql(Dialect::postgresql, "head:base", env_.options()));
}

TEST_F(Offline, WholeRunTransaction) {
  MigrateOptions o = env_.options();
  o.settings->transaction_per_migration = false;
  expect_golden("upgrade_whole_run.postgresql.sql", upgrade_sql(Dialect::postgresql, "head", o));
}

TEST_F(Offline, Stamp) {
  expect_golden("stamp.sqlite.sql",
                stamp_sql(Dialect::sqlite, {"a1b2c3d4e5f6:c3d4"}, env_.options()));
}

TEST_F(Offline, DowngradeNeedsARange) {
  try {
    downgrade_sql(Dialect::postgresql, "base", env_.options());
    ADD_FAILURE();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "downgrade with --sql requires <fromrev>:<torev>");
  }
}

TEST_F(Offline, OfflineSqlRunsOnARealDatabase) {
  // What --sql prints is what the runner would do: replaying it gives the same version table.
  retort::testing::TestDatabase tdb(Dialect::sqlite);
  Database db(tdb.url());
  PooledConnection c = db.connection();
  c->execute_script(upgrade_sql(Dialect::sqlite, "head", env_.options()));
  EXPECT_EQ(column(db, "SELECT version_num FROM retort_version"),
            std::vector<std::string>{"c3d4e5f6a1b2"});
  EXPECT_EQ(column(db, "SELECT count(*) FROM retort_history"), std::vector<std::string>{"3"});
  EXPECT_TRUE(verify(db, env_.options()).empty());
  EXPECT_TRUE(upgrade(db, "head", env_.options()).steps.empty());
}

}  // namespace
}  // namespace retort::migrate::runner_testing

// Revisions written in C++ in the revision graph, on both backends: the seed's data migration
// and conditional migration, a graph mixing SQL and C++ revisions (upgrade, downgrade, current,
// history, checksums), failures, and offline rendering.
#include <gtest/gtest.h>

#include "migrate/command/project.hpp"
#include "migrate/graph/plan.hpp"
#include "migrate/operations/cpp_revision_support.hpp"
#include "migrate/operations/cpp_revisions.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate::runner_testing {
namespace {

using CppRevisions = OnBothDialects;

MigrateOptions with(MigrateOptions options, std::vector<CppRevision> revisions) {
  options.revisions = std::move(revisions);
  return options;
}

TEST_P(CppRevisions, SeedDataMigrationCopiesEveryRowAndDowngradesBack) {
  write_old_tables(env_);
  const MigrateOptions options = with(env_.options(), {seed_data_migration("c001", {"r000"})});
  const RunReport report = upgrade(db_, "head", options);
  EXPECT_EQ(report.steps.back(), "upgrade r000 -> c001, copy old_table into new_table");
  EXPECT_FALSE(table_exists(db_, "new_table"));
  EXPECT_EQ(column(db_, "SELECT id || ':' || coalesce(data, 'NULL') FROM old_table ORDER BY id"),
            (std::vector<std::string>{"1:one", "2:two", "3:NULL"}));

  downgrade(db_, "-1", options);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"r000"});
  EXPECT_EQ(
      column(db_, "SELECT id || ':' || coalesce(old_data, 'NULL') FROM old_table ORDER BY id"),
      (std::vector<std::string>{"1:one", "2:two", "3:NULL"}));
  EXPECT_FALSE(table_exists(db_, "previous_table"));
}

TEST_P(CppRevisions, SeedConditionalMigrationDropsTheTableOnlyWhenItExists) {
  RevisionFile f;
  f.id = "r000";
  f.upgrade = "CREATE TABLE old_table (id INTEGER PRIMARY KEY, old_data TEXT);";
  f.downgrade = "DROP TABLE old_table;";
  env_.write(f);
  const MigrateOptions options =
      with(env_.options(), {seed_conditional_migration("c001", {"r000"})});
  // Without the table: nothing to drop, and no error.
  upgrade(db_, "head", options);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"c001"});
  EXPECT_TRUE(table_exists(db_, "old_table"));

  // With it: dropped.
  downgrade(db_, "r000", options);
  db_.connection()->execute_script("CREATE TABLE old_table_name (id INTEGER PRIMARY KEY)");
  upgrade(db_, "head", options);
  EXPECT_FALSE(table_exists(db_, "old_table_name"));
  EXPECT_TRUE(table_exists(db_, "old_table"));
}

TEST_P(CppRevisions, MixedGraphUpgradesDowngradesAndReportsLikeFiles) {
  write_old_tables(env_);
  RevisionFile after;
  after.id = "r002";
  after.down = {"c001"};
  after.message = "index the copied data";
  after.upgrade = "CREATE INDEX ix_old_table_data ON old_table (data);";
  after.downgrade = "DROP INDEX ix_old_table_data;";
  env_.write(after);
  const MigrateOptions options = with(env_.options(), {seed_data_migration("c001", {"r000"})});

  EXPECT_EQ(heads(options), std::vector<std::string>{"r002"});
  const RunReport report = upgrade(db_, "head", options);
  EXPECT_EQ(report.steps,
            (std::vector<std::string>{"upgrade  -> r000, old tables",
                                      "upgrade r000 -> c001, copy old_table into new_table",
                                      "upgrade c001 -> r002, index the copied data"}));
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"r002"});
  EXPECT_EQ(
      column(db_, "SELECT substr(checksum, 1, 5) FROM retort_history WHERE revision = 'c001'"),
      std::vector<std::string>{"cpp1:"});
  // The history names the source file that declares the C++ revision.
  EXPECT_EQ(column(db_, "SELECT script FROM retort_history WHERE revision = 'c001'"),
            std::vector<std::string>{std::string(seed_data_migration("x", {}).where.file_name())});
  // No false alarm: the revision's checksum is stable across runs and builds.
  EXPECT_TRUE(verify(db_, options).empty());

  downgrade(db_, "r000", options);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"r000"});
  EXPECT_TRUE(table_exists(db_, "old_table"));
  EXPECT_EQ(column(db_, "SELECT count(*) FROM old_table WHERE old_data IS NOT NULL"),
            std::vector<std::string>{"2"});
  upgrade(db_, "c001", options);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"c001"});
}

TEST_P(CppRevisions, ChangingTheVersionOfAnAppliedRevisionIsReportedByVerify) {
  write_old_tables(env_);
  upgrade(db_, "head", with(env_.options(), {seed_conditional_migration("c001", {"r000"})}));
  CppRevision changed = seed_conditional_migration("c001", {"r000"});
  changed.version = "2";
  changed.message = "a message is not what runs";
  const std::vector<ChecksumProblem> problems = verify(db_, with(env_.options(), {changed}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].revision, "c001");
  EXPECT_EQ(problems[0].file, changed.where.file_name());
  CppRevision relabelled = seed_conditional_migration("c001", {"r000"});
  relabelled.message = "only the message changed";
  EXPECT_TRUE(verify(db_, with(env_.options(), {relabelled})).empty());
}

TEST_P(CppRevisions, AFailedStatementNamesTheRevisionLineAndRollsBack) {
  write_old_tables(env_);
  const int line = __LINE__ + 6;
  CppRevision bad{.id = "c001",
                  .down_revisions = {"r000"},
                  .message = "fails half-way",
                  .upgrade = [](Operations& op) {
                    op.drop_table("old_table_name");
                    op.execute("INSERT INTO missing_table (id) VALUES (1)");
                  }};
  const MigrateOptions options = with(env_.options(), {bad});
  const MigrationError e = error_of<MigrationError>([&] { upgrade(db_, "head", options); });
  EXPECT_EQ(e.details().revision, "c001");
  EXPECT_EQ(e.details().file, __FILE__);
  EXPECT_EQ(e.details().line, line);
  EXPECT_EQ(e.details().statement, "INSERT INTO missing_table (id) VALUES (1)");
  EXPECT_EQ(e.details().stays_at, "r000");
  EXPECT_NE(std::string(e.what()).find(fmt::format("{}:{}", __FILE__, line)), std::string::npos)
      << e.what();
  EXPECT_TRUE(table_exists(db_, "old_table_name"));  // the drop was rolled back with it
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"r000"});
}

TEST_P(CppRevisions, AnExceptionOfTheRevisionsOwnNamesItsDeclaration) {
  write_old_tables(env_);
  CppRevision refusing{.id = "c001", .down_revisions = {"r000"}, .upgrade = [](Operations& op) {
                         op.drop_table("old_table_name");
                         throw std::runtime_error("3 rows hold data the new format cannot keep");
                       }};
  const MigrationError e =
      error_of<MigrationError>([&] { upgrade(db_, "head", with(env_.options(), {refusing})); });
  EXPECT_EQ(e.details().file, refusing.where.file_name());
  EXPECT_EQ(e.details().line, static_cast<int>(refusing.where.line()));
  EXPECT_NE(std::string(e.what()).find("3 rows hold data"), std::string::npos) << e.what();
  EXPECT_TRUE(table_exists(db_, "old_table_name"));
}

TEST_P(CppRevisions, NonTransactionalRevisionRunsInAutocommit) {
  write_old_tables(env_);
  // VACUUM refuses to run inside a transaction on both backends.
  CppRevision vacuum{
      .id = "c001",
      .down_revisions = {"r000"},
      .upgrade =
          [](Operations& op) {
            op.create_index("old_table", "ix_old_data", {"old_data"});
            op.execute(op.dialect() == Dialect::postgresql ? "VACUUM old_table" : "VACUUM");
          },
      .downgrade = [](Operations& op) { op.drop_index("old_table", "ix_old_data"); },
      .transactional = false};
  const MigrateOptions options = with(env_.options(), {vacuum});
  upgrade(db_, "head", options);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"c001"});
  downgrade(db_, "r000", options);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"r000"});

  // The same function in a transaction fails, and is rolled back.
  CppRevision in_transaction = vacuum;
  in_transaction.transactional = true;
  EXPECT_THROW(upgrade(db_, "head", with(env_.options(), {in_transaction})), MigrationError);
  EXPECT_EQ(current(db_, options), std::vector<std::string>{"r000"});
}

TEST_P(CppRevisions, OfflineRendersTheDataMigration) {
  write_old_tables(env_);
  const std::string sql = upgrade_sql(
      db_.dialect(), "r000:head", with(env_.options(), {seed_data_migration("c001", {"r000"})}));
  EXPECT_NE(sql.find("-- Running upgrade r000 -> c001"), std::string::npos) << sql;
  EXPECT_NE(sql.find("CREATE TABLE \"new_table\""), std::string::npos) << sql;
  EXPECT_NE(sql.find("INSERT INTO new_table (id, data) SELECT id, old_data FROM old_table;"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("DROP TABLE \"old_table\";"), std::string::npos) << sql;
  EXPECT_NE(sql.find("ALTER TABLE \"new_table\" RENAME TO \"old_table\";"), std::string::npos)
      << sql;
  EXPECT_NE(sql.find("'c001', 'upgrade', 'cpp1:"), std::string::npos) << sql;

  // Replaying the output leaves the database as the online run would.
  upgrade(db_, "r000", env_.options());
  PooledConnection c = db_.connection();
  c->execute_script(sql);
  EXPECT_EQ(column(db_, "SELECT id || ':' || coalesce(data, 'NULL') FROM old_table ORDER BY id"),
            (std::vector<std::string>{"1:one", "2:two", "3:NULL"}));
  EXPECT_EQ(column(db_, "SELECT version_num FROM retort_version"),
            std::vector<std::string>{"c001"});
}

TEST_P(CppRevisions, OfflineRenderingOfARevisionThatReadsIsRefusedNamingIt) {
  write_old_tables(env_);
  const CppRevision conditional = seed_conditional_migration("c001", {"r000"});
  const CannotRenderOffline e = error_of<CannotRenderOffline>(
      [&] { upgrade_sql(db_.dialect(), "head", with(env_.options(), {conditional})); });
  const std::string text = e.what();
  EXPECT_NE(text.find("revision c001 reads the database (inspector().has_table at "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("cpp_revision_support.hpp:"), std::string::npos) << text;
  EXPECT_NE(text.find("it cannot be rendered offline"), std::string::npos) << text;
  // A range that leaves it out renders.
  EXPECT_NE(upgrade_sql(db_.dialect(), "r000", with(env_.options(), {conditional}))
                .find("CREATE TABLE old_table"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Dialects, CppRevisions,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

// ---- The graph, without a database. ----

TEST(CppRevisionGraph, AnIdUsedByAFileAndACppRevisionIsAnErrorNamingBoth) {
  Environment env;
  write_old_tables(env);
  const CppRevision twin = seed_conditional_migration("r000", {});
  const ScriptError e = error_of<ScriptError>([&] { load_map(env.settings(), {twin}); });
  const std::string text = e.what();
  EXPECT_NE(text.find(fmt::format("{}:{}", twin.where.file_name(), twin.where.line())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("revision id 'r000' is already used by " + env.path_of("r000").string()),
            std::string::npos)
      << text;
}

TEST(CppRevisionGraph, CppRevisionsJoinTheGraphSortedById) {
  Environment env;
  write_old_tables(env);
  const RevisionMap map = load_map(env.settings(), {seed_conditional_migration("c002", {"c001"}),
                                                    seed_data_migration("c001", {"r000"})});
  ASSERT_EQ(map.size(), 3u);
  EXPECT_EQ(map.id(1), "c001");
  EXPECT_EQ(map.id(2), "c002");
  EXPECT_EQ(map.ids(map.heads()), std::vector<std::string>{"c002"});
  EXPECT_TRUE(map.revision(1).code != nullptr);
  EXPECT_EQ(map.revision(1).message, "copy old_table into new_table");
}

TEST(CppRevisionGraph, AMissingDownRevisionNamesTheDeclaration) {
  Environment env;
  const CppRevision orphan = seed_data_migration("c001", {"nothere"});
  const ScriptError e = error_of<ScriptError>([&] { load_map(env.settings(), {orphan}); });
  EXPECT_NE(std::string(e.what()).find(
                fmt::format("{}:{}: down revision 'nothere' of revision c001 is not present",
                            orphan.where.file_name(), orphan.where.line())),
            std::string::npos)
      << e.what();
}

TEST(CppRevisionGraph, ChecksumCoversWhatRunsNotMessagesOrLocations) {
  const CppRevision a = seed_data_migration("c001", {"r000"});
  CppRevision b = a;
  b.message = "other words";
  b.branch_labels = {"data"};
  b.where = std::source_location::current();
  EXPECT_EQ(cpp_revision_checksum(a), cpp_revision_checksum(b));
  for (auto change : std::vector<std::function<void(CppRevision&)>>{
           [](CppRevision& r) { r.version = "2"; },
           [](CppRevision& r) { r.down_revisions = {"r001"}; },
           [](CppRevision& r) { r.depends_on = {"r001"}; },
           [](CppRevision& r) { r.transactional = false; },
           [](CppRevision& r) { r.sqlite_foreign_keys_off = false; }}) {
    CppRevision c = a;
    change(c);
    EXPECT_NE(cpp_revision_checksum(a), cpp_revision_checksum(c));
  }
}

}  // namespace
}  // namespace retort::migrate::runner_testing

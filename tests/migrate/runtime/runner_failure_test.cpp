// The runner when things go wrong: failed statements (rollback, what the error names), whole-run
// transactions, non-transactional revisions that resume, changed or missing files, bad scripts,
// a held lock.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "migrate/runtime/lock.hpp"
#include "migrate/runtime/runner_support.hpp"

namespace retort::migrate::runner_testing {
namespace {

using Failure = OnBothDialects;

std::string what(const std::exception& e) {
  return e.what();
}

TEST_P(Failure, FailedStatementRollsTheRevisionBackAndNamesFileLineAndSqlstate) {
  env_.chain(2);
  RevisionFile bad;
  bad.id = "r002";
  bad.down = {"r001"};
  bad.upgrade =
      "CREATE TABLE t_partial (id INTEGER);\nINSERT INTO t_partial VALUES (1);\nINSERT INTO "
      "no_such_table VALUES (1);";
  bad.downgrade = "DROP TABLE t_partial;";
  env_.write(bad);
  const auto e = error_of<MigrationError>([&] { upgrade(db_, "head", env_.options()); });
  const std::string text = e.what();
  const std::string file = env_.path_of("r002").string();
  // The header takes 6 lines, then "-- +upgrade": the failing INSERT is line 10.
  EXPECT_NE(text.find("upgrade of revision r002 failed at " + file + ":10"), std::string::npos)
      << text;
  EXPECT_NE(text.find("SQLSTATE 42P01"), std::string::npos) << text;
  EXPECT_NE(text.find("no_such_table"), std::string::npos) << text;
  EXPECT_NE(text.find("the database stays at r001"), std::string::npos) << text;
  EXPECT_EQ(e.details().revision, "r002");
  EXPECT_EQ(e.details().file, file);
  EXPECT_EQ(e.details().line, 10);
  EXPECT_EQ(e.details().sqlstate, "42P01");
  EXPECT_EQ(e.details().stays_at, "r001");
  EXPECT_TRUE(e.details().rolled_back);
  EXPECT_FALSE(table_exists(db_, "t_partial"));
  EXPECT_TRUE(table_exists(db_, "t_r001"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r001"});
  EXPECT_EQ(column(db_, "SELECT count(*) FROM retort_history"), std::vector<std::string>{"2"});
}

TEST_P(Failure, SyntaxErrorReportsItsSqlstate) {
  env_.write({.id = "a", .upgrade = "CREATE TABEL oops (id INTEGER);", .downgrade = ""});
  const auto e = error_of<MigrationError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_EQ(e.details().sqlstate, "42601") << e.what();
  EXPECT_EQ(e.details().line, 8) << e.what();
  EXPECT_EQ(e.details().stays_at, "base");
}

TEST_P(Failure, WholeRunModeRollsEverythingBack) {
  env_.chain(2);
  env_.write({.id = "r002",
              .down = {"r001"},
              .upgrade = "INSERT INTO nowhere VALUES (1);",
              .downgrade = ""});
  MigrateOptions o = env_.options();
  o.settings->transaction_per_migration = false;
  const auto e = error_of<MigrationError>([&] { upgrade(db_, "head", o); });
  EXPECT_NE(what(e).find("the run was rolled back; the database stays at base"), std::string::npos)
      << e.what();
  EXPECT_TRUE(current(db_, o).empty());
  EXPECT_FALSE(table_exists(db_, "t_r000"));  // transactional DDL on both
  // And when it succeeds, everything commits.
  env_.write({.id = "r002", .down = {"r001"}, .upgrade = "SELECT 1;", .downgrade = ""});
  upgrade(db_, "head", o);
  EXPECT_EQ(current(db_, o), std::vector<std::string>{"r002"});
}

TEST_P(Failure, NonTransactionalRevisionResumesAtTheFailedStatement) {
  env_.chain(1);
  RevisionFile nt;
  nt.id = "r001";
  nt.down = {"r000"};
  nt.extra_headers = "-- Transactional: false\n";
  // Statement 1 is not idempotent: running it twice would fail.
  nt.upgrade =
      "CREATE TABLE nt_one (id INTEGER);\nINSERT INTO nt_missing VALUES (1);\nCREATE TABLE "
      "nt_three (id INTEGER);";
  nt.downgrade = "DROP TABLE nt_three;\nDROP TABLE nt_one;";
  env_.write(nt);
  const auto e = error_of<MigrationError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_FALSE(e.details().rolled_back);
  EXPECT_NE(what(e).find("1 of its 3 statements are applied and stay"), std::string::npos)
      << e.what();
  EXPECT_NE(what(e).find("resume at statement 2 (line 10)"), std::string::npos) << e.what();
  EXPECT_TRUE(table_exists(db_, "nt_one"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r000"});
  EXPECT_EQ(
      column(db_,
             "SELECT revision || ' ' || direction || ' ' || statement_index FROM retort_progress"),
      std::vector<std::string>{"r001 upgrade 1"});

  // Fix the failing statement: the run resumes there (nt_one is not created again).
  nt.upgrade =
      "CREATE TABLE nt_one (id INTEGER);\nCREATE TABLE nt_missing (id INTEGER);\nCREATE TABLE "
      "nt_three (id INTEGER);";
  env_.write(nt);
  env_.log().clear();
  upgrade(db_, "head", env_.options());
  EXPECT_NE(std::find(env_.log().begin(), env_.log().end(),
                      "Resuming non-transactional revision r001 at statement 2 of 3 (line 10)"),
            env_.log().end());
  EXPECT_TRUE(table_exists(db_, "nt_missing"));
  EXPECT_TRUE(table_exists(db_, "nt_three"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r001"});
  EXPECT_TRUE(column(db_, "SELECT revision FROM retort_progress").empty());
}

TEST_P(Failure, NonTransactionalRefusesToResumeWhenDoneStatementsChanged) {
  RevisionFile nt;
  nt.id = "a";
  nt.extra_headers = "-- Transactional: false\n";
  nt.upgrade = "CREATE TABLE x1 (id INTEGER);\nINSERT INTO x_missing VALUES (1);";
  env_.write(nt);
  EXPECT_THROW(upgrade(db_, "head", env_.options()), MigrationError);
  nt.upgrade = "CREATE TABLE x1_renamed (id INTEGER);\nSELECT 1;";
  env_.write(nt);
  const auto e = error_of<MigrationError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_NE(what(e).find("have changed since"), std::string::npos) << e.what();
  EXPECT_NE(what(e).find("retort_progress"), std::string::npos) << e.what();
}

TEST_P(Failure, ChangedFileOfAnAppliedRevisionStopsTheUpgrade) {
  env_.chain(2);
  upgrade(db_, "head", env_.options());
  // Whitespace at line ends and trailing blank lines do not count.
  {
    RevisionFile f{.id = "r000",
                   .upgrade = "CREATE TABLE t_r000 (id INTEGER PRIMARY KEY, name TEXT);   ",
                   .downgrade = "DROP TABLE t_r000;"};
    env_.write_raw("r000_rev.sql", file_text(f) + "\n\n\n");
  }
  EXPECT_TRUE(verify(db_, env_.options()).empty());
  env_.write({.id = "r002",
              .down = {"r001"},
              .upgrade = "CREATE TABLE t_r002 (id INTEGER);",
              .downgrade = ""});
  // A real edit of r001.
  env_.write({.id = "r001",
              .down = {"r000"},
              .upgrade = "CREATE TABLE t_r001 (id BIGINT);",
              .downgrade = "DROP TABLE t_r001;"});
  const auto e = error_of<ChecksumError>([&] { upgrade(db_, "head", env_.options()); });
  ASSERT_EQ(e.problems().size(), 1u);
  EXPECT_EQ(e.problems()[0].revision, "r001");
  EXPECT_EQ(e.problems()[0].kind, ChecksumProblem::Kind::modified);
  EXPECT_NE(what(e).find("r001: modified: " + env_.path_of("r001").string()), std::string::npos)
      << e.what();
  EXPECT_FALSE(table_exists(db_, "t_r002"));
  EXPECT_EQ(verify(db_, env_.options()).size(), 1u);

  // --accept-checksum r001: recorded, then the upgrade runs.
  MigrateOptions o = env_.options();
  o.accept_checksums = {"r001"};
  upgrade(db_, "head", o);
  EXPECT_TRUE(table_exists(db_, "t_r002"));
  EXPECT_TRUE(verify(db_, env_.options()).empty());
  EXPECT_EQ(column(db_, "SELECT count(*) FROM retort_history WHERE direction = 'accept'"),
            std::vector<std::string>{"1"});
}

TEST_P(Failure, VerifyAcceptRecordsEveryChangedFile) {
  env_.chain(2);
  upgrade(db_, "head", env_.options());
  env_.write(
      {.id = "r000",
       .upgrade = "-- edited\nCREATE TABLE t_r000 (id INTEGER PRIMARY KEY, name TEXT, note TEXT);",
       .downgrade = "DROP TABLE t_r000;"});
  env_.write({.id = "r001",
              .down = {"r000"},
              .upgrade = "-- edited too",
              .downgrade = "DROP TABLE t_r001;"});
  EXPECT_EQ(verify(db_, env_.options()).size(), 2u);
  EXPECT_EQ(accept_checksums(db_, {}, env_.options()), (std::vector<std::string>{"r000", "r001"}));
  EXPECT_TRUE(verify(db_, env_.options()).empty());
}

TEST_P(Failure, MissingFileOfTheCurrentRevisionIsNamed) {
  env_.chain(2);
  upgrade(db_, "head", env_.options());
  std::filesystem::remove(env_.path_of("r001"));
  const auto e = error_of<ChecksumError>([&] { upgrade(db_, "head", env_.options()); });
  ASSERT_EQ(e.problems().size(), 1u);
  EXPECT_EQ(e.problems()[0].kind, ChecksumProblem::Kind::missing);
  EXPECT_NE(what(e).find("r001: missing"), std::string::npos) << e.what();
  EXPECT_NE(what(e).find(env_.path_of("r001").string()), std::string::npos) << e.what();
}

TEST_P(Failure, ChecksumsCanBeSwitchedOff) {
  env_.chain(1);
  upgrade(db_, "head", env_.options());
  env_.write({.id = "r000", .upgrade = "-- changed", .downgrade = "DROP TABLE t_r000;"});
  MigrateOptions o = env_.options();
  o.settings->verify_checksums = false;
  EXPECT_NO_THROW(downgrade(db_, "base", o));
}

TEST_P(Failure, HeldLockTimesOut) {
  env_.chain(1);
  MigrateOptions o = env_.options();
  o.settings->lock_wait_timeout = std::chrono::milliseconds(300);
  std::unique_ptr<MigrationLock> held = MigrationLock::acquire(db_, *o.settings, {});
  const auto start = std::chrono::steady_clock::now();
  const auto e = error_of<LockTimeout>([&] { upgrade(db_, "head", o); });
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_NE(what(e).find("another migration holds the migration lock"), std::string::npos)
      << e.what();
  EXPECT_NE(std::find_if(
                env_.log().begin(), env_.log().end(),
                [](const std::string& l) { return l.find("Waiting for another migration") == 0; }),
            env_.log().end());
  held.reset();
  EXPECT_NO_THROW(upgrade(db_, "head", o));
}

TEST_P(Failure, ConcurrentUpgradesInThreadsApplyEachRevisionOnce) {
  env_.chain(20);
  std::vector<std::thread> threads;
  std::atomic<int> applied{0};
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        Database db(test_db_.url());
        MigrateOptions o = env_.options();
        o.on_log = [](std::string_view) {};
        applied += static_cast<int>(upgrade(db, "head", o).steps.size());
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(applied.load(), 20);
  EXPECT_EQ(column(db_, "SELECT count(*) FROM retort_history"), std::vector<std::string>{"20"});
}

INSTANTIATE_TEST_SUITE_P(Runner, Failure, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

// --- bad scripts: every error names the file (and the line where there is one) -------------

class BadScripts : public ::testing::Test {
 protected:
  BadScripts() : db_(test_db_.url()) {}
  retort::testing::TestDatabase test_db_{Dialect::sqlite};
  Database db_;
  Environment env_;
  std::string error() {
    try {
      upgrade(db_, "head", env_.options());
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }
};

TEST_F(BadScripts, MissingHeader) {
  env_.write_raw("a_rev.sql", "-- Revision: a\n-- +upgrade\nSELECT 1;\n");
  EXPECT_NE(error().find((env_.versions() / "a_rev.sql").string() + ":1: missing header"),
            std::string::npos);
}

TEST_F(BadScripts, UnknownDownRevision) {
  env_.write({.id = "b", .down = {"nope"}, .upgrade = "SELECT 1;"});
  const std::string e = error();
  EXPECT_NE(e.find((env_.versions() / "b_rev.sql").string() + ":3"), std::string::npos) << e;
  EXPECT_NE(e.find("nope"), std::string::npos) << e;
}

TEST_F(BadScripts, DuplicateId) {
  env_.write({.id = "a", .upgrade = "SELECT 1;"});
  env_.write_raw("a_copy.sql", file_text({.id = "a", .upgrade = "SELECT 2;"}));
  const std::string e = error();
  EXPECT_NE(e.find("a_copy.sql"), std::string::npos) << e;
  EXPECT_NE(e.find("a_rev.sql"), std::string::npos) << e;
}

TEST_F(BadScripts, Cycle) {
  env_.write({.id = "a", .down = {"b"}, .upgrade = "SELECT 1;"});
  env_.write({.id = "b", .down = {"a"}, .upgrade = "SELECT 1;"});
  const std::string e = error();
  EXPECT_NE(e.find("a_rev.sql"), std::string::npos) << e;
}

TEST_F(BadScripts, TwoHeadsWhereOneIsRequired) {
  env_.write({.id = "a", .upgrade = "SELECT 1;"});
  env_.write({.id = "b1", .down = {"a"}, .upgrade = "SELECT 1;"});
  env_.write({.id = "b2", .down = {"a"}, .upgrade = "SELECT 1;"});
  const std::string e = error();
  EXPECT_NE(e.find("Multiple head revisions are present"), std::string::npos) << e;
  EXPECT_NE(e.find("b1 (" + (env_.versions() / "b1_rev.sql").string() + ")"), std::string::npos)
      << e;
  EXPECT_NE(e.find("b2 (" + (env_.versions() / "b2_rev.sql").string() + ")"), std::string::npos)
      << e;
}

TEST_F(BadScripts, UnparsableFile) {
  env_.write_raw(
      "a_rev.sql",
      "-- retort revision\n-- Revision: a\n-- Down revision: none\nthis is not a header\n");
  EXPECT_NE(error().find((env_.versions() / "a_rev.sql").string() + ":4:"), std::string::npos);
}

TEST_F(BadScripts, UnterminatedStringNamesItsLine) {
  env_.write({.id = "a", .upgrade = "SELECT 1;\nSELECT 'open;"});
  const std::string e = error();
  EXPECT_NE(e.find((env_.versions() / "a_rev.sql").string() + ":9"), std::string::npos) << e;
}

TEST_F(BadScripts, MissingScriptLocationSuggestsInit) {
  MigrateOptions o = env_.options();
  o.settings->script_location = env_.dir() / "absent";
  try {
    upgrade(db_, "head", o);
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("Please use the 'init' command"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace retort::migrate::runner_testing

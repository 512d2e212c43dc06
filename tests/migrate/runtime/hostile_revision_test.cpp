// Revision files that are wrong in ways a reader cannot see, validated the same on both
// backends before anything runs; deleted applied files named as such; indexes left INVALID by
// interrupted concurrent builds rebuilt rather than skipped.
#include <gtest/gtest.h>

#include <string>

#include "migrate/runtime/runner_support.hpp"

namespace retort::migrate::runner_testing {
namespace {

using Hostile = OnBothDialects;

std::string base_file(const std::string& id, const std::string& body) {
  return "-- retort revision\n-- Revision: " + id +
         "\n-- Down revision: none\n-- Message: m\n\n-- +upgrade\n" + body +
         "\n-- +downgrade\nSELECT 1;\n";
}

// Nothing ran and nothing was recorded.
void expect_untouched(Database& db) {
  EXPECT_FALSE(table_exists(db, "after_nul"));
  EXPECT_FALSE(table_exists(db, "retort_version"));
}

TEST_P(Hostile, NulByteInABodyIsRefusedAtLoadNamingFileAndLine) {
  std::string body = "CREATE TABLE before_nul (id INTEGER);\nSELECT 1;";
  body += '\0';
  body += "\nCREATE TABLE after_nul (id INTEGER);";
  const auto path = env_.write_raw("a_rev.sql", base_file("a", body));
  const auto e = error_of<ScriptError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_EQ(e.file(), path.string());
  EXPECT_EQ(e.line(), 8);
  EXPECT_NE(std::string(e.what()).find("a NUL byte at byte 10 of the line"), std::string::npos)
      << e.what();
  expect_untouched(db_);
  EXPECT_FALSE(table_exists(db_, "before_nul"));
  // --sql never prints it either.
  EXPECT_THROW(upgrade_sql(db_.dialect(), "head", env_.options()), ScriptError);
}

TEST_P(Hostile, InvalidUtf8IsRefusedAtLoad) {
  const auto path = env_.write_raw("a_rev.sql", base_file("a", "SELECT 'caf\xE9';"));
  const auto e = error_of<ScriptError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_EQ(e.line(), 7);
  EXPECT_NE(std::string(e.what()).find("invalid UTF-8"), std::string::npos) << e.what();
  expect_untouched(db_);
}

TEST_P(Hostile, RevisionIdLongerThanTheVersionColumnIsRefusedBeforeAnythingRuns) {
  const std::string too_long(33, 'a');
  RevisionFile nt{.id = too_long, .upgrade = "CREATE TABLE after_nul (id INTEGER);"};
  nt.extra_headers = "-- Transactional: false\n";
  env_.write(nt);
  const auto e = error_of<ScriptError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("is longer than 32 characters"), std::string::npos)
      << e.what();
  expect_untouched(db_);
}

TEST_P(Hostile, ThirtyTwoCharacterIdsAndAlembicsOwnAreRecorded) {
  env_.write({.id = std::string(32, 'f'), .upgrade = "SELECT 1;"});
  env_.write({.id = "1a2b3c4d5e6f", .down = {std::string(32, 'f')}, .upgrade = "SELECT 1;"});
  upgrade(db_, "head", env_.options());
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"1a2b3c4d5e6f"});
}

TEST_P(Hostile, ControlCharactersInIdsLabelsAndMessagesAreRefused) {
  env_.write_raw("a_rev.sql", base_file("a\x1b[31m", "SELECT 1;"));
  auto e = error_of<ScriptError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_NE(std::string(e.what()).find("control character U+001B"), std::string::npos) << e.what();
  // The id is quoted with its escape written out, never printed raw.
  EXPECT_EQ(std::string(e.what()).find('\x1b'), std::string::npos) << e.what();
  std::filesystem::remove(env_.versions() / "a_rev.sql");

  env_.write({.id = "b", .message = "colour \x1b]0;owned\x07", .upgrade = "SELECT 1;"});
  e = error_of<ScriptError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_EQ(e.line(), 4);
  EXPECT_NE(std::string(e.what()).find("the Message header contains the control character U+001B"),
            std::string::npos)
      << e.what();
  std::filesystem::remove(env_.path_of("b"));

  env_.write({.id = "c", .upgrade = "SELECT 1;", .extra_headers = "-- Branch labels: x\x7fy\n"});
  e = error_of<ScriptError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_NE(std::string(e.what()).find("branch label 'x\\x7Fy' contains the control character"),
            std::string::npos)
      << e.what();
  expect_untouched(db_);
}

TEST_P(Hostile, MissingDownRevisionHeaderIsAnErrorNotASecondBase) {
  env_.chain(1);
  env_.write_raw("b_rev.sql",
                 "-- retort revision\n-- Revision: b\n-- Message: forgot it\n\n-- +upgrade\n"
                 "CREATE TABLE after_nul (id INTEGER);\n-- +downgrade\nSELECT 1;\n");
  const auto e = error_of<ScriptError>([&] { upgrade(db_, "heads", env_.options()); });
  EXPECT_NE(std::string(e.what()).find("missing 'Down revision:' header"), std::string::npos)
      << e.what();
  expect_untouched(db_);
}

TEST_P(Hostile, DeletedAppliedFileIsNamedAsSuch) {
  env_.chain(3);
  upgrade(db_, "head", env_.options());
  std::filesystem::remove(env_.path_of("r001"));
  for (auto command : {+[](Database&db, const MigrateOptions&o) { upgrade(db, "head", o); },
                       +[](Database&db, const MigrateOptions&o) { current(db, o); }}) {
    const auto e = error_of<MissingRevision>([&] { command(db_, env_.options()); });
    EXPECT_EQ(e.revision(), "r001");
    EXPECT_NE(std::string(e.what()).find("applied revision r001: its file is missing"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(env_.path_of("r001").string()), std::string::npos)
        << e.what();
  }
  // A reference to a revision this database never applied stays a plain graph error.
  env_.write({.id = "x", .down = {"never"}, .upgrade = "SELECT 1;"});
  std::filesystem::remove(env_.path_of("r002"));
  env_.chain(2);  // restores r000 and r001
  const auto e = error_of<MissingRevision>([&] { upgrade(db_, "heads", env_.options()); });
  EXPECT_EQ(e.revision(), "never");
  EXPECT_EQ(std::string(e.what()).find("applied revision"), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(Runner, Hostile, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

// --- indexes left INVALID by non-transactional revisions (PostgreSQL) -----------------------

class InvalidIndex : public ::testing::Test {
 protected:
  InvalidIndex() : db_(test_db_.url()) {
    PooledConnection c = db_.connection();
    c->execute_script(
        "CREATE TABLE accounts (id INTEGER, email TEXT);"
        "INSERT INTO accounts VALUES (1, 'a@x'), (2, 'a@x'), (3, 'b@x');");
  }
  bool index_valid(const std::string& name) {
    PooledConnection c = db_.connection();
    const Result r = c->execute(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = $1",
        {name});
    if (r.empty()) throw std::runtime_error("no index " + name);
    return r[0][0].as_bool();
  }
  RevisionFile unique_email(const std::string& extra = "") {
    RevisionFile f{.id = "a",
                   .upgrade =
                       "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_key "
                       "ON accounts (email);" +
                       extra,
                   .downgrade = "DROP INDEX CONCURRENTLY accounts_email_key;"};
    f.extra_headers = "-- Transactional: false\n";
    return f;
  }
  retort::testing::TestDatabase test_db_{Dialect::postgresql};
  Database db_;
  Environment env_;
};

TEST_F(InvalidIndex, AFailedConcurrentBuildIsDroppedAndBuiltAgainNotSkipped) {
  env_.write(unique_email());
  // The duplicate makes the build fail, leaving the index behind INVALID.
  EXPECT_THROW(upgrade(db_, "head", env_.options()), MigrationError);
  EXPECT_FALSE(index_valid("accounts_email_key"));
  {
    PooledConnection c = db_.connection();
    c->execute("DELETE FROM accounts WHERE id = 2");
  }
  env_.log().clear();
  upgrade(db_, "head", env_.options());
  EXPECT_TRUE(index_valid("accounts_email_key"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"a"});
  const bool logged = std::any_of(env_.log().begin(), env_.log().end(), [](const std::string& l) {
    return l.find("Dropping index") != std::string::npos &&
           l.find("accounts_email_key") != std::string::npos;
  });
  EXPECT_TRUE(logged);
}

TEST_F(InvalidIndex, ARevisionAfterWhichItsIndexIsInvalidIsNotRecorded) {
  {
    PooledConnection c = db_.connection();
    c->execute("DELETE FROM accounts WHERE id = 2");
  }
  // Stands in for whatever invalidates the index after its build (superuser-only catalog write).
  env_.write(
      unique_email("\nUPDATE pg_index SET indisvalid = false WHERE indexrelid = "
                   "'accounts_email_key'::regclass;"));
  const auto e = error_of<MigrationError>([&] { upgrade(db_, "head", env_.options()); });
  EXPECT_NE(std::string(e.what()).find(".accounts_email_key INVALID"), std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("from statement 1"), std::string::npos) << e.what();
  EXPECT_TRUE(current(db_, env_.options()).empty());
  EXPECT_EQ(column(db_, "SELECT statement_index::text FROM retort_progress"),
            std::vector<std::string>{"0"});
  // The file fixed, the next run rebuilds the index from the first statement.
  env_.write(unique_email());
  upgrade(db_, "head", env_.options());
  EXPECT_TRUE(index_valid("accounts_email_key"));
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace retort::migrate::runner_testing

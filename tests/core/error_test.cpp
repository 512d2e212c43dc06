#include <gtest/gtest.h>

#include "core/log.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"

namespace retort {
namespace {

template <class Expected>
void expect_maps(const std::string& sqlstate) {
  try {
    throw_database_error(ErrorInfo{sqlstate, "msg", "", "", "", "", "", ""});
  } catch (const Expected& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate);
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << sqlstate << " mapped to the wrong class: " << e.what();
  }
}

TEST(Error, SqlstateMapsToTheMostSpecificClass) {
  expect_maps<UniqueViolation>("23505");
  expect_maps<ForeignKeyViolation>("23503");
  expect_maps<CheckViolation>("23514");
  expect_maps<NotNullViolation>("23502");
  expect_maps<IntegrityError>("23P01");
  expect_maps<SerializationFailure>("40001");
  expect_maps<DeadlockDetected>("40P01");
  expect_maps<TransactionRollback>("40002");
  expect_maps<LockNotAvailable>("55P03");
  expect_maps<QueryCanceled>("57014");
  expect_maps<ConnectionError>("08006");
  expect_maps<ConnectionError>("57P01");
  expect_maps<DataException>("22P02");
  expect_maps<SyntaxError>("42601");
  expect_maps<UndefinedTable>("42P01");
  expect_maps<UndefinedColumn>("42703");
  expect_maps<DuplicateObject>("42P07");
  expect_maps<InsufficientPrivilege>("42501");
  expect_maps<SyntaxOrAccessError>("42883");
  expect_maps<DatabaseError>("XX000");
}

TEST(Error, MessageCarriesStateDetailHintAndStatement) {
  const DatabaseError e(ErrorInfo{"23505", "duplicate key value violates unique constraint \"u\"",
                                  "Key (id)=(1) already exists.", "try another", "u", "t", "",
                                  "INSERT INTO t VALUES ($1)"});
  EXPECT_STREQ(e.what(),
               "23505: duplicate key value violates unique constraint \"u\"; DETAIL: Key (id)=(1) "
               "already exists.; HINT: try another (statement: INSERT INTO t VALUES ($1))");
  EXPECT_EQ(e.constraint(), "u");
}

TEST(Redact, ScrubsRegisteredSecretsFromErrorsAndLogs) {
  redact::register_secret("hunter2!");
  const DatabaseError e(
      ErrorInfo{"28P01", "auth failed with hunter2! in it", "", "", "", "", "", ""});
  EXPECT_EQ(std::string(e.what()).find("hunter2!"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("***"), std::string::npos);

  std::vector<std::string> lines;
  log::set_sink([&](log::Level, const std::string& line) { lines.push_back(line); });
  log::set_level(log::Level::debug);
  log::info("connecting with password {}", "hunter2!");
  log::set_sink({});
  log::set_level(log::Level::warn);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "connecting with password ***");
}

TEST(Redact, LongerSecretWinsOverItsPrefix) {
  redact::register_secret("abcd");
  redact::register_secret("abcdefgh");
  EXPECT_EQ(redact::scrub("x abcdefgh y abcd"), "x *** y ***");
}

TEST(Redact, VeryShortSecretsDoNotMangleText) {
  redact::register_secret("p");
  EXPECT_EQ(redact::scrub("invalid connection option"), "invalid connection option");
}

}  // namespace
}  // namespace retort

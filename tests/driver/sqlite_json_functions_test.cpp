// retort's SQLite JSON functions (retort_json_contains, retort_json_equal, retort_json_get) are
// registered on every connection retort opens, and on no other: no process-wide hook.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "driver/backends.hpp"
#include "retort/connection.hpp"
#include "retort/database.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

constexpr const char* kUsesAllThree =
    R"(SELECT retort_json_contains('{"a": 1, "b": [2, 3]}', '{"b": [3]}'),)"
    R"( retort_json_equal('{"n": 1}', '{"n": 1.0}'), retort_json_get('{"a": [5, 6]}', 'a', -1))";

void expect_functions(Connection& conn) {
  const Result r = conn.execute(kUsesAllThree);
  EXPECT_EQ(r.at(0)[0].as_int64(), 1);
  EXPECT_EQ(r.at(0)[1].as_int64(), 1);
  EXPECT_EQ(r.at(0)[2].as_text(), "6");
}

TEST(SqliteJsonFunctions, EveryConnectionRetortOpensHasThem) {
  std::unique_ptr<Connection> direct = driver::connect_sqlite(DatabaseUrl::sqlite(":memory:"), {});
  expect_functions(*direct);

  const testing::TempDir dir;
  Database db = Database::open("sqlite:///" + (dir / "app.db").string());
  expect_functions(*db.connection());
  // A second pooled connection, opened while the first is held.
  PooledConnection first = db.connection();
  PooledConnection second = db.connection();
  expect_functions(*second);
}

TEST(SqliteJsonFunctions, OtherConnectionsOfTheProcessDoNotGetThem) {
  // retort has opened connections in this process: a connection it did not open stays as
  // SQLite made it (sqlite3_auto_extension would have given it the functions too).
  std::unique_ptr<Connection> retort_connection =
      driver::connect_sqlite(DatabaseUrl::sqlite(":memory:"), {});
  expect_functions(*retort_connection);

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  const std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  sqlite3_stmt* statement = nullptr;
  EXPECT_NE(sqlite3_prepare_v2(raw, "SELECT retort_json_equal('1', '1')", -1, &statement, nullptr),
            SQLITE_OK);
  EXPECT_NE(std::string(sqlite3_errmsg(raw)).find("no such function: retort_json_equal"),
            std::string::npos)
      << sqlite3_errmsg(raw);
  sqlite3_finalize(statement);
}

}  // namespace
}  // namespace retort

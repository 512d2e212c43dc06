// SQLite backend: opening, settings, statement cache, streaming, pipelines, transactions.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "driver/backends.hpp"
#include "driver/sqlite/sqlite_connection.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

std::unique_ptr<Connection> open_path(const std::string& path, ConnectionOptions options = {}) {
  return driver::connect_sqlite(DatabaseUrl::sqlite(path), options);
}

std::int64_t scalar(Connection& conn, const std::string& sql) {
  return conn.execute(sql)[0].get<std::int64_t>(0);
}

constexpr const char* kCountTo =
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $1) SELECT n FROM c";

class SqliteConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    conn = open_path(":memory:");
    conn->execute_script(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
        "CREATE TABLE tag (item_id INTEGER REFERENCES item(id) DEFERRABLE INITIALLY DEFERRED)");
  }
  std::int64_t items() { return scalar(*conn, "SELECT count(*) FROM item"); }
  std::unique_ptr<Connection> conn;
};

TEST(SqliteOpenSettings, FileDatabaseUsesWalAndForeignKeys) {
  testing::TempDir dir;
  auto conn = open_path((dir / "app.db").string());
  EXPECT_EQ(conn->dialect(), Dialect::sqlite);
  EXPECT_EQ(conn->execute("PRAGMA journal_mode")[0].get<std::string>(0), "wal");
  EXPECT_EQ(scalar(*conn, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(scalar(*conn, "PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_FALSE(conn->is_broken());
  EXPECT_TRUE(conn->check_alive());
}

TEST(SqliteOpenSettings, MemoryDatabaseHasForeignKeysAndIsPrivate) {
  auto a = open_path(":memory:");
  auto b = open_path(":memory:");
  EXPECT_EQ(scalar(*a, "PRAGMA foreign_keys"), 1);
  a->execute_script("CREATE TABLE only_in_a (x INT)");
  EXPECT_THROW(b->execute("SELECT * FROM only_in_a"), UndefinedTable);
}

TEST(SqliteOpenSettings, DataPersistsAcrossConnectionsToAFile) {
  testing::TempDir dir;
  std::string path = (dir / "keep.db").string();
  open_path(path)->execute_script("CREATE TABLE t (a INT); INSERT INTO t VALUES (42)");
  EXPECT_EQ(scalar(*open_path(path), "SELECT a FROM t"), 42);
}

TEST(SqliteOpenSettings, FileNamesAreNotUris) {
  testing::TempDir dir;
  std::string path = (dir / "file:odd?mode=ro").string();
  auto conn = open_path(path);
  conn->execute_script("CREATE TABLE t (a INT)");  // writable: the "?mode=ro" was not parsed
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(SqliteConnection, TinyStatementCacheEvictsAndKeepsWorking) {
  ConnectionOptions options;
  options.statement_cache_size = 2;
  auto small = open_path(":memory:", options);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(scalar(*small, "SELECT " + std::to_string(i) + " + " + std::to_string(round)),
                i + round);
    }
  }
  auto& sqlite = dynamic_cast<driver::sqlite::SqliteConnection&>(*small);
  EXPECT_LE(sqlite.cached_statements(), 2u);
}

TEST_F(SqliteConnection, WithoutPreparedStatementsNothingIsCached) {
  ConnectionOptions options;
  options.prepared_statements = false;
  auto plain = open_path(":memory:", options);
  EXPECT_EQ(plain->execute("SELECT $1 * 2", {21})[0].get<std::int64_t>(0), 42);
  EXPECT_EQ(dynamic_cast<driver::sqlite::SqliteConnection&>(*plain).cached_statements(), 0u);
}

TEST_F(SqliteConnection, StreamsManyRowsOneAtATime) {
  std::int64_t rows = 0;
  std::int64_t sum = 0;
  conn->stream(kCountTo, std::vector<Value>{200000}, [&](const Row& row) {
    ++rows;
    sum += row.get<std::int64_t>("n");
  });
  EXPECT_EQ(rows, 200000);
  EXPECT_EQ(sum, std::int64_t{200000} * 200001 / 2);
}

TEST_F(SqliteConnection, ThrowingCallbackLeavesTheConnectionUsable) {
  std::vector<Value> params{1000};
  int seen = 0;
  EXPECT_THROW(conn->stream(kCountTo, params,
                            [&](const Row&) {
                              if (++seen == 10) throw std::runtime_error("stop");
                            }),
               std::runtime_error);
  EXPECT_EQ(seen, 10);
  EXPECT_FALSE(conn->in_transaction());
  // The same (cached) statement starts again from the first row.
  std::int64_t first = 0;
  conn->stream(kCountTo, params, [&](const Row& row) {
    if (first == 0) first = row.get<std::int64_t>(0);
  });
  EXPECT_EQ(first, 1);
  conn->execute("INSERT INTO item (name) VALUES ('after')");
  EXPECT_EQ(items(), 1);
}

TEST_F(SqliteConnection, CallbackMayRunQueriesIncludingTheStreamedOne) {
  ConnectionOptions options;
  options.statement_cache_size = 1;
  auto small = open_path(":memory:", options);
  std::vector<Value> params{5};
  std::int64_t inner_total = 0;
  int outer = 0;
  small->stream(kCountTo, params, [&](const Row&) {
    ++outer;
    inner_total += small->execute(kCountTo, params).size();
    inner_total += small->execute("SELECT 1").size();  // evicts what it can from the cache
  });
  EXPECT_EQ(outer, 5);
  EXPECT_EQ(inner_total, 5 * 6);
}

TEST_F(SqliteConnection, PipelineReturnsOneResultPerStatement) {
  std::vector<Statement> batch = {
      {"INSERT INTO item (name) VALUES ($1)", {"a"}},
      {"INSERT INTO item (name) VALUES ($1), ($2)", {"b", "c"}},
      {"SELECT name FROM item ORDER BY name", {}},
  };
  std::vector<Result> results = conn->pipeline(batch);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].affected_rows(), 1);
  EXPECT_EQ(results[1].affected_rows(), 2);
  EXPECT_EQ(results[2].size(), 3u);
  EXPECT_EQ(results[2][2].get<std::string>(0), "c");
  EXPECT_FALSE(conn->in_transaction());
}

TEST_F(SqliteConnection, PipelineFailureMidBatchKeepsNothing) {
  std::vector<Statement> batch = {
      {"INSERT INTO item (name) VALUES ($1)", {"a"}},
      {"INSERT INTO item (name) VALUES ($1)", {"b"}},
      {"INSERT INTO item (name) VALUES ($1)", {"a"}},
      {"INSERT INTO item (name) VALUES ($1)", {"d"}},
  };
  try {
    conn->pipeline(batch);
    FAIL() << "no error";
  } catch (const UniqueViolation& e) {
    EXPECT_NE(std::string(e.what()).find("index 2"), std::string::npos) << e.what();
    EXPECT_EQ(e.constraint(), "item.name");
  }
  EXPECT_EQ(items(), 0);
  EXPECT_FALSE(conn->in_transaction());
}

TEST_F(SqliteConnection, PipelineRefusesBadTextBeforeRunningAnything) {
  std::vector<Statement> batch = {
      {"INSERT INTO item (name) VALUES ($1)", {"a"}},
      {"INSERT INTO item (name) VALUES ($1)", {std::string("b\0", 2)}},
  };
  try {
    conn->pipeline(batch);
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $1");
    EXPECT_NE(e.reason().find("index 1"), std::string::npos) << e.reason();
  }
  EXPECT_EQ(items(), 0);
}

TEST_F(SqliteConnection, PipelineInsideATransactionJoinsIt) {
  conn->begin({});
  conn->pipeline(std::vector<Statement>{{"INSERT INTO item (name) VALUES ('a')", {}}});
  EXPECT_TRUE(conn->in_transaction());
  conn->rollback();
  EXPECT_EQ(items(), 0);
}

TEST_F(SqliteConnection, CommitKeepsAndRollbackDiscards) {
  EXPECT_FALSE(conn->in_transaction());
  conn->begin({});
  EXPECT_TRUE(conn->in_transaction());
  conn->execute("INSERT INTO item (name) VALUES ('kept')");
  conn->commit();
  EXPECT_FALSE(conn->in_transaction());
  conn->begin({.isolation = IsolationLevel::serializable});
  conn->execute("INSERT INTO item (name) VALUES ('dropped')");
  conn->rollback();
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(items(), 1);
  conn->rollback();  // nothing open: a no-op, as PostgreSQL only warns
}

TEST_F(SqliteConnection, EveryIsolationLevelIsAccepted) {
  for (auto level : {IsolationLevel::default_level, IsolationLevel::read_committed,
                     IsolationLevel::repeatable_read, IsolationLevel::serializable}) {
    conn->begin({.isolation = level});
    conn->commit();
  }
}

TEST_F(SqliteConnection, BeginInsideATransactionIsAUsageError) {
  conn->begin({});
  EXPECT_THROW(conn->begin({}), UsageError);
  conn->rollback();
}

TEST_F(SqliteConnection, SavepointsNestInsideATransaction) {
  conn->begin({});
  conn->execute("INSERT INTO item (name) VALUES ('outer')");
  conn->savepoint("sp1");
  conn->execute("INSERT INTO item (name) VALUES ('undone')");
  conn->rollback_to_savepoint("sp1");
  conn->release_savepoint("sp1");
  conn->savepoint("sp2");
  conn->execute("INSERT INTO item (name) VALUES ('inner')");
  conn->release_savepoint("sp2");
  conn->commit();
  Result r = conn->execute("SELECT name FROM item ORDER BY name");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].get<std::string>(0), "inner");
  EXPECT_EQ(r[1].get<std::string>(0), "outer");
}

TEST_F(SqliteConnection, ReadOnlyTransactionReadsAndEndsCleanly) {
  conn->execute("INSERT INTO item (name) VALUES ('x')");
  conn->begin({.read_only = true});
  EXPECT_EQ(items(), 1);
  EXPECT_THROW(conn->execute("DELETE FROM item"), InsufficientPrivilege);
  conn->commit();
  EXPECT_EQ(scalar(*conn, "PRAGMA query_only"), 0);
  conn->execute("DELETE FROM item");
  EXPECT_EQ(items(), 0);
}

TEST_F(SqliteConnection, FailedCommitRollsBackLikePostgres) {
  conn->begin({});
  conn->execute("INSERT INTO item (name) VALUES ('a')");
  conn->execute("INSERT INTO tag VALUES (999)");  // deferred: checked at COMMIT
  EXPECT_THROW(conn->commit(), ForeignKeyViolation);
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(items(), 0);
}

TEST_F(SqliteConnection, StatementErrorInsideTransactionKeepsItOpen) {
  conn->begin({});
  conn->execute("INSERT INTO item (name) VALUES ('a')");
  EXPECT_THROW(conn->execute("INSERT INTO item (name) VALUES ('a')"), UniqueViolation);
  EXPECT_TRUE(conn->in_transaction());
  conn->commit();
  EXPECT_EQ(items(), 1);
}

}  // namespace
}  // namespace retort

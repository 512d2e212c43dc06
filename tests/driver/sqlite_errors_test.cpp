// SQLite backend: every failure surfaces as the exception PostgreSQL's SQLSTATE would give.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <string>

#include "driver/backends.hpp"
#include "driver/sqlite/sqlite_errors.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Connection> open_path(const std::string& path, ConnectionOptions options = {}) {
  return driver::connect_sqlite(DatabaseUrl::sqlite(path), options);
}

// Runs sql and returns the DatabaseError it must throw (failing the test if it throws another).
template <class Expected>
Expected expect_error(Connection& conn, const std::string& sql,
                      std::initializer_list<Value> params = {}) {
  try {
    conn.execute(sql, params);
  } catch (const Expected& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << sql << " threw the wrong exception: " << e.what();
    throw;
  }
  ADD_FAILURE() << sql << " did not throw";
  throw std::runtime_error("no exception");
}

class SqliteErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    conn = open_path(":memory:");
    conn->execute_script(R"(
      CREATE TABLE parent (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
      CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id),
                          qty INTEGER CONSTRAINT positive_qty CHECK (qty > 0),
                          note TEXT CHECK (length(note) < 5));
      INSERT INTO parent VALUES (1, 'a@example.com');
    )");
  }
  std::unique_ptr<Connection> conn;
};

TEST_F(SqliteErrors, UniqueViolationNamesTheColumns) {
  auto e = expect_error<UniqueViolation>(*conn, "INSERT INTO parent VALUES ($1, $2)",
                                         {2, "a@example.com"});
  EXPECT_EQ(e.sqlstate(), "23505");
  EXPECT_EQ(e.constraint(), "parent.email");
  EXPECT_EQ(e.info().table, "parent");
  EXPECT_EQ(e.info().column, "email");
  EXPECT_EQ(e.info().statement, "INSERT INTO parent VALUES ($1, $2)");
  // The statement is reported, its parameter values never are.
  EXPECT_EQ(std::string(e.what()).find("a@example.com"), std::string::npos) << e.what();
}

TEST_F(SqliteErrors, PrimaryKeyViolationIsAUniqueViolation) {
  auto e = expect_error<UniqueViolation>(*conn, "INSERT INTO parent VALUES (1, 'b')");
  EXPECT_EQ(e.constraint(), "parent.id");
}

TEST_F(SqliteErrors, MultiColumnUniqueListsEveryColumn) {
  conn->execute_script(
      "CREATE TABLE pair (a INT, b INT, UNIQUE (a, b)); INSERT INTO pair VALUES (1, 2)");
  auto e = expect_error<UniqueViolation>(*conn, "INSERT INTO pair VALUES (1, 2)");
  EXPECT_EQ(e.constraint(), "pair.a, pair.b");
  EXPECT_EQ(e.info().table, "pair");
  EXPECT_EQ(e.info().column, "");
}

TEST_F(SqliteErrors, ForeignKeyViolation) {
  auto e = expect_error<ForeignKeyViolation>(*conn, "INSERT INTO child (parent_id) VALUES (99)");
  EXPECT_EQ(e.sqlstate(), "23503");
}

TEST_F(SqliteErrors, CheckViolationNamesTheConstraint) {
  auto e = expect_error<CheckViolation>(*conn, "INSERT INTO child (qty) VALUES (0)");
  EXPECT_EQ(e.sqlstate(), "23514");
  EXPECT_EQ(e.constraint(), "positive_qty");
  // An unnamed CHECK is reported by its expression.
  auto unnamed = expect_error<CheckViolation>(*conn, "INSERT INTO child (note) VALUES ('toolong')");
  EXPECT_NE(unnamed.constraint().find("length(note)"), std::string::npos) << unnamed.constraint();
}

TEST_F(SqliteErrors, NotNullViolationNamesTheColumn) {
  auto e = expect_error<NotNullViolation>(*conn, "INSERT INTO parent (id) VALUES (5)");
  EXPECT_EQ(e.sqlstate(), "23502");
  EXPECT_EQ(e.info().table, "parent");
  EXPECT_EQ(e.info().column, "email");
}

TEST_F(SqliteErrors, UndefinedTableAndColumn) {
  EXPECT_EQ(expect_error<UndefinedTable>(*conn, "SELECT * FROM nope").sqlstate(), "42P01");
  EXPECT_EQ(expect_error<UndefinedColumn>(*conn, "SELECT nope FROM parent").sqlstate(), "42703");
  EXPECT_EQ(expect_error<UndefinedColumn>(*conn, "INSERT INTO parent (nope) VALUES (1)").sqlstate(),
            "42703");
  EXPECT_THROW(conn->execute_script("DROP TABLE nope"), UndefinedTable);
}

TEST_F(SqliteErrors, SyntaxErrors) {
  auto e = expect_error<SyntaxError>(*conn, "SELEC 1");
  EXPECT_EQ(e.sqlstate(), "42601");
  EXPECT_EQ(e.info().statement, "SELEC 1");
  EXPECT_EQ(expect_error<SyntaxError>(*conn, "SELECT (1").sqlstate(), "42601");
  try {
    conn->execute_script("CREATE TABLE ok (a INT); CREAT TABLE bad (a INT); SELECT 1;");
    FAIL() << "no error";
  } catch (const SyntaxError& script_error) {
    EXPECT_EQ(script_error.info().statement, "CREAT TABLE bad (a INT);");
  }
}

TEST_F(SqliteErrors, DuplicateTable) {
  EXPECT_EQ(expect_error<DuplicateObject>(*conn, "CREATE TABLE parent (x INT)").sqlstate(),
            "42P07");
}

TEST_F(SqliteErrors, DataExceptions) {
  EXPECT_EQ(expect_error<DataException>(*conn, "INSERT INTO parent VALUES ('abc', 'x')").sqlstate(),
            "22P02");
  EXPECT_THROW(conn->execute("SELECT json_extract($1, '$.a')", {"not json"}), DataException);
  conn->execute_script("CREATE TABLE strict_t (n INTEGER) STRICT");
  EXPECT_THROW(conn->execute("INSERT INTO strict_t VALUES ('abc')"), DataException);
}

TEST_F(SqliteErrors, ScriptErrorNamesTheFailingStatement) {
  try {
    conn->execute_script(
        "CREATE TABLE ok1 (a INT);\nINSERT INTO missing VALUES (1);\nCREATE TABLE ok2 (a INT);");
    FAIL() << "no error";
  } catch (const UndefinedTable& e) {
    EXPECT_EQ(e.info().statement, "INSERT INTO missing VALUES (1);");
  }
  // Statements before the failure ran (a script is not a transaction), later ones did not.
  EXPECT_NO_THROW(conn->execute("SELECT * FROM ok1"));
  EXPECT_THROW(conn->execute("SELECT * FROM ok2"), UndefinedTable);
}

TEST_F(SqliteErrors, WriteInReadOnlyTransactionIsInsufficientPrivilege) {
  conn->begin({.read_only = true});
  auto e = expect_error<InsufficientPrivilege>(*conn, "INSERT INTO parent VALUES (7, 'x')");
  EXPECT_EQ(e.sqlstate(), "42501");
  conn->rollback();
  // query_only is switched off again once the read-only transaction ends.
  conn->execute("INSERT INTO parent VALUES (7, 'x')");
}

TEST(SqliteLocking, WriterBlockedByAnotherWriterGetsLockNotAvailable) {
  testing::TempDir dir;
  std::string path = (dir / "locks.db").string();
  auto holder = open_path(path);
  holder->execute_script("CREATE TABLE t (a INT)");
  ConnectionOptions impatient;
  impatient.busy_timeout = 50ms;
  auto waiter = open_path(path, impatient);

  holder->begin({});  // BEGIN IMMEDIATE: holds the write lock
  auto started = std::chrono::steady_clock::now();
  auto e = expect_error<LockNotAvailable>(*waiter, "INSERT INTO t VALUES (1)");
  EXPECT_EQ(e.sqlstate(), "55P03");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 40ms);  // waited on busy_timeout
  EXPECT_THROW(waiter->begin({}), LockNotAvailable);
  EXPECT_FALSE(waiter->in_transaction());
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_EQ(waiter->execute("SELECT count(*) FROM t")[0].get<std::int64_t>(0), 0);
  holder->commit();
  waiter->execute("INSERT INTO t VALUES (1)");
  EXPECT_FALSE(waiter->is_broken());
}

TEST(SqliteOpen, MissingDirectoryIsAConnectionErrorNamingThePath) {
  testing::TempDir dir;
  std::string path = (dir / "no_such_dir" / "app.db").string();
  try {
    open_path(path);
    FAIL() << "opened a database in a missing directory";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.sqlstate(), "08001");
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST(SqliteOpen, FileThatIsNotADatabaseIsAConnectionError) {
  testing::TempDir dir;
  std::string path = (dir / "garbage.db").string();
  std::ofstream(path) << std::string(4096, 'x');
  try {
    open_path(path);
    FAIL() << "opened a garbage file";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(SqliteErrorMapping, ExtendedCodesMapToPostgresStates) {
  using driver::sqlite::sqlstate_for;
  EXPECT_EQ(sqlstate_for(SQLITE_CONSTRAINT_UNIQUE, ""), "23505");
  EXPECT_EQ(sqlstate_for(SQLITE_CONSTRAINT_PRIMARYKEY, ""), "23505");
  EXPECT_EQ(sqlstate_for(SQLITE_CONSTRAINT_FOREIGNKEY, ""), "23503");
  EXPECT_EQ(sqlstate_for(SQLITE_CONSTRAINT_CHECK, ""), "23514");
  EXPECT_EQ(sqlstate_for(SQLITE_CONSTRAINT_NOTNULL, ""), "23502");
  EXPECT_EQ(sqlstate_for(SQLITE_BUSY, ""), "55P03");
  EXPECT_EQ(sqlstate_for(SQLITE_BUSY_TIMEOUT, ""), "55P03");
  EXPECT_EQ(sqlstate_for(SQLITE_LOCKED_SHAREDCACHE, ""), "55P03");
  EXPECT_EQ(sqlstate_for(SQLITE_BUSY_SNAPSHOT, ""), "40001");
  EXPECT_EQ(sqlstate_for(SQLITE_INTERRUPT, "interrupted"), "57014");
  EXPECT_EQ(sqlstate_for(SQLITE_READONLY, ""), "42501");
  EXPECT_EQ(sqlstate_for(SQLITE_AUTH, ""), "42501");
  EXPECT_EQ(sqlstate_for(SQLITE_PERM, ""), "42501");
  EXPECT_EQ(sqlstate_for(SQLITE_TOOBIG, ""), "22001");
  EXPECT_EQ(sqlstate_for(SQLITE_MISMATCH, ""), "22P02");
  EXPECT_EQ(sqlstate_for(SQLITE_RANGE, ""), "22023");
  EXPECT_EQ(sqlstate_for(SQLITE_IOERR_READ, ""), "58030");
  EXPECT_EQ(sqlstate_for(SQLITE_CORRUPT, ""), "58030");
  EXPECT_EQ(sqlstate_for(SQLITE_NOTADB, ""), "58030");
  EXPECT_EQ(sqlstate_for(SQLITE_CANTOPEN, ""), "58030");
  EXPECT_EQ(sqlstate_for(SQLITE_ERROR, "no such table: t"), "42P01");
  EXPECT_EQ(sqlstate_for(SQLITE_ERROR, "table t has no column named x"), "42703");
  EXPECT_EQ(sqlstate_for(SQLITE_ERROR, "incomplete input"), "42601");
  EXPECT_EQ(sqlstate_for(SQLITE_ERROR, "index i already exists"), "42P07");
  EXPECT_EQ(sqlstate_for(SQLITE_ERROR, "something new"), "42000");
  EXPECT_TRUE(driver::sqlite::is_fatal_error(SQLITE_IOERR_WRITE));
  EXPECT_FALSE(driver::sqlite::is_fatal_error(SQLITE_BUSY));
}

TEST(SqliteErrorMapping, InterruptIsQueryCanceled) {
  // The mapping end to end: throw_database_error picks the class from the state.
  ErrorInfo info = driver::sqlite::describe_error(SQLITE_INTERRUPT, "interrupted", "SELECT 1");
  EXPECT_THROW(throw_database_error(info), QueryCanceled);
  info = driver::sqlite::describe_error(SQLITE_BUSY, "database is locked", "SELECT 1");
  EXPECT_THROW(throw_database_error(info), LockNotAvailable);
}

}  // namespace
}  // namespace retort

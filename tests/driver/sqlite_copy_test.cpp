// SQLite backend: copy_in (bulk INSERT inside a savepoint).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "driver/backends.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

std::unique_ptr<Connection> open_path(const std::string& path) {
  return driver::connect_sqlite(DatabaseUrl::sqlite(path), {});
}

std::int64_t count_rows(Connection& conn, const std::string& table = "reading") {
  return conn.execute("SELECT count(*) FROM " + table)[0].get<std::int64_t>(0);
}

const std::vector<std::string> kColumns = {"id", "sensor", "label", "value", "at"};

std::vector<Value> reading(std::int64_t i) {
  return {i,
          Uuid(Uuid::Bytes{static_cast<std::uint8_t>(i % 256), 1, 2, 3, 4, 5, 0x40, 7, 0x80, 9, 10,
                           11, 12, 13, 14, static_cast<std::uint8_t>(i / 256)}),
          "label " + std::to_string(i), static_cast<double>(i) / 4,
          Timestamp::from_micros(1'700'000'000'000'000 + i)};
}

class SqliteCopy : public ::testing::Test {
 protected:
  void SetUp() override {
    conn = open_path((dir / "copy.db").string());
    conn->execute_script(
        "CREATE TABLE reading (id BIGINT PRIMARY KEY, sensor UUID, label TEXT, value DOUBLE, "
        "at TIMESTAMPTZ)");
  }
  testing::TempDir dir;
  std::unique_ptr<Connection> conn;
};

TEST_F(SqliteCopy, FiftyThousandRowsArriveIntact) {
  auto writer = conn->copy_in("reading", kColumns);
  for (std::int64_t i = 0; i < 50000; ++i) writer->write_row(reading(i));
  EXPECT_EQ(writer->finish(), 50000);
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(count_rows(*conn), 50000);
  for (std::int64_t i : {0, 1, 12345, 49999}) {
    Result result =
        conn->execute("SELECT id, sensor, label, value, at FROM reading WHERE id = $1", {i});
    Row row = result[0];
    std::vector<Value> expected = reading(i);
    for (std::size_t c = 0; c < expected.size(); ++c) EXPECT_EQ(row[c], expected[c]) << i << c;
  }
}

TEST_F(SqliteCopy, AbandonedCopyStoresNothing) {
  {
    auto writer = conn->copy_in("reading", kColumns);
    for (std::int64_t i = 0; i < 100; ++i) writer->write_row(reading(i));
  }
  EXPECT_EQ(count_rows(*conn), 0);
  EXPECT_FALSE(conn->in_transaction());
}

TEST_F(SqliteCopy, AbandonedCopyInsideATransactionUndoesOnlyItsRows) {
  conn->begin({});
  conn->execute("INSERT INTO reading (id) VALUES (-1)");
  {
    auto writer = conn->copy_in("reading", kColumns);
    writer->write_row(reading(1));
  }
  EXPECT_TRUE(conn->in_transaction());
  conn->commit();
  EXPECT_EQ(count_rows(*conn), 1);
}

TEST_F(SqliteCopy, CopyInsideATransactionCommitsWithIt) {
  conn->begin({});
  auto writer = conn->copy_in("reading", kColumns);
  writer->write_row(reading(1));
  EXPECT_EQ(writer->finish(), 1);
  EXPECT_TRUE(conn->in_transaction());
  conn->rollback();
  EXPECT_EQ(count_rows(*conn), 0);
}

TEST_F(SqliteCopy, FailingRowVoidsTheWholeCopy) {
  auto writer = conn->copy_in("reading", kColumns);
  writer->write_row(reading(1));
  writer->write_row(reading(2));
  EXPECT_THROW(writer->write_row(reading(1)), UniqueViolation);
  EXPECT_THROW(writer->write_row(reading(3)), UsageError);
  EXPECT_THROW(writer->finish(), UsageError);
  writer.reset();
  EXPECT_EQ(count_rows(*conn), 0);
  EXPECT_FALSE(conn->in_transaction());
}

TEST_F(SqliteCopy, BadTextNamesTheColumnAndTheCopyGoesOn) {
  auto writer = conn->copy_in("reading", kColumns);
  std::vector<Value> bad = reading(1);
  bad[2] = std::string("bad\xff");
  try {
    writer->write_row(bad);
    FAIL() << "no InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "label");
    EXPECT_NE(e.reason().find("row 1"), std::string::npos) << e.reason();
  }
  writer->write_row(reading(2));
  EXPECT_EQ(writer->finish(), 1);
  EXPECT_EQ(count_rows(*conn), 1);
}

TEST_F(SqliteCopy, RowWidthMustMatchTheColumns) {
  auto writer = conn->copy_in("reading", kColumns);
  EXPECT_THROW(writer->write_row(std::vector<Value>{1, 2}), UsageError);
}

TEST_F(SqliteCopy, SchemaQualifiedAndOddlyNamedTables) {
  conn->execute_script(R"(CREATE TABLE "we""ird t" ("a b" TEXT))");
  std::vector<std::string> columns{"a b"};
  auto writer = conn->copy_in(QualifiedName("main", "we\"ird t"), columns);
  writer->write_row(std::vector<Value>{"x"});
  EXPECT_EQ(writer->finish(), 1);
  EXPECT_EQ(count_rows(*conn, R"("we""ird t")"), 1);
}

// Regression: the table was a "schema.table" string split at every dot, so a table whose own
// name holds a dot could not be written ("v1"."readings" instead of "v1.readings").
TEST_F(SqliteCopy, ADotInsideATableNameIsPartOfTheName) {
  conn->execute_script(R"(CREATE TABLE "v1.readings" (a INTEGER))");
  std::vector<std::string> columns{"a"};
  auto writer = conn->copy_in("v1.readings", columns);
  writer->write_row(std::vector<Value>{7});
  EXPECT_EQ(writer->finish(), 1);
  EXPECT_EQ(count_rows(*conn, R"("v1.readings")"), 1);
}

TEST_F(SqliteCopy, MissingTableFailsAtTheStart) {
  EXPECT_THROW(conn->copy_in("nope", kColumns), UndefinedTable);
  EXPECT_FALSE(conn->in_transaction());
}

TEST_F(SqliteCopy, WriterMayOutliveItsConnection) {
  auto writer = conn->copy_in("reading", kColumns);
  writer->write_row(reading(1));
  conn.reset();
  writer.reset();  // rolls back on the still-open handle, then closes it
  EXPECT_EQ(count_rows(*open_path((dir / "copy.db").string())), 0);
}

// Compares copy_in with the plain sqlite3 loop it wraps. Only reported here (Debug and
// sanitizer builds distort both sides); the benchmarks hold the real target.
TEST_F(SqliteCopy, SpeedComparedWithRawSqlite) {
  constexpr int kRows = 20000;
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < kRows; ++i) rows.push_back(reading(i));

  auto started = std::chrono::steady_clock::now();
  auto writer = conn->copy_in("reading", kColumns);
  for (const auto& row : rows) writer->write_row(row);
  writer->finish();
  auto ours = std::chrono::steady_clock::now() - started;

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "raw.db").string().c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE reading "
               "(id BIGINT PRIMARY KEY, sensor UUID, label TEXT, value DOUBLE, at TIMESTAMPTZ)",
               nullptr, nullptr, nullptr);
  started = std::chrono::steady_clock::now();
  sqlite3_stmt* stmt = nullptr;
  sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_prepare_v2(raw, "INSERT INTO reading VALUES (?, ?, ?, ?, ?)", -1, &stmt, nullptr);
  for (const auto& row : rows) {
    std::string sensor = row[1].as_uuid().to_string();
    std::string at = row[4].as_timestamp().to_string();
    sqlite3_bind_int64(stmt, 1, row[0].as_int64());
    sqlite3_bind_text(stmt, 2, sensor.c_str(), 36, nullptr);
    sqlite3_bind_text(stmt, 3, row[2].as_text().c_str(), -1, nullptr);
    sqlite3_bind_double(stmt, 4, row[3].as_double());
    sqlite3_bind_text(stmt, 5, at.c_str(), 27, nullptr);
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  auto direct = std::chrono::steady_clock::now() - started;
  sqlite3_close(raw);

  double ratio =
      std::chrono::duration<double>(direct).count() / std::chrono::duration<double>(ours).count();
  RecordProperty("raw_over_copy_in", std::to_string(ratio));
  std::printf("copy_in speed relative to raw sqlite3: %.2f\n", ratio);
  EXPECT_EQ(count_rows(*conn), kRows);
}

class SqliteCopyChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    conn = open_path((dir / "checks.db").string());
    conn->execute_script(
        "CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT CHECK (json_valid(body)))");
  }
  std::unique_ptr<CopyWriter> unchecked_copy() {
    CopyOptions options;
    options.checks_verified = true;
    return conn->copy_in("doc", std::vector<std::string>{"id", "body"}, options);
  }
  testing::TempDir dir;
  std::unique_ptr<Connection> conn;
};

TEST_F(SqliteCopyChecks, VerifiedCopySkipsChecksAndOnlyWhileOpen) {
  auto writer = unchecked_copy();
  // The contract: the caller checked; SQLite does not evaluate the CHECK again.
  writer->write_row(std::vector<Value>{1, "not json"});
  writer->write_row(std::vector<Value>{2, "[1]"});
  // Any other statement on the connection would skip its CHECKs too: refused meanwhile.
  EXPECT_THROW(conn->execute("INSERT INTO doc VALUES (3, 'x')"), UsageError);
  EXPECT_THROW(conn->execute_script("INSERT INTO doc VALUES (3, 'x')"), UsageError);
  EXPECT_THROW(conn->copy_in("doc", std::vector<std::string>{"id", "body"}), UsageError);
  EXPECT_EQ(writer->finish(), 2);
  EXPECT_EQ(count_rows(*conn, "doc"), 2);
  // Once the copy is over the CHECK holds again, for statements and for plain copies.
  EXPECT_THROW(conn->execute("INSERT INTO doc VALUES (3, 'x')"), CheckViolation);
  auto plain = conn->copy_in("doc", std::vector<std::string>{"id", "body"});
  EXPECT_THROW(plain->write_row(std::vector<Value>{4, "{"}), CheckViolation);
  plain.reset();
  EXPECT_EQ(count_rows(*conn, "doc"), 2);
}

TEST_F(SqliteCopyChecks, AbandonedOrFailedVerifiedCopyRestoresChecks) {
  {
    auto writer = unchecked_copy();
    writer->write_row(std::vector<Value>{1, "[]"});
  }  // abandoned: nothing stored
  EXPECT_EQ(count_rows(*conn, "doc"), 0);
  EXPECT_THROW(conn->execute("INSERT INTO doc VALUES (1, 'x')"), CheckViolation);
  {
    auto writer = unchecked_copy();
    writer->write_row(std::vector<Value>{1, "[]"});
    EXPECT_THROW(writer->write_row(std::vector<Value>{1, "[]"}), UniqueViolation);
  }
  EXPECT_EQ(count_rows(*conn, "doc"), 0);
  EXPECT_THROW(conn->execute("INSERT INTO doc VALUES (1, 'x')"), CheckViolation);
  conn->execute("INSERT INTO doc VALUES (1, '{}')");
  EXPECT_EQ(count_rows(*conn, "doc"), 1);
}

}  // namespace
}  // namespace retort

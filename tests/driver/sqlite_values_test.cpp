// SQLite backend: values in and out, placeholders, text validation.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "driver/backends.hpp"
#include "driver/sqlite/sqlite_values.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

std::unique_ptr<Connection> open_memory() {
  return driver::connect_sqlite(DatabaseUrl::sqlite(":memory:"), {});
}

std::int64_t count_rows(Connection& conn, const std::string& table) {
  return conn.execute("SELECT count(*) FROM " + table)[0].get<std::int64_t>(0);
}

std::string all_bytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  return bytes;
}

class SqliteValues : public ::testing::Test {
 protected:
  void SetUp() override {
    conn = open_memory();
    conn->execute_script(
        "CREATE TABLE typed (id UUID, name TEXT, n BIGINT, x DOUBLE, flag BOOLEAN, data BLOB, "
        "at TIMESTAMPTZ, doc JSON)");
  }
  std::unique_ptr<Connection> conn;
};

TEST_F(SqliteValues, EveryKindRoundTripsThroughTypedColumns) {
  Uuid id = Uuid::v4();
  Timestamp at = Timestamp::parse("2026-11-21T05:22:27.123456Z");
  JsonText doc{R"({"a":[1,2,{"b":null}],"s":"é"})"};
  conn->execute("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                {id, "héllo wörld ✓", std::numeric_limits<std::int64_t>::min(), 2.5, true,
                 Bytes{all_bytes()}, at, doc});
  Result r = conn->execute("SELECT id, name, n, x, flag, data, at, doc FROM typed");
  ASSERT_EQ(r.size(), 1u);
  Row row = r[0];
  EXPECT_EQ(row["id"].kind(), Value::Kind::uuid);
  EXPECT_EQ(row.get<Uuid>("id"), id);
  EXPECT_EQ(row.get<std::string>("name"), "héllo wörld ✓");
  EXPECT_EQ(row.get<std::int64_t>("n"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(row["x"].kind(), Value::Kind::float64);
  EXPECT_EQ(row.get<double>("x"), 2.5);
  EXPECT_EQ(row["flag"].kind(), Value::Kind::boolean);
  EXPECT_TRUE(row.get<bool>("flag"));
  EXPECT_EQ(row.get<Bytes>("data").data, all_bytes());
  EXPECT_EQ(row["at"].kind(), Value::Kind::timestamp);
  EXPECT_EQ(row.get<Timestamp>("at"), at);
  EXPECT_EQ(row["doc"].kind(), Value::Kind::json);
  EXPECT_EQ(row.get<JsonText>("doc"), doc);
}

TEST_F(SqliteValues, NullRoundTripsInEveryColumn) {
  std::vector<Value> nulls(8);
  conn->execute("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", nulls);
  Result r = conn->execute("SELECT * FROM typed");
  ASSERT_EQ(r.size(), 1u);
  for (std::size_t c = 0; c < 8; ++c) EXPECT_TRUE(r.cell(0, c).is_null()) << c;
  EXPECT_EQ(r[0].get<std::optional<Uuid>>(0), std::nullopt);
}

TEST_F(SqliteValues, EdgeValuesKeepTheirKinds) {
  conn->execute("INSERT INTO typed (n, x, flag, data, name) VALUES ($1, $2, $3, $4, $5)",
                {std::numeric_limits<std::int64_t>::max(), -0.125, false, Bytes{}, ""});
  Result result = conn->execute("SELECT n, x, flag, data, name FROM typed");
  Row row = result[0];
  EXPECT_EQ(row.get<std::int64_t>(0), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(row.get<double>(1), -0.125);
  EXPECT_EQ(row[2], Value(false));
  EXPECT_EQ(row[3], Value(Bytes{}));  // an empty blob, not NULL
  EXPECT_EQ(row[4], Value(""));
}

TEST_F(SqliteValues, JsonDocumentsThatLookNumericStayJson) {
  // JSON columns have NUMERIC affinity: SQLite stores "5" as the integer 5.
  conn->execute("INSERT INTO typed (doc) VALUES ($1), ($2), ($3)",
                {JsonText{"5"}, JsonText{"2.5"}, JsonText{"true"}});
  Result r = conn->execute("SELECT doc FROM typed ORDER BY rowid");
  EXPECT_EQ(r[0][0], Value(JsonText{"5"}));
  EXPECT_EQ(r[1][0], Value(JsonText{"2.5"}));
  EXPECT_EQ(r[2][0], Value(JsonText{"true"}));
}

TEST_F(SqliteValues, Json1FunctionsWorkOnJsonColumns) {
  conn->execute("INSERT INTO typed (doc) VALUES ($1)", {JsonText{R"({"user":{"name":"ada"}})"}});
  EXPECT_EQ(
      conn->execute("SELECT json_extract(doc, '$.user.name') FROM typed")[0].get<std::string>(0),
      "ada");
  EXPECT_EQ(conn->execute("SELECT doc ->> '$.user.name' FROM typed")[0].get<std::string>(0), "ada");
  EXPECT_EQ(conn->execute("SELECT doc -> '$.user' FROM typed")[0].get<std::string>(0),
            R"({"name":"ada"})");
  EXPECT_EQ(conn->execute("SELECT json_valid(doc) FROM typed")[0].get<std::int64_t>(0), 1);
}

TEST_F(SqliteValues, TextThatIsNotAUuidOrTimestampStaysText) {
  conn->execute("INSERT INTO typed (id, at) VALUES ($1, $2)", {"not-a-uuid", "yesterday"});
  Result result = conn->execute("SELECT id, at FROM typed");
  Row row = result[0];
  EXPECT_EQ(row[0], Value("not-a-uuid"));
  EXPECT_EQ(row[1], Value("yesterday"));
}

TEST_F(SqliteValues, UuidsAreStoredAsCanonicalLowerCaseText) {
  Uuid id = Uuid::parse("ABCDEF01-2345-6789-ABCD-EF0123456789");
  conn->execute("INSERT INTO typed (id) VALUES ($1)", {id});
  EXPECT_EQ(conn->execute("SELECT CAST(id AS TEXT) FROM typed")[0].get<std::string>(0),
            "abcdef01-2345-6789-abcd-ef0123456789");
}

TEST_F(SqliteValues, TimestampsSortInTimeOrder) {
  std::vector<Timestamp> times = {
      Timestamp::parse("2026-01-02T00:00:00Z"), Timestamp::parse("1969-12-31T23:59:59.999999Z"),
      Timestamp::parse("2026-01-01T23:59:59.5Z"), Timestamp::from_micros(0)};
  for (const Timestamp& t : times) conn->execute("INSERT INTO typed (at) VALUES ($1)", {t});
  Result r = conn->execute("SELECT at FROM typed ORDER BY at");
  std::sort(times.begin(), times.end());
  ASSERT_EQ(r.size(), times.size());
  for (std::size_t i = 0; i < times.size(); ++i) EXPECT_EQ(r[i].get<Timestamp>(0), times[i]);
}

TEST(SqliteValueFormat, DeclaredTypesPickTheCppType) {
  using driver::sqlite::ColumnHint;
  using driver::sqlite::hint_for_declared_type;
  EXPECT_EQ(hint_for_declared_type("boolean"), ColumnHint::boolean);
  EXPECT_EQ(hint_for_declared_type("BOOL"), ColumnHint::boolean);
  EXPECT_EQ(hint_for_declared_type("Uuid"), ColumnHint::uuid);
  EXPECT_EQ(hint_for_declared_type("timestamptz"), ColumnHint::timestamp);
  EXPECT_EQ(hint_for_declared_type("DATETIME"), ColumnHint::timestamp);
  EXPECT_EQ(hint_for_declared_type("timestamp with time zone"), ColumnHint::timestamp);
  EXPECT_EQ(hint_for_declared_type("JSONB"), ColumnHint::json);
  EXPECT_EQ(hint_for_declared_type("VARCHAR(36)"), ColumnHint::none);
  EXPECT_EQ(hint_for_declared_type(nullptr), ColumnHint::none);
}

TEST_F(SqliteValues, ExpressionColumnsDecodeByStorageClass) {
  Result result = conn->execute("SELECT 1, 1.5, 'x', x'00ff', NULL, true");
  Row row = result[0];
  EXPECT_EQ(row[0], Value(1));
  EXPECT_EQ(row[1], Value(1.5));
  EXPECT_EQ(row[2], Value("x"));
  EXPECT_EQ(row[3], Value(Bytes{std::string("\x00\xff", 2)}));
  EXPECT_TRUE(row[4].is_null());
  EXPECT_EQ(row[5], Value(1));  // no declared type: SQLite's true is the integer 1
}

TEST_F(SqliteValues, PlaceholdersOutOfOrderAndRepeated) {
  Result result = conn->execute("SELECT $2 AS b, $1 AS a, $2 || $1 AS ba", {"a", "b"});
  Row row = result[0];
  EXPECT_EQ(row.get<std::string>("b"), "b");
  EXPECT_EQ(row.get<std::string>("a"), "a");
  EXPECT_EQ(row.get<std::string>("ba"), "ba");
  EXPECT_EQ(conn->execute("SELECT $1 + $1 + $1", {7})[0].get<std::int64_t>(0), 21);
}

TEST_F(SqliteValues, QuestionMarkPlaceholders) {
  EXPECT_EQ(conn->execute("SELECT ? || ?", {"x", "y"})[0].get<std::string>(0), "xy");
  EXPECT_EQ(conn->execute("SELECT ?2 || ?1", {"x", "y"})[0].get<std::string>(0), "yx");
}

TEST_F(SqliteValues, WrongParameterCountSaysExpectedAndGiven) {
  try {
    conn->execute("SELECT $1, $2", {1});
    FAIL() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("expects 2 parameters, 1 given"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(conn->execute("SELECT 1", {1}), UsageError);
  EXPECT_THROW(conn->execute("SELECT $3", {1, 2}), UsageError);
}

TEST_F(SqliteValues, NamedParametersAreRefused) {
  EXPECT_THROW(conn->execute("SELECT :name", {1}), UsageError);
  EXPECT_THROW(conn->execute("SELECT $0", {1}), UsageError);
}

TEST_F(SqliteValues, SeveralStatementsInExecuteAreRefused) {
  EXPECT_THROW(conn->execute("SELECT 1; SELECT 2"), UsageError);
  // Trailing semicolons and comments are not a second statement.
  EXPECT_EQ(conn->execute("SELECT 1; -- done\n")[0].get<std::int64_t>(0), 1);
  EXPECT_TRUE(conn->execute("  -- nothing\n").empty());
}

TEST_F(SqliteValues, ParametersAreNeverSplicedIntoSql) {
  const std::string nasty = "'); DROP TABLE typed; --";
  conn->execute("INSERT INTO typed (name) VALUES ($1)", {nasty});
  EXPECT_EQ(conn->execute("SELECT name FROM typed")[0].get<std::string>(0), nasty);
  EXPECT_EQ(count_rows(*conn, "typed"), 1);
}

TEST_F(SqliteValues, NulByteIsRefusedAndNothingStored) {
  try {
    conn->execute("INSERT INTO typed (n, name) VALUES ($1, $2)", {1, std::string("a\0b", 3)});
    FAIL() << "no InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $2");
    EXPECT_EQ(e.offset(), 1u);
  }
  EXPECT_EQ(count_rows(*conn, "typed"), 0);
}

TEST_F(SqliteValues, InvalidUtf8IsRefusedAndNothingStored) {
  try {
    conn->execute("INSERT INTO typed (name) VALUES ($1)", {std::string("ok\xc3\x28")});
    FAIL() << "no InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $1");
  }
  EXPECT_THROW(conn->execute("INSERT INTO typed (doc) VALUES ($1)", {JsonText{"\"\xff\""}}),
               InvalidInput);
  EXPECT_EQ(count_rows(*conn, "typed"), 0);
}

TEST_F(SqliteValues, AffectedRowsCountsChangesAndReturnedRows) {
  Result insert = conn->execute("INSERT INTO typed (n) VALUES (1), (2), (3)");
  EXPECT_EQ(insert.affected_rows(), 3);
  EXPECT_EQ(conn->execute("UPDATE typed SET n = n + 1 WHERE n >= $1", {2}).affected_rows(), 2);
  EXPECT_EQ(conn->execute("UPDATE typed SET n = 0 WHERE n > 100").affected_rows(), 0);
  EXPECT_EQ(conn->execute("CREATE TABLE other (a INTEGER)").affected_rows(), 0);
  EXPECT_EQ(conn->execute("SELECT n FROM typed").affected_rows(), 3);
  Result returning = conn->execute("DELETE FROM typed WHERE n = 1 RETURNING n");
  EXPECT_EQ(returning.affected_rows(), 1);
  EXPECT_EQ(returning[0].get<std::int64_t>("n"), 1);
}

}  // namespace
}  // namespace retort

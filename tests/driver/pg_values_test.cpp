// Values through the PostgreSQL driver: every kind through every column type, parameters
// bound (never spliced), and text refused before it is sent.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "driver/postgres/pg_values.hpp"
#include "pg_fixture.hpp"

namespace retort::testing {
namespace {

using driver::pg::append_copy_field;
using driver::pg::decode_cell;
using driver::pg::format_double;

const char* kCreateAll =
    "CREATE TABLE v (k int PRIMARY KEY, u uuid, t text, b bigint, i int, d double precision, "
    "f boolean, by bytea, ts timestamptz, tsn timestamp, j json, jb jsonb, n numeric)";
const char* kInsertAll =
    "INSERT INTO v (k, u, t, b, i, d, f, by, ts, tsn, j, jb, n) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const char* kSelectAll = "SELECT u, t, b, i, d, f, by, ts, tsn, j, jb, n FROM v WHERE k = $1";

Bytes all_bytes() {
  Bytes bytes;
  for (int i = 0; i < 256; ++i) bytes.data.push_back(static_cast<char>(i));
  return bytes;
}

// The same checks in both statement modes: prepared (cached) and unnamed.
class PgValues : public PgTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    ConnectionOptions options;
    options.prepared_statements = GetParam();
    db_ = open(options);
    db_->execute(kCreateAll);
  }
};

TEST_P(PgValues, EveryKindRoundTripsThroughItsColumnType) {
  const Uuid id = Uuid::v7();
  const std::string text = "tab\t nl\n quote' \" back\\slash unicode é 日本 🎉";
  const Timestamp at = Timestamp::from_micros(1'795'000'000'123'456);
  const JsonText json{R"({"b": [1, 2.5, {"c": null}], "a": "x\ny"})"};
  const JsonText jsonb{R"({"a": "x\"y", "b": [1, 2.5, {"c": null}]})"};
  for (int pass = 0; pass < 2; ++pass) {  // the second pass reuses the prepared statements
    db_->execute(kInsertAll,
                 {pass, id, text, std::numeric_limits<std::int64_t>::min(), 2147483647, 0.1, true,
                  all_bytes(), at, at, json, jsonb, "12345678901234567890.000000001"});
    const Result r = db_->execute(kSelectAll, {pass});
    ASSERT_EQ(r.size(), 1u);
    const Row row = r[0];
    EXPECT_EQ(row["u"].as_uuid(), id);
    EXPECT_EQ(row["t"].as_text(), text);
    EXPECT_EQ(row["b"].as_int64(), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(row["i"].as_int64(), 2147483647);
    EXPECT_EQ(row["d"].as_double(), 0.1);
    EXPECT_EQ(row["f"].as_bool(), true);
    EXPECT_EQ(row["by"].as_bytes(), all_bytes());
    EXPECT_EQ(row["ts"].as_timestamp(), at);
    EXPECT_EQ(row["tsn"].as_timestamp(), at);
    EXPECT_EQ(row["j"].as_json(), json);    // json keeps the text as sent
    EXPECT_EQ(row["jb"].as_json(), jsonb);  // already in jsonb's normal form
    EXPECT_EQ(row["n"].kind(), Value::Kind::text);
    EXPECT_EQ(row["n"].as_text(), "12345678901234567890.000000001");
  }
}

TEST_P(PgValues, NullRoundTripsThroughEveryColumnType) {
  std::vector<Value> params(13);
  params[0] = 7;
  db_->execute(kInsertAll, params);
  db_->execute(kInsertAll,
               {8, std::optional<Uuid>(), std::optional<std::string>(), Value(), Value(), Value(),
                Value(), Value(), Value(), Value(), Value(), Value(), Value()});
  for (int k : {7, 8}) {
    const Result r = db_->execute(kSelectAll, {k});
    ASSERT_EQ(r.size(), 1u);
    for (std::size_t c = 0; c < r.columns().size(); ++c) {
      EXPECT_TRUE(r[0][c].is_null()) << r.columns()[c];
    }
  }
}

TEST_P(PgValues, DoublesKeepEveryBitIncludingSpecialValues) {
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      1.0 / 3.0,
                                      1e300,
                                      -2.2250738585072014e-308,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
  for (std::size_t i = 0; i < values.size(); ++i) {
    db_->execute("INSERT INTO v (k, d) VALUES ($1, $2)", {i, values[i]});
    const double back = db_->execute("SELECT d FROM v WHERE k = $1", {i}).at(0)[0].as_double();
    EXPECT_EQ(back, values[i]);
    EXPECT_EQ(std::signbit(back), std::signbit(values[i]));
  }
  db_->execute("INSERT INTO v (k, d) VALUES (100, $1)", {std::nan("")});
  EXPECT_TRUE(std::isnan(db_->execute("SELECT d FROM v WHERE k = 100").at(0)[0].as_double()));
}

TEST_P(PgValues, IntegersAndBooleansAsParametersOfExpressions) {
  const Result r =
      db_->execute("SELECT $1 + 1 AS n, NOT $2 AS b, $3 AS t, $4::int AS small",
                   {std::numeric_limits<std::int64_t>::max() - 1, false, "text", -32768});
  EXPECT_EQ(r.at(0)["n"].as_int64(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r.at(0)["b"].as_bool(), true);
  EXPECT_EQ(r.at(0)["t"].as_text(), "text");
  EXPECT_EQ(r.at(0)["small"].as_int64(), -32768);
  const Result types = db_->execute(
      "SELECT 1::smallint AS s, 2::oid AS o, 1.5::real AS r, DATE '2026-01-02' AS d, "
      "ARRAY[1,2] AS a, 'x'::varchar AS v");
  EXPECT_EQ(types.at(0)["s"].as_int64(), 1);
  EXPECT_EQ(types.at(0)["o"].as_int64(), 2);
  EXPECT_EQ(types.at(0)["r"].as_double(), 1.5);
  EXPECT_EQ(types.at(0)["d"].as_text(), "2026-01-02");
  EXPECT_EQ(types.at(0)["a"].as_text(), "{1,2}");
  EXPECT_EQ(types.at(0)["v"].as_text(), "x");
}

TEST_P(PgValues, ParametersAreNeverSplicedIntoTheSql) {
  const std::string hostile = "'); DROP TABLE v; --";
  db_->execute("INSERT INTO v (k, t) VALUES ($1, $2)", {1, hostile});
  const std::string quoted = "$1 ' \" \\ ;";
  db_->execute("INSERT INTO v (k, t) VALUES ($1, $2)", {2, quoted});
  EXPECT_EQ(db_->execute("SELECT t FROM v WHERE k = 1").at(0)[0].as_text(), hostile);
  EXPECT_EQ(db_->execute("SELECT t FROM v WHERE k = 2").at(0)[0].as_text(), quoted);
  EXPECT_EQ(db_->execute("SELECT count(*) FROM v WHERE t = $1", {hostile}).at(0)[0].as_int64(), 1);
}

TEST_P(PgValues, NulByteIsRefusedNamingTheParameterAndNothingIsSent) {
  // Inside a transaction: had anything reached the server, the failure would have aborted it.
  db_->begin({});
  db_->execute("INSERT INTO v (k, t) VALUES (1, 'kept')");
  try {
    db_->execute("INSERT INTO v (k, t) VALUES ($1, $2)", {2, std::string("a\0b", 3)});
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $2");
    EXPECT_EQ(e.offset(), 1u);
  }
  db_->commit();
  EXPECT_EQ(count_rows("v"), 1);
}

TEST_P(PgValues, InvalidUtf8IsRefusedInTextAndJson) {
  try {
    db_->execute("INSERT INTO v (k, t) VALUES ($1, $2)", {1, std::string("ok\xff")});
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $2");
    EXPECT_EQ(e.offset(), 2u);
  }
  try {
    db_->execute("INSERT INTO v (k, j) VALUES ($1, $2)", {1, JsonText{std::string("\"\0\"", 3)}});
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $2");
  }
  const char nul_sql[] = "SELECT 1\0; DROP TABLE v";
  EXPECT_THROW(db_->execute(std::string(nul_sql, sizeof nul_sql - 1)), InvalidInput);
  EXPECT_EQ(count_rows("v"), 0);
}

TEST_P(PgValues, AffectedRowsForEachKindOfStatement) {
  EXPECT_EQ(db_->execute("INSERT INTO v (k) SELECT g FROM generate_series(1, 5) g").affected_rows(),
            5);
  EXPECT_EQ(db_->execute("UPDATE v SET t = 'x' WHERE k <= $1", {3}).affected_rows(), 3);
  EXPECT_EQ(db_->execute("DELETE FROM v WHERE k = $1", {5}).affected_rows(), 1);
  EXPECT_EQ(db_->execute("SELECT k FROM v").affected_rows(), 4);
  const Result created = db_->execute("CREATE TABLE other (x int)");
  EXPECT_EQ(created.affected_rows(), 0);
  EXPECT_TRUE(created.empty());
}

TEST_P(PgValues, TimestampsComeBackInUtcWhateverTheInput) {
  const Result r =
      db_->execute("SELECT TIMESTAMPTZ '2026-11-21 07:22:27.5+02' AS a, $1::timestamptz AS b",
                   {Timestamp::parse("2026-11-21T05:22:27.5Z")});
  EXPECT_EQ(r.at(0)["a"].as_timestamp().to_string(), "2026-11-21T05:22:27.500000Z");
  EXPECT_EQ(r.at(0)["b"].as_timestamp(), r.at(0)["a"].as_timestamp());
  // No Timestamp for infinity: it stays text rather than failing the whole result.
  EXPECT_EQ(db_->execute("SELECT 'infinity'::timestamptz").at(0)[0].as_text(), "infinity");
}

INSTANTIATE_TEST_SUITE_P(PgModes, PgValues, ::testing::Values(true, false),
                         [](const auto& mode) { return mode.param ? "prepared" : "unnamed"; });

TEST(PgValueCodec, FormatDoubleIsShortestRoundTrip) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e300), "1e+300");
  EXPECT_EQ(format_double(-0.0), "-0");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(format_double(std::nan("")), "NaN");
}

TEST(PgValueCodec, DecodeCellByTypeOid) {
  EXPECT_EQ(decode_cell(16, "t"), Value(true));
  EXPECT_EQ(decode_cell(20, "-42"), Value(-42));
  EXPECT_EQ(decode_cell(701, "-Infinity"), Value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(decode_cell(17, "\\x00ff41"), Value(Bytes{std::string("\0\xff"
                                                                  "A",
                                                                  3)}));
  EXPECT_EQ(decode_cell(17, "a\\000b"), Value(Bytes{std::string("a\0b", 3)}));  // escape format
  EXPECT_EQ(decode_cell(3802, "{}"), Value(JsonText{"{}"}));
  EXPECT_EQ(decode_cell(1700, "1.50"), Value("1.50"));
}

TEST(PgValueCodec, CopyFieldsAreEscaped) {
  std::string out;
  append_copy_field(out, Value("a\tb\nc\rd\\e"), "column t");
  EXPECT_EQ(out, "a\\tb\\nc\\rd\\\\e");
  out.clear();
  append_copy_field(out, Value(), "column t");
  EXPECT_EQ(out, "\\N");
  out.clear();
  append_copy_field(out, Value("\\N"), "column t");
  EXPECT_EQ(out, "\\\\N");
  out.clear();
  append_copy_field(out, Value(Bytes{"\x01\xfe"}), "column b");
  EXPECT_EQ(out, "\\\\x01fe");
  try {
    append_copy_field(out, Value(std::string("x\0", 2)), "column t");
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "column t");
  }
}

}  // namespace
}  // namespace retort::testing

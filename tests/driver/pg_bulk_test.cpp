// Bulk paths on PostgreSQL: pipelines, COPY, streaming.
#include <stdexcept>
#include <string>
#include <vector>

#include "pg_fixture.hpp"

namespace retort::testing {
namespace {

class PgBulk : public PgTest {
 protected:
  void SetUp() override { db_->execute("CREATE TABLE t (id bigint PRIMARY KEY, s text)"); }
};

using PgPipeline = PgBulk;
using PgCopy = PgBulk;
using PgStream = PgBulk;

std::vector<Statement> inserts(int count, int first = 0) {
  std::vector<Statement> statements;
  for (int i = first; i < first + count; ++i) {
    statements.push_back(
        {"INSERT INTO t VALUES ($1, $2) RETURNING id", {i, "row " + std::to_string(i)}});
  }
  return statements;
}

TEST_F(PgPipeline, ThousandStatementsInOneBatch) {
  const std::vector<Result> results = db_->pipeline(inserts(1000));
  ASSERT_EQ(results.size(), 1000u);
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_EQ(results[i].size(), 1u);
    EXPECT_EQ(results[i][0][0].as_int64(), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(count_rows("t"), 1000);
}

TEST_F(PgPipeline, LargeBatchDoesNotDeadlockOnFullSocketBuffers) {
  // ~20 MB each way: far more than both socket buffers, so sending and reading must overlap.
  const std::string payload(1000, 'p');
  std::vector<Statement> statements;
  for (int i = 0; i < 20000; ++i) {
    statements.push_back({"SELECT $1::bigint AS i, $2::text AS s", {i, payload}});
  }
  const std::vector<Result> results = db_->pipeline(statements);
  ASSERT_EQ(results.size(), 20000u);
  EXPECT_EQ(results[19999][0]["i"].as_int64(), 19999);
  EXPECT_EQ(results[12345][0]["s"].as_text(), payload);
}

TEST_F(PgPipeline, FailureMidBatchKeepsNothingAndNamesTheStatement) {
  std::vector<Statement> statements = inserts(10);
  statements[5].params[0] = 1;  // duplicate key
  try {
    db_->pipeline(statements);
    FAIL() << "expected UniqueViolation";
  } catch (const UniqueViolation& e) {
    EXPECT_NE(std::string(e.what()).find("pipeline statement index 5"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(count_rows("t"), 0);
  EXPECT_FALSE(db_->is_broken());
  EXPECT_EQ(db_->pipeline(inserts(3)).size(), 3u);  // the connection is still usable
  EXPECT_EQ(count_rows("t"), 3);
}

TEST_F(PgPipeline, SyntaxErrorInAFreshStatementDoesNotPoisonTheCache) {
  std::vector<Statement> statements = inserts(2);
  statements.push_back({"SELEC broken", {}});
  statements.push_back({"SELECT count(*) FROM t", {}});
  EXPECT_THROW(db_->pipeline(statements), SyntaxError);
  // The statements prepared before the failure are still usable; the failed ones are re-prepared.
  const std::vector<Result> again =
      db_->pipeline(std::vector<Statement>{inserts(1, 50)[0], {"SELECT count(*) FROM t", {}}});
  EXPECT_EQ(again[1][0][0].as_int64(), 1);
}

TEST_F(PgPipeline, InsideATransactionAFailureAbortsIt) {
  db_->begin({});
  db_->execute("INSERT INTO t VALUES (100, 'x')");
  std::vector<Statement> statements = inserts(3);
  statements[2].params[0] = 100;
  EXPECT_THROW(db_->pipeline(statements), UniqueViolation);
  EXPECT_THROW(db_->execute("SELECT 1"), DatabaseError);  // 25P02: the transaction is failed
  db_->rollback();
  EXPECT_EQ(count_rows("t"), 0);
}

TEST_F(PgPipeline, SmallStatementCacheWithManyDistinctStatements) {
  ConnectionOptions options;
  options.statement_cache_size = 2;
  auto c = open(options);
  for (int round = 0; round < 3; ++round) {
    std::vector<Statement> statements;
    for (int i = 0; i < 5; ++i) {
      statements.push_back({"SELECT " + std::to_string(i) + " + $1::int", {round}});
    }
    const std::vector<Result> results = c->pipeline(statements);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(results[i][0][0].as_int64(), i + round);
  }
  c->execute("SELECT 1");  // sends the deallocations still pending
  EXPECT_LE(c->execute("SELECT count(*) FROM pg_prepared_statements").at(0)[0].as_int64(), 3);
}

TEST_F(PgPipeline, EmptyBatchSendsNothing) {
  EXPECT_TRUE(db_->pipeline({}).empty());
}

TEST_F(PgPipeline, InvalidTextNamesTheStatementAndParameter) {
  std::vector<Statement> statements = inserts(3);
  statements[1].params[1] = std::string("bad\0", 4);
  try {
    db_->pipeline(statements);
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "pipeline statement 1: parameter $2");
  }
  EXPECT_EQ(count_rows("t"), 0);
}

TEST_F(PgCopy, TenThousandRowsWithTrickyValuesReadBackEqual) {
  db_->execute(
      "CREATE TABLE c (id bigint, t text, b bytea, j jsonb, ts timestamptz, u uuid, f boolean, "
      "d double precision)");
  const std::vector<std::string> tricky = {"tab\there",
                                           "new\nline",
                                           "carriage\rreturn",
                                           "back\\slash",
                                           "\\N",
                                           "\\.",
                                           "quotes ' \" `",
                                           "unicode é 日本 🎉",
                                           "",
                                           "comma, semicolon; pipe |"};
  const std::vector<std::string> columns = {"id", "t", "b", "j", "ts", "u", "f", "d"};
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 10000; ++i) {
    Bytes bytes;
    for (int k = 0; k < 8; ++k) bytes.data.push_back(static_cast<char>((i + k * 37) & 0xff));
    const bool null_row = i % 7 == 3;
    rows.push_back(
        {i, null_row ? Value() : Value(tricky[i % tricky.size()]),
         null_row ? Value() : Value(bytes),
         // Already in jsonb's normal form, so the text read back is the same.
         null_row ? Value() : Value(JsonText{R"({"k": "v\\t\n)" + std::to_string(i) + "\"}"}),
         Timestamp::from_micros(1'700'000'000'000'000 + i), Uuid::v4(), i % 2 == 0, i / 3.0});
  }
  auto writer = db_->copy_in("c", columns);
  for (const auto& row : rows) writer->write_row(row);
  EXPECT_EQ(writer->finish(), 10000);

  std::size_t index = 0;
  db_->stream("SELECT id, t, b, j, ts, u, f, d FROM c ORDER BY id", {}, [&](const Row& row) {
    const auto& expected = rows[index++];
    for (std::size_t col = 0; col < expected.size(); ++col) {
      ASSERT_EQ(row[col], expected[col]) << "row " << index - 1 << " column " << columns[col];
    }
  });
  EXPECT_EQ(index, 10000u);
}

TEST_F(PgCopy, AbandonedCopyStoresNothingAndTheConnectionStillWorks) {
  {
    auto writer = db_->copy_in("t", std::vector<std::string>{"id", "s"});
    for (int i = 0; i < 20000; ++i) writer->write_row(std::vector<Value>{i, "x"});
    EXPECT_THROW(db_->execute("SELECT 1"), UsageError);  // the copy holds the connection
  }
  EXPECT_EQ(count_rows("t"), 0);
  EXPECT_EQ(db_->execute("SELECT 1").at(0)[0].as_int64(), 1);
}

TEST_F(PgCopy, ChecksVerifiedChangesNothingOnPostgresql) {
  db_->execute("CREATE TABLE checked (id int PRIMARY KEY, n int CHECK (n > 0))");
  CopyOptions options;
  options.checks_verified = true;  // COPY evaluates CHECKs whatever the caller says
  auto writer = db_->copy_in("checked", std::vector<std::string>{"id", "n"}, options);
  writer->write_row(std::vector<Value>{1, 5});
  writer->write_row(std::vector<Value>{2, -5});
  EXPECT_THROW(writer->finish(), CheckViolation);
  EXPECT_EQ(count_rows("checked"), 0);
}

TEST_F(PgCopy, RefusedValueNamesTheColumn) {
  auto writer = db_->copy_in("t", std::vector<std::string>{"id", "s"});
  writer->write_row(std::vector<Value>{1, "fine"});
  try {
    writer->write_row(std::vector<Value>{2, std::string("nul\0", 4)});
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "column s");
  }
  EXPECT_THROW(writer->write_row(std::vector<Value>{3}), UsageError);  // wrong column count
  EXPECT_EQ(writer->finish(), 1);  // the refused row left nothing half-written behind
  EXPECT_EQ(count_rows("t"), 1);
}

TEST_F(PgCopy, ServerErrorSurfacesAtFinish) {
  auto writer = db_->copy_in("t", std::vector<std::string>{"id", "s"});
  writer->write_row(std::vector<Value>{1, "a"});
  writer->write_row(std::vector<Value>{1, "b"});
  EXPECT_THROW(writer->finish(), UniqueViolation);
  EXPECT_EQ(count_rows("t"), 0);
  EXPECT_EQ(db_->execute("SELECT 1").at(0)[0].as_int64(), 1);
}

TEST_F(PgCopy, SchemaQualifiedTableAndAllColumns) {
  db_->execute("CREATE TABLE \"Odd \"\"Name\" (a int, b text)");
  auto writer = db_->copy_in(QualifiedName(schema_.name(), "Odd \"Name"), {});
  writer->write_row(std::vector<Value>{1, "one"});
  EXPECT_EQ(writer->finish(), 1);
  EXPECT_EQ(db_->execute("SELECT b FROM \"Odd \"\"Name\"").at(0)[0].as_text(), "one");
  EXPECT_THROW(db_->copy_in("missing", {}), UndefinedTable);
  EXPECT_EQ(db_->execute("SELECT 1").at(0)[0].as_int64(), 1);
}

// Regression: the table was a "schema.table" string the driver split at every dot, so a table
// whose own name holds a dot could not be written (COPY "a"."b" instead of COPY "a.b").
TEST_F(PgCopy, ADotInsideATableNameIsPartOfTheName) {
  db_->execute("CREATE TABLE \"v1.readings\" (a int)");
  auto writer = db_->copy_in("v1.readings", std::vector<std::string>{"a"});
  writer->write_row(std::vector<Value>{7});
  EXPECT_EQ(writer->finish(), 1);
  auto qualified = db_->copy_in(QualifiedName(schema_.name(), "v1.readings"), {});
  qualified->write_row(std::vector<Value>{8});
  EXPECT_EQ(qualified->finish(), 1);
  EXPECT_EQ(count_rows("\"v1.readings\""), 2);
}

TEST_F(PgCopy, CopyStatementsOutsideCopyInAreRefusedWithoutHanging) {
  db_->execute("INSERT INTO t VALUES (1, 'a')");
  for (const std::string sql : {"COPY t FROM STDIN", "COPY t TO STDOUT"}) {
    for (int attempt = 0; attempt < 2; ++attempt) {  // first use (pipelined), then cached
      EXPECT_THROW(db_->execute(sql), UsageError) << sql;
    }
    EXPECT_THROW(db_->pipeline(std::vector<Statement>{{sql, {}}}), UsageError) << sql;
    EXPECT_THROW(db_->stream(sql, {}, [](const Row&) {}), UsageError) << sql;
    EXPECT_THROW(db_->execute_script(sql), UsageError) << sql;
    EXPECT_EQ(db_->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 1);
  }
}

TEST_F(PgStream, HundredThousandRowsOneAtATime) {
  std::int64_t rows = 0;
  std::int64_t sum = 0;
  db_->stream("SELECT g, 'row ' || g FROM generate_series(1, $1) g", std::vector<Value>{100000},
              [&](const Row& row) {
                ++rows;
                sum += row[0].as_int64();
              });
  EXPECT_EQ(rows, 100000);
  EXPECT_EQ(sum, 100000LL * 100001LL / 2);
}

TEST_F(PgStream, ThrowingCallbackLeavesTheConnectionUsable) {
  int seen = 0;
  EXPECT_THROW(db_->stream("SELECT g FROM generate_series(1, 2000000) g", {},
                           [&](const Row&) {
                             if (++seen == 10) throw std::runtime_error("enough");
                           }),
               std::runtime_error);
  EXPECT_EQ(seen, 10);
  EXPECT_FALSE(db_->is_broken());
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(db_->execute("SELECT 42").at(0)[0].as_int64(), 42);
}

TEST_F(PgStream, ErrorsAreThrownAndTheConnectionStaysUsable) {
  EXPECT_THROW(db_->stream("SELECT * FROM nowhere", {}, [](const Row&) {}), UndefinedTable);
  int seen = 0;
  EXPECT_THROW(db_->stream("SELECT 1 / (3 - g) FROM generate_series(1, 5) g", {},
                           [&](const Row&) { ++seen; }),
               DataException);
  EXPECT_EQ(db_->execute("SELECT 1").at(0)[0].as_int64(), 1);
}

TEST_F(PgStream, UsesTheCachedStatementWhenThereIsOne) {
  db_->execute("INSERT INTO t VALUES ($1, $2)", {1, "a"});
  db_->execute("SELECT s FROM t WHERE id = $1", {1});
  std::vector<std::string> seen;
  db_->stream("SELECT s FROM t WHERE id = $1", std::vector<Value>{1},
              [&](const Row& row) { seen.push_back(row[0].as_text()); });
  EXPECT_EQ(seen, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace retort::testing

// Every error class of error.hpp, provoked for real on PostgreSQL.
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include "pg_fixture.hpp"

namespace retort::testing {
namespace {

class PgErrors : public PgTest {
 protected:
  void SetUp() override {
    db_->execute_script(
        "CREATE TABLE parent (id int PRIMARY KEY);"
        "CREATE TABLE child (id int PRIMARY KEY,"
        "  email text NOT NULL CONSTRAINT child_email_key UNIQUE,"
        "  parent_id int CONSTRAINT child_parent_fk REFERENCES parent (id),"
        "  age int CONSTRAINT child_age_positive CHECK (age > 0));"
        "INSERT INTO parent VALUES (1);"
        "INSERT INTO child VALUES (1, 'a@example.com', 1, 30);");
  }

  // Runs sql expecting exception E; returns it for further checks.
  template <class E>
  E expect_error(Connection& c, const std::string& sql, std::initializer_list<Value> params = {}) {
    try {
      c.execute(sql, params);
    } catch (const E& e) {
      EXPECT_EQ(e.info().statement, sql);
      EXPECT_FALSE(e.server_message().empty());
      return e;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception for " << sql << ": " << e.what();
      throw;
    }
    ADD_FAILURE() << "no exception for " << sql;
    throw std::logic_error("no exception");
  }
};

TEST_F(PgErrors, UniqueViolation) {
  const auto e = expect_error<UniqueViolation>(
      *db_, "INSERT INTO child (id, email) VALUES ($1, $2)", {2, "a@example.com"});
  EXPECT_EQ(e.sqlstate(), "23505");
  EXPECT_EQ(e.constraint(), "child_email_key");
  EXPECT_EQ(e.info().table, "child");
  EXPECT_NE(e.server_message().find("duplicate key"), std::string::npos);
  EXPECT_NE(std::string(e.what()).find("23505"), std::string::npos);
}

TEST_F(PgErrors, ForeignKeyViolation) {
  const auto e = expect_error<ForeignKeyViolation>(
      *db_, "INSERT INTO child (id, email, parent_id) VALUES (2, 'b@x', $1)", {99});
  EXPECT_EQ(e.sqlstate(), "23503");
  EXPECT_EQ(e.constraint(), "child_parent_fk");
  EXPECT_NE(e.detail().find("99"), std::string::npos);
}

TEST_F(PgErrors, CheckViolation) {
  const auto e = expect_error<CheckViolation>(*db_, "UPDATE child SET age = $1", {-1});
  EXPECT_EQ(e.sqlstate(), "23514");
  EXPECT_EQ(e.constraint(), "child_age_positive");
}

TEST_F(PgErrors, NotNullViolation) {
  const auto e = expect_error<NotNullViolation>(*db_, "INSERT INTO child (id) VALUES (3)");
  EXPECT_EQ(e.sqlstate(), "23502");
  EXPECT_EQ(e.info().column, "email");
  EXPECT_EQ(e.info().table, "child");
}

TEST_F(PgErrors, SerializationFailureBetweenTwoSerializableTransactions) {
  auto other = open();
  TransactionOptions serializable{IsolationLevel::serializable, false};
  db_->begin(serializable);
  other->begin(serializable);
  // Write skew: each reads what the other writes.
  db_->execute("SELECT count(*) FROM parent WHERE id = 2");
  other->execute("SELECT count(*) FROM parent WHERE id = 3");
  db_->execute("INSERT INTO parent VALUES (3)");
  try {
    // SSI may refuse the second write at once or only at its commit.
    other->execute("INSERT INTO parent VALUES (2)");
    db_->commit();
    other->commit();
    FAIL() << "expected SerializationFailure";
  } catch (const SerializationFailure& e) {
    EXPECT_EQ(e.sqlstate(), "40001");
    EXPECT_NE(e.server_message().find("serialize"), std::string::npos);
  }
  if (db_->in_transaction()) db_->commit();
  if (other->in_transaction()) other->rollback();
  EXPECT_EQ(other->execute("SELECT count(*) FROM parent").at(0)[0].as_int64(), 2);
}

TEST_F(PgErrors, DeadlockDetectedBetweenTwoConnections) {
  auto other = open();
  db_->execute("INSERT INTO parent VALUES (2)");
  for (Connection* c : {db_.get(), other.get()}) c->execute("SET deadlock_timeout = '100ms'");
  db_->begin({});
  other->begin({});
  db_->execute("UPDATE parent SET id = id WHERE id = 1");
  other->execute("UPDATE parent SET id = id WHERE id = 2");
  // Each now waits for the row the other holds: one of them is chosen as the victim.
  auto first = std::async(std::launch::async,
                          [&] { db_->execute("UPDATE parent SET id = id WHERE id = 2"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int deadlocks = 0;
  try {
    other->execute("UPDATE parent SET id = id WHERE id = 1");
  } catch (const DeadlockDetected& e) {
    EXPECT_EQ(e.sqlstate(), "40P01");
    ++deadlocks;
    other->rollback();
  }
  try {
    first.get();
  } catch (const DeadlockDetected& e) {
    EXPECT_EQ(e.sqlstate(), "40P01");
    ++deadlocks;
  }
  EXPECT_EQ(deadlocks, 1);
  db_->rollback();
  if (other->in_transaction()) other->rollback();
}

TEST_F(PgErrors, LockNotAvailableOnLockTimeout) {
  auto other = open();
  db_->begin({});
  db_->execute("UPDATE parent SET id = id WHERE id = 1");
  other->execute("SET lock_timeout = '100ms'");
  const auto e = expect_error<LockNotAvailable>(*other, "UPDATE parent SET id = id WHERE id = 1");
  EXPECT_EQ(e.sqlstate(), "55P03");
  db_->rollback();
}

TEST_F(PgErrors, QueryCanceledOnStatementTimeoutAndTheConnectionStaysUsable) {
  db_->execute("SET statement_timeout = '100ms'");
  const auto e = expect_error<QueryCanceled>(*db_, "SELECT pg_sleep(5)");
  EXPECT_EQ(e.sqlstate(), "57014");
  EXPECT_FALSE(db_->is_broken());
  EXPECT_EQ(db_->execute("SELECT 2").at(0)[0].as_int64(), 2);
}

TEST_F(PgErrors, UndefinedTableAndColumn) {
  EXPECT_EQ(expect_error<UndefinedTable>(*db_, "SELECT * FROM missing_table").sqlstate(), "42P01");
  EXPECT_EQ(expect_error<UndefinedColumn>(*db_, "SELECT missing_column FROM child").sqlstate(),
            "42703");
}

TEST_F(PgErrors, SyntaxError) {
  const auto e = expect_error<SyntaxError>(*db_, "SELEC 1");
  EXPECT_EQ(e.sqlstate(), "42601");
  EXPECT_NE(e.server_message().find("syntax error"), std::string::npos);
}

TEST_F(PgErrors, DuplicateTable) {
  const auto e = expect_error<DuplicateObject>(*db_, "CREATE TABLE parent (x int)");
  EXPECT_EQ(e.sqlstate(), "42P07");
}

TEST_F(PgErrors, InsufficientPrivilegeForARoleWithoutRights) {
  const std::string role = "retort_norights_" + std::to_string(std::random_device()() & 0xffffff);
  db_->execute("CREATE ROLE " + role + " NOLOGIN");
  db_->execute("SET ROLE " + role);
  try {
    // Qualified: without USAGE on the schema the role would not even see the table.
    const auto e =
        expect_error<InsufficientPrivilege>(*db_, "SELECT * FROM " + schema_.name() + ".child");
    EXPECT_EQ(e.sqlstate(), "42501");
    EXPECT_NE(e.server_message().find("permission denied"), std::string::npos);
  } catch (...) {
    // expect_error recorded the failure; the role must still be dropped below.
  }
  db_->execute("RESET ROLE");
  db_->execute("DROP ROLE " + role);
}

TEST_F(PgErrors, DataException) {
  EXPECT_EQ(expect_error<DataException>(*db_, "SELECT 1 / $1::int", {0}).sqlstate(), "22012");
  EXPECT_EQ(expect_error<DataException>(*db_, "INSERT INTO parent VALUES ($1)", {"not a number"})
                .sqlstate(),
            "22P02");
}

TEST_F(PgErrors, ErrorsInsideATransactionAbortItAndCommitSaysSo) {
  db_->begin({});
  db_->execute("INSERT INTO parent VALUES (10)");
  EXPECT_THROW(db_->execute("INSERT INTO parent VALUES (1)"), UniqueViolation);
  try {
    db_->execute("SELECT 1");
    FAIL() << "expected in_failed_sql_transaction";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
  }
  EXPECT_THROW(db_->commit(), DatabaseError);
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(db_->execute("SELECT count(*) FROM parent WHERE id = 10").at(0)[0].as_int64(), 0);
}

TEST_F(PgErrors, TheStatementIsRecordedButNeverTheParameterValues) {
  try {
    db_->execute("INSERT INTO child (id, email) VALUES ($1, $2)", {1, "secret-value-123"});
    FAIL();
  } catch (const UniqueViolation& e) {
    EXPECT_EQ(e.info().statement, "INSERT INTO child (id, email) VALUES ($1, $2)");
    EXPECT_EQ(std::string(e.what()).find("secret-value-123"), std::string::npos);
  }
}

}  // namespace
}  // namespace retort::testing

// The fault-injecting connection of the tests (tests/support/fault_injection.hpp) on the real
// backends: each kind of fault does to the database what the real failure does.
#include <gtest/gtest.h>

#include "retort/database.hpp"
#include "retort/error.hpp"
#include "support/fault_injection.hpp"
#include "support/test_db.hpp"

namespace retort::testing {
namespace {

class FaultInjectionTest : public ::testing::TestWithParam<Dialect> {
 protected:
  FaultInjectionTest() : test_db_(GetParam()), db_(faults_.open(test_db_.url())) {
    Database plain(test_db_.url());
    plain.connection()->execute_script("CREATE TABLE t (v INTEGER)");
  }

  std::int64_t rows() {
    Database plain(test_db_.url());
    return plain.connection()->execute("SELECT count(*) FROM t").at(0)[0].as_int64();
  }

  // One transaction of two inserts: begin, execute, execute, commit (4 steps).
  void two_inserts() {
    db_.transaction([](Session& s) {
      s.execute("INSERT INTO t VALUES (1)");
      s.execute("INSERT INTO t VALUES (2)");
    });
  }

  TestDatabase test_db_;
  FaultInjector faults_;
  Database db_;
};

TEST_P(FaultInjectionTest, CountsEveryStepOfEveryConnection) {
  faults_.count();
  two_inserts();
  EXPECT_EQ(faults_.steps(), 4u);
  const std::vector<std::string> trace = faults_.trace();
  ASSERT_EQ(trace.size(), 4u);
  EXPECT_EQ(trace[0], "step 1 (begin): BEGIN");
  EXPECT_EQ(trace[1], "step 2 (execute): INSERT INTO t VALUES (1)");
  EXPECT_EQ(trace[3], "step 4 (commit): COMMIT");
  faults_.count({StepKind::commit});
  two_inserts();
  EXPECT_EQ(faults_.steps(), 1u);
  EXPECT_FALSE(faults_.fired());
}

TEST_P(FaultInjectionTest, AnErrorFailsTheStepAndLeavesTheLinkUp) {
  faults_.arm(3, Fault::error);
  try {
    two_inserts();
    FAIL() << "no error";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "XX000");
    EXPECT_NE(std::string(e.what()).find("injected fault"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(faults_.fired());
  EXPECT_EQ(faults_.fired_at(), "step 3 (execute): INSERT INTO t VALUES (2)");
  EXPECT_EQ(rows(), 0);  // the transaction rolled back
  EXPECT_EQ(db_.pool().stats().discarded, 0u);
  two_inserts();  // one fault per arm: the next run goes through
  EXPECT_EQ(rows(), 2);
}

TEST_P(FaultInjectionTest, ARefusedCommitRollsBack) {
  faults_.arm(1, Fault::error, {StepKind::commit});
  EXPECT_THROW(two_inserts(), DatabaseError);
  EXPECT_EQ(rows(), 0);
}

TEST_P(FaultInjectionTest, ABrokenLinkIsAConnectionErrorAndTheConnectionIsDiscarded) {
  PooledConnection c = db_.connection();
  faults_.arm(2, Fault::broken_link);
  c->begin({});
  try {
    c->execute("INSERT INTO t VALUES (1)");
    FAIL() << "no error";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("broke before the step reached the server at step 2"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(c->is_broken());
  EXPECT_FALSE(c->check_alive());
  EXPECT_THROW(c->execute("SELECT 1"), ConnectionError);
  c.release();
  EXPECT_EQ(db_.pool().stats().discarded, 1u);
  EXPECT_EQ(rows(), 0);
}

TEST_P(FaultInjectionTest, ALostReplyToCommitLeavesTheTransactionCommitted) {
  faults_.arm(1, Fault::lost_reply, {StepKind::commit});
  EXPECT_THROW(two_inserts(), ConnectionError);
  EXPECT_EQ(rows(), 2);
}

TEST_P(FaultInjectionTest, ACopyThatFailsStoresNothing) {
  const std::vector<std::string> columns{"v"};
  for (const Fault fault : {Fault::error, Fault::broken_link}) {
    faults_.arm(1, fault, {StepKind::copy_finish});
    EXPECT_THROW(db_.transaction([&](Session& s) {
      auto writer = s.copy_in("t", columns);
      writer->write_row(std::vector<Value>{Value(std::int64_t{7})});
      writer->finish();
    }),
                 DatabaseError)
        << fault_name(fault);
    EXPECT_EQ(rows(), 0) << fault_name(fault);
  }
}

INSTANTIATE_TEST_SUITE_P(Dialects, FaultInjectionTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql), DialectName());

}  // namespace
}  // namespace retort::testing

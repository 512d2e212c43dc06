// A fault-injecting connection for tests, in the spirit of LevelDB's FaultInjectionTestEnv: a
// decorator over a real Connection (SQLite file or the test PostgreSQL server, never a mock) that
// counts the steps sent through it and makes one of them fail — a statement the server refuses,
// a COMMIT that fails, or the link itself breaking.
//
//   FaultInjector faults;
//   Database db = faults.open(url);            // every connection of db is wrapped
//   faults.count();                            // a clean run counts its steps...
//   migrate::upgrade(db, "head", options);
//   const std::size_t steps = faults.steps();
//   for (std::size_t n = 1; n <= steps; ++n) { // ...then each step in turn fails
//     faults.arm(n, Fault::broken_link);
//     EXPECT_THROW(migrate::upgrade(db, "head", options), Error);
//     // assert nothing is half-applied, then run again without faults
//   }
//
// Steps are counted across all of the database's connections (pool and migration connection
// alike), in the order they are sent: one per execute, execute_script (savepoints included),
// stream, pipeline, copy_in, CopyWriter::finish, begin, commit, listen and wait_for_notification.
// rollback() is never a step: it is what cleans up after a fault. A worker's waits come with
// its clock, not with its work: arm those by kind (arm(1, fault, {StepKind::wait})).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "retort/database.hpp"

namespace retort::testing {

enum class StepKind {
  execute,
  script,
  stream,
  pipeline,
  copy_in,
  copy_finish,
  begin,
  commit,
  listen,  // LISTEN (a worker's wake-up connection)
  wait,    // one wait_for_notification call, however long it waits
};

enum class Fault {
  // The server refuses the step (DatabaseError, SQLSTATE XX000); the link stays up. On
  // PostgreSQL the refusal comes from the server itself, so an open transaction is aborted as a
  // real error aborts it; a refused COMMIT rolls the transaction back.
  error,
  // The link breaks before the step reaches the server: ConnectionError, is_broken() true from
  // then on, and the server rolls back what the connection had not committed.
  broken_link,
  // The step runs on the server, then the link breaks before its reply arrives: ConnectionError.
  // For a COMMIT, the transaction is committed although the client saw an error.
  lost_reply,
};

const char* fault_name(Fault fault);
const char* step_name(StepKind kind);

// A fault test's parameter: the dialect and the fault injected at every step in turn.
using FaultCase = std::tuple<Dialect, Fault>;

// Both dialects with each fault, for INSTANTIATE_TEST_SUITE_P(Faults, Suite, every_fault_case(),
// FaultCaseName()).
inline auto every_fault_case() {
  return ::testing::Combine(::testing::Values(Dialect::sqlite, Dialect::postgresql),
                            ::testing::Values(Fault::error, Fault::broken_link, Fault::lost_reply));
}

// "sqlite_broken_link": the case's name in test output.
struct FaultCaseName {
  std::string operator()(const ::testing::TestParamInfo<FaultCase>& info) const {
    return std::string(dialect_name(std::get<0>(info.param))) + "_" +
           fault_name(std::get<1>(info.param));
  }
};

class FaultInjector {
 public:
  FaultInjector();

  // A Database whose every connection goes through this injector (driver::DatabaseAccess).
  Database open(const DatabaseUrl& url, DatabaseOptions options = {});

  // Counts steps of the given kinds (all when empty) from zero, injecting nothing.
  void count(std::set<StepKind> kinds = {});
  // Counts from zero like count(kinds), and makes the n-th step (1-based) fail with fault. One
  // fault per arm(): the steps after it run normally.
  void arm(std::size_t n, Fault fault, std::set<StepKind> kinds = {});
  // Injects nothing from now on (counting goes on).
  void disarm();

  // Steps counted since the last count() or arm().
  std::size_t steps() const;
  // Whether the armed fault fired, and a description of the step it hit ("step 3 (execute):
  // INSERT INTO ..."); empty when it has not.
  bool fired() const;
  std::string fired_at() const;
  // One description per counted step, in order (for messages of failed assertions).
  std::vector<std::string> trace() const;

  struct State;  // shared with the connections it wrapped

 private:
  std::shared_ptr<State> state_;
};

}  // namespace retort::testing

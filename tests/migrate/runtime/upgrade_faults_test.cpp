// upgrade with a fault at every step in turn (tests/support/fault_injection.hpp): a refused
// statement, a broken link, a reply lost after the step ran. After each, the version table and
// the schema agree (nothing half-applied), the error names the revision that was running and
// says whether it was rolled back, and an upgrade without faults completes.
#include <gtest/gtest.h>

#include <cstdio>

#include <tuple>

#include "migrate/runtime/runner_support.hpp"
#include "retort/error.hpp"
#include "support/fault_injection.hpp"

namespace retort::migrate::runner_testing {
namespace {

using retort::testing::Fault;
using retort::testing::FaultInjector;
using retort::testing::TestDatabase;

constexpr int kRevisions = 3;

std::string id_of(int i) {
  return fmt::format("f{:03}", i);
}

// Three revisions, each a table filled in two more statements: a revision is several steps.
void write_chain(const Environment& env) {
  for (int i = 0; i < kRevisions; ++i) {
    RevisionFile f;
    f.id = id_of(i);
    if (i > 0) f.down = {id_of(i - 1)};
    f.message = "making " + f.id;
    f.upgrade = fmt::format(
        "CREATE TABLE t_{0} (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO t_{0} VALUES (1, "
        "'a');\nINSERT INTO t_{0} VALUES (2, 'b');",
        f.id);
    f.downgrade = fmt::format("DROP TABLE t_{};", f.id);
    env.write(f);
  }
}

// The revision the last "Running ..." line of the log names; empty before the first.
std::string running_revision(const std::vector<std::string>& log) {
  for (auto line = log.rbegin(); line != log.rend(); ++line) {
    if (line->rfind("Running ", 0) != 0) continue;
    const std::size_t at = line->find("making ");
    return at == std::string::npos ? "" : line->substr(at + 7);
  }
  return "";
}

// Asserts that the version table and the schema agree, on a connection without faults: the
// revisions up to the current one have their table with both rows and one history row each,
// the later ones nothing. Returns how many revisions are applied.
int expect_consistent(const DatabaseUrl& url, const MigrateOptions& options) {
  Database db(url);
  const std::vector<std::string> rows = current(db, options);
  EXPECT_LE(rows.size(), 1u);
  int applied = 0;
  if (!rows.empty()) applied = std::stoi(rows.front().substr(1)) + 1;
  for (int i = 0; i < kRevisions; ++i) {
    const std::string table = "t_" + id_of(i);
    EXPECT_EQ(table_exists(db, table), i < applied) << table << " with " << applied << " applied";
    if (i < applied && table_exists(db, table)) {
      EXPECT_EQ(column(db, "SELECT count(*) FROM " + table), std::vector<std::string>{"2"});
    }
  }
  if (applied > 0) {
    EXPECT_EQ(column(db, "SELECT count(*) FROM retort_history WHERE direction = 'upgrade'"),
              std::vector<std::string>{std::to_string(applied)});
  }
  return applied;
}

std::string rows_text(int applied) {
  return applied == 0 ? "base" : id_of(applied - 1);
}

class UpgradeFaultsTest : public ::testing::TestWithParam<retort::testing::FaultCase> {
 protected:
  UpgradeFaultsTest() { write_chain(env_); }
  Dialect dialect() const { return std::get<0>(GetParam()); }
  Fault fault() const { return std::get<1>(GetParam()); }

  // The steps of a clean upgrade from base to head.
  std::vector<std::string> clean_run() {
    TestDatabase test_db(dialect());
    FaultInjector faults;
    Database db = faults.open(test_db.url());
    faults.count();
    upgrade(db, "head", env_.options());
    EXPECT_EQ(expect_consistent(test_db.url(), env_.options()), kRevisions);
    return faults.trace();
  }

  // What an error raised by the faulted upgrade must say.
  void expect_error_says_what_happened(const Error& error, const std::string& running,
                                       const std::string& step, int applied_after) {
    const std::string text = error.what();
    const auto* migration = dynamic_cast<const MigrationError*>(&error);
    if (running.empty()) {
      // Before any revision runs (version tables, reading the rows): nothing of this run is
      // applied, and the error is the driver's own.
      EXPECT_NE(dynamic_cast<const DatabaseError*>(&error), nullptr) << text;
      EXPECT_EQ(applied_after, 0) << text;
      return;
    }
    ASSERT_NE(migration, nullptr) << "a fault at " << step << " while " << running
                                  << " ran gave an error that names no revision: " << text;
    EXPECT_EQ(migration->details().revision, running) << text;
    EXPECT_NE(text.find("of revision " + running + " failed"), std::string::npos) << text;
    if (migration->details().rolled_back) {
      EXPECT_EQ(migration->details().stays_at, rows_text(applied_after)) << text;
      EXPECT_NE(text.find("the database stays at " + rows_text(applied_after)), std::string::npos)
          << text;
    } else {
      // Only a COMMIT whose reply never came leaves the outcome open; the error says so.
      EXPECT_NE(text.find("unknown"), std::string::npos) << text;
      EXPECT_NE(text.find("COMMIT"), std::string::npos) << text;
    }
  }

  Environment env_;
};

TEST_P(UpgradeFaultsTest, EveryStepFailsInTurnNothingIsHalfAppliedAndTheRerunCompletes) {
  const std::vector<std::string> trace = clean_run();
  ASSERT_GE(trace.size(), static_cast<std::size_t>(4 * kRevisions));
  RecordProperty("fault_points", static_cast<int>(trace.size()));
  std::printf("%zu fault points\n", trace.size());
  for (std::size_t n = 1; n <= trace.size(); ++n) {
    SCOPED_TRACE(fmt::format("{} at {}", fault_name(fault()), trace[n - 1]));
    TestDatabase test_db(dialect());
    FaultInjector faults;
    Database db = faults.open(test_db.url());
    env_.log().clear();
    faults.arm(n, fault());
    try {
      upgrade(db, "head", env_.options());
      // A reply lost after the last COMMIT is the one fault an upgrade may not notice... but it
      // sees every reply, so each fault must surface.
      ADD_FAILURE() << "the upgrade succeeded despite the fault";
    } catch (const Error& e) {
      ASSERT_TRUE(faults.fired()) << e.what();
      const int applied = expect_consistent(test_db.url(), env_.options());
      expect_error_says_what_happened(e, running_revision(env_.log()), trace[n - 1], applied);
    }
    // Again without faults: the upgrade resumes from where the fault left it.
    upgrade(db, "head", env_.options());
    EXPECT_EQ(expect_consistent(test_db.url(), env_.options()), kRevisions);
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, UpgradeFaultsTest, retort::testing::every_fault_case(),
                         retort::testing::FaultCaseName());

}  // namespace
}  // namespace retort::migrate::runner_testing

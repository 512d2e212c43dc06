// The runner with a fault at every step in turn (tests/support/fault_injection.hpp): a refused
// statement, a broken link, a reply lost after the step ran. Upgrade and downgrade, one
// transaction per revision or one for the whole run, and a non-transactional revision in the
// chain. On PostgreSQL the steps include the migration lock's own connection (taking the
// advisory lock, and releasing it). After each fault the version table and the schema agree
// (nothing half-applied that the version table does not account for), the error names the revision
// that was running and says whether it was rolled back, and the same command without faults
// completes.
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
constexpr int kNonTransactional = 1;  // the chain's revision that may run without a transaction

std::string id_of(int i) {
  return fmt::format("f{:03}", i);
}

enum class Chain { transactional, with_nontransactional };

// Three revisions, each a table filled in two more statements: a revision is several steps. In
// the second form the middle revision runs without a transaction, its statements written to be
// run again (as docs/migrations.md asks of such revisions: a fault can come between a statement
// and the record of its progress).
void write_chain(const Environment& env, Chain chain) {
  for (int i = 0; i < kRevisions; ++i) {
    RevisionFile f;
    f.id = id_of(i);
    if (i > 0) f.down = {id_of(i - 1)};
    f.message = "making " + f.id;
    if (chain == Chain::with_nontransactional && i == kNonTransactional) {
      f.extra_headers = "-- Transactional: false\n";
      f.upgrade = fmt::format(
          "CREATE TABLE IF NOT EXISTS t_{0} (id INTEGER PRIMARY KEY, name TEXT);\n"
          "INSERT INTO t_{0} (id, name) SELECT 1, 'a' WHERE NOT EXISTS (SELECT 1 FROM t_{0} WHERE "
          "id = 1);\n"
          "INSERT INTO t_{0} (id, name) SELECT 2, 'b' WHERE NOT EXISTS (SELECT 1 FROM t_{0} WHERE "
          "id = 2);",
          f.id);
      f.downgrade = fmt::format("DROP TABLE IF EXISTS t_{};", f.id);
    } else {
      f.upgrade = fmt::format(
          "CREATE TABLE t_{0} (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO t_{0} VALUES (1, "
          "'a');\nINSERT INTO t_{0} VALUES (2, 'b');",
          f.id);
      f.downgrade = fmt::format("DROP TABLE t_{};", f.id);
    }
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

std::string rows_text(int applied) {
  return applied == 0 ? "base" : id_of(applied - 1);
}

// Asserts that the version table and the schema agree, on a connection without faults: the
// revisions up to the current one have their table with both rows, the later ones none (but for
// a non-transactional revision interrupted part-way, whose table may hold part of its rows), and
// the history has one row per revision applied (or undone) in `direction`. Returns how many
// revisions are applied.
int expect_consistent(const DatabaseUrl& url, const MigrateOptions& options, Chain chain,
                      const std::string& direction) {
  Database db(url);
  const std::vector<std::string> rows = current(db, options);
  EXPECT_LE(rows.size(), 1u);
  int applied = 0;
  if (!rows.empty()) applied = std::stoi(rows.front().substr(1)) + 1;
  for (int i = 0; i < kRevisions; ++i) {
    const std::string table = "t_" + id_of(i);
    const bool partial_allowed = chain == Chain::with_nontransactional && i == kNonTransactional;
    if (i >= applied && partial_allowed) continue;
    EXPECT_EQ(table_exists(db, table), i < applied) << table << " with " << applied << " applied";
    if (i < applied && table_exists(db, table)) {
      EXPECT_EQ(column(db, "SELECT count(*) FROM " + table), std::vector<std::string>{"2"});
    }
  }
  const int recorded = direction == "upgrade" ? applied : kRevisions - applied;
  if (recorded > 0) {
    EXPECT_EQ(
        column(db, "SELECT count(*) FROM retort_history WHERE direction = '" + direction + "'"),
        std::vector<std::string>{std::to_string(recorded)});
  }
  return applied;
}

struct Command {
  Chain chain;
  const char* command;  // "upgrade" or "downgrade"
  bool per_migration;   // transaction_per_migration
};

class RunnerFaultsTest : public ::testing::TestWithParam<retort::testing::FaultCase> {
 protected:
  Dialect dialect() const { return std::get<0>(GetParam()); }
  Fault fault() const { return std::get<1>(GetParam()); }

  MigrateOptions options(const Command& run) const {
    MigrateOptions o = env_.options();
    o.settings->transaction_per_migration = run.per_migration;
    return o;
  }

  // Brings a fresh database to where the command starts: base for upgrade, head for downgrade.
  void prepare(const DatabaseUrl& url, const Command& run) const {
    if (std::string(run.command) == "downgrade") {
      Database plain(url);
      upgrade(plain, "head", env_.options());
    }
  }

  void execute(Database& db, const Command& run) const {
    if (std::string(run.command) == "upgrade") {
      upgrade(db, "head", options(run));
    } else {
      downgrade(db, "base", options(run));
    }
  }

  int finished(const Command& run) const {
    return std::string(run.command) == "upgrade" ? kRevisions : 0;
  }

  // The steps of a clean run of the command.
  std::vector<std::string> clean_run(const Command& run) {
    TestDatabase test_db(dialect());
    prepare(test_db.url(), run);
    FaultInjector faults;
    Database db = faults.open(test_db.url());
    faults.count();
    execute(db, run);
    EXPECT_EQ(expect_consistent(test_db.url(), env_.options(), run.chain, run.command),
              finished(run));
    return faults.trace();
  }

  // What an error raised by the faulted run must say.
  void expect_error_says_what_happened(const Error& error, const std::string& running,
                                       const std::string& step, int applied_after) {
    const std::string text = error.what();
    const auto* migration = dynamic_cast<const MigrationError*>(&error);
    if (running.empty()) {
      // Before any revision runs (version tables, reading the rows): nothing of this run is
      // applied, and the error is the driver's own.
      EXPECT_NE(dynamic_cast<const DatabaseError*>(&error), nullptr) << text;
      return;
    }
    ASSERT_NE(migration, nullptr) << "a fault at " << step << " while " << running
                                  << " ran gave an error that names no revision: " << text;
    EXPECT_EQ(migration->details().revision, running) << text;
    EXPECT_NE(text.find("of revision " + running + " failed"), std::string::npos) << text;
    if (migration->details().rolled_back) {
      EXPECT_EQ(migration->details().stays_at, rows_text(applied_after)) << text;
      EXPECT_NE(text.find("stays at " + rows_text(applied_after)), std::string::npos) << text;
    } else {
      // Not rolled back: a COMMIT whose reply never came (the outcome is open, and the error
      // says so), or a non-transactional revision (what ran stays, and the error says how much).
      const bool unknown_commit =
          text.find("unknown") != std::string::npos && text.find("COMMIT") != std::string::npos;
      const bool stays = text.find("non-transactional revision") != std::string::npos;
      EXPECT_TRUE(unknown_commit || stays) << text;
    }
  }

  void fault_every_step(const Command& run) {
    write_chain(env_, run.chain);
    const std::vector<std::string> trace = clean_run(run);
    ASSERT_GE(trace.size(), static_cast<std::size_t>(kRevisions));
    RecordProperty("fault_points", static_cast<int>(trace.size()));
    std::printf("%zu fault points\n", trace.size());
    for (std::size_t n = 1; n <= trace.size(); ++n) {
      SCOPED_TRACE(fmt::format("{} at {}", fault_name(fault()), trace[n - 1]));
      TestDatabase test_db(dialect());
      prepare(test_db.url(), run);
      FaultInjector faults;
      Database db = faults.open(test_db.url());
      env_.log().clear();
      faults.arm(n, fault());
      try {
        execute(db, run);
        // Releasing the migration lock is the one step allowed to fail unseen: the work is
        // committed, and closing the lock's connection releases the lock anyway (the rerun
        // below takes it again).
        if (trace[n - 1].find("pg_advisory_unlock") == std::string::npos) {
          ADD_FAILURE() << "the " << run.command << " succeeded despite the fault";
        }
        EXPECT_TRUE(faults.fired());
        EXPECT_EQ(expect_consistent(test_db.url(), env_.options(), run.chain, run.command),
                  finished(run));
      } catch (const Error& e) {
        ASSERT_TRUE(faults.fired()) << e.what();
        const int applied =
            expect_consistent(test_db.url(), env_.options(), run.chain, run.command);
        expect_error_says_what_happened(e, running_revision(env_.log()), trace[n - 1], applied);
      }
      // Again without faults: the command resumes from where the fault left it.
      execute(db, run);
      EXPECT_EQ(expect_consistent(test_db.url(), env_.options(), run.chain, run.command),
                finished(run));
    }
  }

  Environment env_;
};

TEST_P(RunnerFaultsTest, UpgradeNothingIsHalfAppliedAndTheRerunCompletes) {
  fault_every_step({Chain::transactional, "upgrade", true});
}

TEST_P(RunnerFaultsTest, DowngradeNothingIsHalfUndoneAndTheRerunCompletes) {
  fault_every_step({Chain::transactional, "downgrade", true});
}

TEST_P(RunnerFaultsTest, OneTransactionForTheWholeRunIsAllOrNothing) {
  fault_every_step({Chain::transactional, "upgrade", false});
}

TEST_P(RunnerFaultsTest, NonTransactionalRevisionResumesAndCompletes) {
  fault_every_step({Chain::with_nontransactional, "upgrade", true});
}

INSTANTIATE_TEST_SUITE_P(Faults, RunnerFaultsTest, retort::testing::every_fault_case(),
                         retort::testing::FaultCaseName());

}  // namespace
}  // namespace retort::migrate::runner_testing

// Executes a Plan on a connection: each revision's statements (one by one, so an error names
// the statement's line), then the step's version-table changes and a history record, committed
// together (per revision, or once for the whole run).
//
// Revisions declared `Transactional: false` run statement by statement in autocommit mode; after
// each statement the progress table records how many ran (with a checksum of their text), so a
// run that failed at statement k resumes at statement k once the file is fixed. Their version
// change, history record and the removal of their progress row commit together at the end.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/plan.hpp"
#include "migrate/graph/revision_map.hpp"
#include "migrate/runtime/version_store.hpp"
#include "retort/connection.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

using LogFn = std::function<void(std::string_view)>;

// One statement of a revision section, with the line it starts on.
struct PlannedStatement {
  std::string sql;
  int line = 0;
  bool comment = false;  // a C++ revision's warning, rendered offline as a comment
};

class Runner {
 public:
  Runner(const Settings& settings, const RevisionMap& map, Connection& connection,
         VersionStore& store, LogFn log);

  // Runs every step. `purge`: empty the version table first (stamp --purge). Returns the steps'
  // descriptions. Throws MigrationError (a statement failed), or the DatabaseError of the
  // bookkeeping; what was committed before stays.
  std::vector<std::string> execute(const Plan& plan, bool purge = false);

  // Called before each step with (steps done, steps in the plan, the step's text).
  void on_step(std::function<void(std::size_t, std::size_t, std::string_view)> callback) {
    on_step_ = std::move(callback);
  }

  // The version rows committed so far (the plan's initial rows until the first commit).
  const std::vector<std::string>& committed_rows() const noexcept { return committed_; }

 private:
  void begin();
  void commit(const std::vector<std::string>& rows);
  void rollback_quietly() noexcept;
  void bookkeeping(const Step& step, std::optional<double> duration_ms, bool clear_progress);
  void run_statements(const Revision& rev, const Step& step);
  void run_nontransactional(const Revision& rev, const Step& step,
                            const std::vector<std::string>& rows_after);
  void drop_leftover_index(const Revision& rev, const PlannedStatement& statement);
  void refuse_new_invalid_indexes(const Revision& rev, const Step& step,
                                  const std::vector<PlannedStatement>& statements,
                                  const std::vector<std::string>& invalid_before);
  void run_transactional(const Revision& rev, const Step& step,
                         const std::vector<std::string>& rows_after);
  void run_without_foreign_keys(const Revision& rev, const Step& step,
                                const std::vector<std::string>& rows_after);
  void check_foreign_keys(const Revision& rev, const Step& step);
  void run_code(const Revision& rev, const Step& step, bool transactional);
  void run_code_nontransactional(const Revision& rev, const Step& step,
                                 const std::vector<std::string>& rows_after);
  // The version change, history record and progress removal that end a non-transactional
  // revision, in one transaction; `next_run` says what a run after a failure here does.
  void record_nontransactional(const Revision& rev, const Step& step, double duration_ms,
                               bool clear_progress, const std::vector<std::string>& rows_after,
                               const std::string& next_run);
  // A failure of a non-transactional revision's own bookkeeping (its progress row, the index
  // check, its recording): MigrationError naming the revision, not rolled back, with `state`
  // (what of it is applied and what the next run does).
  [[noreturn]] void nontransactional_failed(const Revision& rev, const Step& step,
                                            const std::string& what, const std::exception& cause,
                                            const std::string& state);
  // The whole run's COMMIT (transaction_per_migration = false): a failure names the last
  // revision and says the run was rolled back, or that its outcome is unknown.
  void commit_run(const Plan& plan, const std::vector<std::string>& rows);
  [[noreturn]] void statement_failed(const Revision& rev, const Step& step, int line,
                                     const std::string& sql, const std::exception& cause,
                                     bool rolled_back, const std::string& extra);
  // The same, for a failure located at file:line (a C++ revision's source).
  [[noreturn]] void failed_at(const Revision& rev, const Step& step, const std::string& file,
                              int line, const std::string& sql, const std::exception& cause,
                              bool rolled_back, const std::string& extra);

  const Settings& settings_;
  const RevisionMap& map_;
  Connection& c_;
  VersionStore& store_;
  LogFn log_;
  std::function<void(std::size_t, std::size_t, std::string_view)> on_step_;
  Dialect dialect_;
  bool open_ = false;
  std::vector<std::string> committed_;
};

// The statements of a revision's sections for `direction` on `dialect`, in order; for a C++
// revision, what its function renders offline (CannotRenderOffline when it reads). Throws
// ConfigError naming the file and line when a statement holds a registered secret (see
// redact::contains_secret): secrets stay out of migrations.
std::vector<PlannedStatement> revision_statements(const Revision& rev, Direction direction,
                                                  Dialect dialect);

// Applies version ops to a row list (the simulation the planner also does).
void apply_ops(std::vector<std::string>& rows, const std::vector<VersionOp>& ops);

// "a1, b2", or "base" when empty.
std::string rows_text(const std::vector<std::string>& rows);

// "upgrade" or "downgrade": the step's direction as the version and progress tables write it.
std::string_view direction_name(const Step& step);

// The progress table's chained checksum of a revision's first k statements:
// h_k = sha256(h_{k-1} + "\n" + sql_k), h_0 = "v1:".
std::string progress_checksum(const std::string& previous, const std::string& sql);

}  // namespace retort::migrate

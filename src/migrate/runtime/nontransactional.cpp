// A revision declared `Transactional: false`, run statement by statement in autocommit mode (or,
// for a C++ revision, its function without a transaction): its progress, the INVALID indexes a
// concurrent build can leave, and the recording at the end. Every failure says how much of the
// revision stays applied, because none of it is rolled back.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "migrate/runtime/invalid_indexes.hpp"
#include "migrate/runtime/runner.hpp"
#include "retort/error.hpp"

namespace retort::migrate {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

void Runner::run_code_nontransactional(const Revision& rev, const Step& step,
                                       const std::vector<std::string>& rows_after) {
  const auto t0 = Clock::now();
  run_code(rev, step, false);  // autocommit: each statement commits on its own
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  record_nontransactional(rev, step, ms, false, rows_after,
                          "the next run runs its function again from the start");
}

void Runner::nontransactional_failed(const Revision& rev, const Step& step, const std::string& what,
                                     const std::exception& cause, const std::string& state) {
  failed_at(rev, step, rev.path, 0, what, cause, false,
            fmt::format("non-transactional revision: {}; the version table stays at {}", state,
                        rows_text(committed_)));
}

void Runner::record_nontransactional(const Revision& rev, const Step& step, double duration_ms,
                                     bool clear_progress,
                                     const std::vector<std::string>& rows_after,
                                     const std::string& next_run) {
  const std::string applied = "all its statements are applied and stay";
  try {
    begin();
    bookkeeping(step, duration_ms, clear_progress);
  } catch (const DatabaseError& e) {
    rollback_quietly();
    nontransactional_failed(rev, step, "(recording the revision in the version table)", e,
                            applied + ", but recording it was rolled back; " + next_run);
  } catch (...) {
    rollback_quietly();
    throw;
  }
  try {
    commit(rows_after);
  } catch (const ConnectionError& e) {
    // As for a transactional revision: the version table, updated in this transaction, tells.
    nontransactional_failed(
        rev, step, "COMMIT", e,
        fmt::format("{}; the connection broke during COMMIT, so whether it was recorded as "
                    "applied is unknown until the version table is read (`retort current`: at {} "
                    "if it was); if it was not, {}",
                    applied, rows_text(rows_after), next_run));
  } catch (const DatabaseError& e) {
    rollback_quietly();
    nontransactional_failed(rev, step, "COMMIT", e,
                            applied + ", but recording it was rolled back; " + next_run);
  }
}

// An index this statement creates CONCURRENTLY that an interrupted earlier run left INVALID:
// dropped (CONCURRENTLY, so writes go on) so the statement builds it again instead of letting
// IF NOT EXISTS skip it.
void Runner::drop_leftover_index(const Revision& rev, const PlannedStatement& statement) {
  const std::optional<ConcurrentIndex> index = concurrent_index_of(statement.sql);
  if (!index) return;
  const std::optional<std::string> leftover = find_invalid_index(c_, *index);
  if (!leftover) return;
  if (log_) {
    log_(
        fmt::format("Dropping index {}, left INVALID by an interrupted run of {} (line {}), to "
                    "build it again",
                    *leftover, rev.id, statement.line));
  }
  c_.execute_script("DROP INDEX CONCURRENTLY IF EXISTS " + *leftover);
}

// After the statements: an index that became invalid while the revision ran (or one it creates
// that is invalid) means its work is not done. The revision is not recorded as applied, and
// its progress goes back to the first statement that creates such an index, so the next run
// drops and builds it again.
void Runner::refuse_new_invalid_indexes(const Revision& rev, const Step& step,
                                        const std::vector<PlannedStatement>& statements,
                                        const std::vector<std::string>& invalid_before) {
  std::vector<std::string> invalid = invalid_indexes(c_);
  std::erase_if(invalid, [&](const std::string& name) {
    return std::find(invalid_before.begin(), invalid_before.end(), name) != invalid_before.end();
  });
  std::optional<std::size_t> rerun_from;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const std::optional<ConcurrentIndex> index = concurrent_index_of(statements[i].sql);
    if (!index) continue;
    if (std::optional<std::string> bad = find_invalid_index(c_, *index)) {
      if (!rerun_from) rerun_from = i;
      if (std::find(invalid.begin(), invalid.end(), *bad) == invalid.end()) invalid.push_back(*bad);
    }
  }
  if (invalid.empty()) return;
  const std::string_view dname = direction_name(step);
  std::string checksum = "v1:";
  for (std::size_t i = 0; rerun_from && i < *rerun_from; ++i)
    checksum = progress_checksum(checksum, statements[i].sql);
  if (rerun_from) {
    const Statement save =
        store_.save_progress(rev.id, dname, Progress{static_cast<int>(*rerun_from), checksum});
    c_.execute(save.sql, save.params);
  }
  MigrationError::Details d;
  d.revision = rev.id;
  d.file = rev.path;
  d.stays_at = rows_text(committed_);
  d.rolled_back = false;
  std::string names;
  for (const std::string& name : invalid) names += (names.empty() ? "" : ", ") + name;
  throw MigrationError(
      fmt::format("non-transactional revision {} ({}) left index{} {} INVALID "
                  "(pg_index.indisvalid = false: a concurrent build failed or was interrupted); "
                  "it is not recorded as applied. {}",
                  rev.id, rev.path, invalid.size() == 1 ? "" : "es", names,
                  rerun_from ? fmt::format("Run the upgrade again: retort drops the invalid index "
                                           "and builds it again from statement {} (line {})",
                                           *rerun_from + 1, statements[*rerun_from].line)
                             : "Drop or REINDEX it by hand (DROP INDEX CONCURRENTLY), then run "
                               "the upgrade again"),
      std::move(d));
}

void Runner::run_nontransactional(const Revision& rev, const Step& step,
                                  const std::vector<std::string>& rows_after) {
  const Direction dir = step.kind == StepKind::upgrade ? Direction::upgrade : Direction::downgrade;
  const std::string_view dname = direction_name(step);
  const std::vector<PlannedStatement> statements = revision_statements(rev, dir, dialect_);
  std::vector<std::string> checksums(statements.size() + 1);
  checksums[0] = "v1:";
  for (std::size_t i = 0; i < statements.size(); ++i)
    checksums[i + 1] = progress_checksum(checksums[i], statements[i].sql);

  const auto none_ran = [&](const std::string& what, const DatabaseError& e) {
    nontransactional_failed(rev, step, what, e,
                            "no statement of it ran in this run; run again to continue");
  };
  std::optional<Progress> progress;
  try {
    progress = store_.read_progress(c_, rev.id, dname);
  } catch (const DatabaseError& e) {
    none_ran("(reading its progress from " + settings_.progress_table + ")", e);
  }
  std::size_t start = 0;
  if (const std::optional<Progress>& p = progress) {
    const auto done = static_cast<std::size_t>(std::max(p->statement_index, 0));
    if (done > statements.size() || checksums[done] != p->checksum) {
      MigrationError::Details d;
      d.revision = rev.id;
      d.file = rev.path;
      d.stays_at = rows_text(committed_);
      d.rolled_back = false;
      throw MigrationError(
          fmt::format("non-transactional revision {} ({}) was interrupted after its statement {}, "
                      "and the first {} "
                      "statements of its {} sections have changed since; retort cannot tell what "
                      "is applied. Bring "
                      "the database in line with the file by hand, then delete its row from {} "
                      "(revision = '{}', "
                      "direction = '{}') to run it from the start",
                      rev.id, rev.path, done, done, dname, settings_.progress_table, rev.id, dname),
          std::move(d));
    }
    start = done;
    if (log_ && start > 0) {
      log_(fmt::format(
          "Resuming non-transactional revision {} at statement {} of {}{}", rev.id, start + 1,
          statements.size(),
          start < statements.size() ? fmt::format(" (line {})", statements[start].line) : ""));
    }
  }
  const bool postgresql = dialect_ == Dialect::postgresql;
  std::vector<std::string> invalid_before;
  try {
    if (postgresql) invalid_before = invalid_indexes(c_);
  } catch (const DatabaseError& e) {
    none_ran("(listing INVALID indexes before it runs)", e);
  }
  const auto t0 = Clock::now();
  for (std::size_t i = start; i < statements.size(); ++i) {
    try {
      if (postgresql) drop_leftover_index(rev, statements[i]);
      c_.execute_script(statements[i].sql);
    } catch (const Error& e) {
      const std::string extra = fmt::format(
          "non-transactional revision: {} of its {} statements are applied and stay; fix the file "
          "and run again to "
          "resume at statement {} (line {}); the version table stays at {}",
          i, statements.size(), i + 1, statements[i].line, rows_text(committed_));
      statement_failed(rev, step, statements[i].line, statements[i].sql, e, false, extra);
    }
    const Statement save =
        store_.save_progress(rev.id, dname, Progress{static_cast<int>(i + 1), checksums[i + 1]});
    try {
      c_.execute(save.sql, save.params);
    } catch (const DatabaseError& e) {
      // The statement committed on its own; its record may or may not have.
      nontransactional_failed(
          rev, step, "(recording its progress in " + settings_.progress_table + ")", e,
          fmt::format("{} of its {} statements are applied and stay, but whether statement {} "
                      "(line {}) was recorded is unknown, so the next run may run it again "
                      "(write such statements so that a second run is harmless: IF NOT EXISTS, "
                      "WHERE NOT EXISTS)",
                      i + 1, statements.size(), i + 1, statements[i].line));
    }
  }
  if (postgresql) {
    try {
      refuse_new_invalid_indexes(rev, step, statements, invalid_before);
    } catch (const DatabaseError& e) {
      nontransactional_failed(
          rev, step, "(checking for INVALID indexes after its statements)", e,
          "all its statements are applied and stay; run again: it resumes after the last one, "
          "checks the indexes and records the revision");
    }
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  record_nontransactional(rev, step, ms, true, rows_after,
                          "the next run resumes after its last statement and only records it");
}
}  // namespace retort::migrate

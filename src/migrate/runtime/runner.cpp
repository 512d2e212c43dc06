#include "migrate/runtime/runner.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "migrate/operations/cpp_revisions.hpp"
#include "migrate/runtime/invalid_indexes.hpp"
#include "migrate/runtime/sql_splitter.hpp"
#include "migrate/script/format.hpp"
#include "migrate/script/script_file.hpp"
#include "migrate/script/sha256.hpp"
#include "retort/error.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// The first line of a statement, shortened, for messages.
std::string excerpt(const std::string& sql) {
  std::string first = sql.substr(0, sql.find('\n'));
  if (first.size() > 200) first = first.substr(0, 200);
  if (first.size() < sql.size()) first += " ...";
  return first;
}

// The seeds' rule "no sensitive data in migrations", enforced: revision files are committed,
// printed by --sql and reviewed, so one holding the database password (or a Vault token)
// leaks it. The message says where, never what.
void refuse_secrets(const Revision& rev, const std::string& where, const SqlStatement& st) {
  if (!redact::contains_secret(st.sql)) return;
  throw ConfigError(fmt::format(
      "{}:{}: revision {} holds a secret retort knows from its settings (a password or token): "
      "migration files go into version control and --sql output, so keep secrets out of them "
      "(set passwords outside migrations, e.g. from a deployment step that reads Vault)",
      where, st.line, rev.id));
}

}  // namespace

std::string_view direction_name(const Step& step) {
  return step.kind == StepKind::upgrade ? kUpgrade : kDowngrade;
}

std::string progress_checksum(const std::string& previous, const std::string& sql) {
  return Sha256::hex(previous + "\n" + sql);
}

std::vector<PlannedStatement> revision_statements(const Revision& rev, Direction direction,
                                                  Dialect dialect) {
  if (rev.code) {
    std::vector<detail::RenderedStatement> rendered;
    try {
      rendered = detail::render_cpp_revision(rev, direction, dialect);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(fmt::format("revision {} ({}:{}) failed while rendering offline: {}", rev.id,
                              rev.path, rev.lines.revision, e.what()));
    }
    std::vector<PlannedStatement> out;
    for (detail::RenderedStatement& st : rendered)
      out.push_back({std::move(st.sql), 0, st.comment});
    return out;
  }
  // A revision loaded headers-only has its sections described but not their SQL: read it now
  // (load_sections refuses a file that changed since the headers were read).
  const Revision* source = &rev;
  Revision full;
  const bool headers_only = !rev.path.empty() && !rev.sections.empty() &&
                            std::all_of(rev.sections.begin(), rev.sections.end(),
                                        [](const Section& s) { return s.sql.empty(); });
  if (headers_only) {
    full = rev;
    load_sections(full);
    source = &full;
  }
  const SqlDialect split_dialect =
      dialect == Dialect::postgresql ? SqlDialect::postgresql : SqlDialect::sqlite;
  const std::string where = source->path.empty() ? source->id : source->path;
  std::vector<PlannedStatement> out;
  for (const Section* s : source->sections_for(direction, dialect_name(dialect))) {
    for (SqlStatement& st : split_sql(s->sql, split_dialect, s->line, where)) {
      refuse_secrets(*source, where, st);
      out.push_back({std::move(st.sql), st.line});
    }
  }
  return out;
}

void apply_ops(std::vector<std::string>& rows, const std::vector<VersionOp>& ops) {
  for (const VersionOp& op : ops) {
    switch (op.kind) {
      case VersionOp::Kind::insert:
        rows.push_back(op.to);
        break;
      case VersionOp::Kind::update:
        std::replace(rows.begin(), rows.end(), op.from, op.to);
        break;
      case VersionOp::Kind::remove:
        rows.erase(std::remove(rows.begin(), rows.end(), op.from), rows.end());
        break;
    }
  }
}

std::string rows_text(const std::vector<std::string>& rows) {
  return rows.empty() ? "base" : comma(rows);
}

Runner::Runner(const Settings& settings, const RevisionMap& map, Connection& connection,
               VersionStore& store, LogFn log)
    : settings_(settings),
      map_(map),
      c_(connection),
      store_(store),
      log_(std::move(log)),
      dialect_(connection.dialect()) {}

void Runner::begin() {
  if (!open_) {
    c_.begin({});
    open_ = true;
  }
}

void Runner::commit(const std::vector<std::string>& rows) {
  if (open_) {
    open_ = false;
    c_.commit();
  }
  committed_ = rows;
}

void Runner::rollback_quietly() noexcept {
  if (!open_) return;
  open_ = false;
  try {
    if (!c_.is_broken() && c_.in_transaction()) c_.rollback();
  } catch (...) {
    // The server rolls back a transaction whose connection is gone.
  }
}

void Runner::statement_failed(const Revision& rev, const Step& step, int line,
                              const std::string& sql, const std::exception& cause, bool rolled_back,
                              const std::string& extra) {
  failed_at(rev, step, rev.path, line, sql, cause, rolled_back, extra);
}

void Runner::failed_at(const Revision& rev, const Step& step, const std::string& file, int line,
                       const std::string& sql, const std::exception& cause, bool rolled_back,
                       const std::string& extra) {
  MigrationError::Details d;
  d.revision = rev.id;
  d.file = file;
  d.line = line;
  d.statement = sql;
  d.rolled_back = rolled_back;
  std::string reason = cause.what();
  if (const auto* db = dynamic_cast<const DatabaseError*>(&cause)) {
    d.sqlstate = db->sqlstate();
    d.server_message = db->server_message();
    reason = fmt::format("SQLSTATE {}: {}", db->sqlstate(), db->server_message());
    if (!db->detail().empty()) reason += fmt::format(" (detail: {})", db->detail());
    if (!db->hint().empty()) reason += fmt::format(" (hint: {})", db->hint());
  }
  d.stays_at = rows_text(committed_);
  std::string where = file.empty() ? rev.id : line > 0 ? fmt::format("{}:{}", file, line) : file;
  std::string message = fmt::format("{} of revision {} failed at {}: {}\n  ", direction_name(step),
                                    rev.id, where, reason);
  if (!sql.empty()) message += fmt::format("statement: {}\n  ", excerpt(sql));
  message += extra;
  if (rolled_back) {
    message += fmt::format("{} rolled back; the database stays at {}",
                           settings_.transaction_per_migration ? "the revision was" : "the run was",
                           d.stays_at);
  }
  throw MigrationError(message, std::move(d));
}

void Runner::bookkeeping(const Step& step, std::optional<double> duration_ms, bool clear) {
  std::vector<Statement> batch;
  for (const VersionOp& op : step.ops) batch.push_back(store_.op_statement(op));
  const std::size_t op_count = batch.size();
  if (step.kind == StepKind::stamp) {
    for (const std::string& id : step.to) {
      const RevIndex r = map_.find(id);
      const Revision* rev = r >= 0 ? &map_.revision(r) : nullptr;
      batch.push_back(
          store_.history_statement(id, kStamp, rev ? rev->checksum : "", rev ? rev->path : "", {}));
    }
    if (!step.stamp_upgrade) {
      for (const std::string& id : step.from) {
        if (std::find(step.to.begin(), step.to.end(), id) != step.to.end()) continue;
        const RevIndex r = map_.find(id);
        batch.push_back(
            store_.history_statement(id, kUnstamp, "", r >= 0 ? map_.revision(r).path : "", {}));
      }
    }
  } else {
    const Revision& rev = map_.revision(step.revision);
    batch.push_back(store_.history_statement(rev.id, direction_name(step), rev.checksum, rev.path,
                                             duration_ms));
    if (clear) batch.push_back(store_.clear_progress(rev.id, direction_name(step)));
  }
  std::vector<Result> results = c_.pipeline(batch);
  for (std::size_t i = 0; i < op_count; ++i) {
    const VersionOp& op = step.ops[i];
    if (op.kind == VersionOp::Kind::insert || results[i].affected_rows() == 1) continue;
    // Alembic's wording: someone changed the version table under us.
    const std::string what = op.kind == VersionOp::Kind::update
                                 ? fmt::format("updating '{}' to '{}'", op.from, op.to)
                                 : fmt::format("deleting '{}'", op.from);
    throw RevisionError(
        RevisionErrorKind::version_table,
        fmt::format("Online migration expected to match one row when {} in '{}'; {} found", what,
                    settings_.version_table, results[i].affected_rows()));
  }
}

void Runner::run_statements(const Revision& rev, const Step& step) {
  if (rev.code) {
    run_code(rev, step, true);
    return;
  }
  const Direction dir = step.kind == StepKind::upgrade ? Direction::upgrade : Direction::downgrade;
  for (const PlannedStatement& st : revision_statements(rev, dir, dialect_)) {
    try {
      c_.execute_script(st.sql);
    } catch (const Error& e) {
      rollback_quietly();
      statement_failed(rev, step, st.line, st.sql, e, true, "");
    }
  }
}

// A C++ revision's function. A failure names the statement and the revision line that issued
// it; an exception of the function's own names the revision's declaration.
void Runner::run_code(const Revision& rev, const Step& step, bool transactional) {
  const Direction dir = step.kind == StepKind::upgrade ? Direction::upgrade : Direction::downgrade;
  detail::OperationsContext context;
  try {
    detail::run_cpp_revision(rev, dir, c_, log_, context);
  } catch (const std::exception& e) {
    if (transactional) rollback_quietly();
    const std::string extra =
        transactional
            ? std::string()
            : fmt::format(
                  "non-transactional revision: what ran before the failure stays applied; the "
                  "next run runs its function again from the start; the version table stays at {}",
                  rows_text(committed_));
    if (context.current_where) {
      failed_at(rev, step, context.current_where->file_name(),
                static_cast<int>(context.current_where->line()), context.current_sql, e,
                transactional, extra);
    }
    failed_at(rev, step, rev.path, rev.lines.revision, "", e, transactional, extra);
  }
}

// SQLite ignores PRAGMA foreign_keys inside a transaction, so the revision gets a transaction of
// its own with enforcement switched off around it; PRAGMA foreign_key_check then stands in for
// the checks that did not run, before anything commits.
void Runner::run_without_foreign_keys(const Revision& rev, const Step& step,
                                      const std::vector<std::string>& rows_after) {
  const bool enforced = c_.execute("PRAGMA foreign_keys").at(0).get<std::int64_t>(0) != 0;
  c_.execute_script("PRAGMA foreign_keys = OFF");
  try {
    begin();
    const auto t0 = Clock::now();
    run_statements(rev, step);
    check_foreign_keys(rev, step);
    bookkeeping(step, std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), false);
    commit(rows_after);
  } catch (...) {
    rollback_quietly();
    if (enforced && !c_.is_broken()) c_.execute_script("PRAGMA foreign_keys = ON");
    throw;
  }
  if (enforced) c_.execute_script("PRAGMA foreign_keys = ON");
}

void Runner::check_foreign_keys(const Revision& rev, const Step& step) {
  // Rows: (table, rowid, referred table, foreign key index).
  const Result violations = c_.execute("PRAGMA foreign_key_check");
  if (violations.empty()) return;
  std::string listed;
  for (std::size_t i = 0; i < violations.size() && i < 5; ++i) {
    const Row row = violations.at(i);
    listed += fmt::format("{}{} rowid {} -> {}", i == 0 ? "" : "; ", row[0].to_display(),
                          row[1].to_display(), row[2].to_display());
  }
  rollback_quietly();
  const Error cause(fmt::format("{} foreign key violation{} after the revision ({}{})",
                                violations.size(), violations.size() == 1 ? "" : "s", listed,
                                violations.size() > 5 ? "; ..." : ""));
  statement_failed(rev, step, 0, "PRAGMA foreign_key_check", cause, true, "");
}

// A transactional revision: its statements and its version-table update in one transaction
// (the run's, in whole-run mode). A failure of any of its steps names the revision: BEGIN, the
// bookkeeping and the COMMIT as well as its own statements.
void Runner::run_transactional(const Revision& rev, const Step& step,
                               const std::vector<std::string>& rows_after) {
  try {
    begin();
  } catch (const DatabaseError& e) {
    rollback_quietly();
    statement_failed(rev, step, 0, "BEGIN", e, true, "");
  }
  const auto t0 = Clock::now();
  run_statements(rev, step);
  try {
    bookkeeping(step, std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), false);
  } catch (const DatabaseError& e) {
    rollback_quietly();
    statement_failed(rev, step, 0, "(recording the revision in the version table)", e, true, "");
  }
  if (!settings_.transaction_per_migration) return;
  try {
    commit(rows_after);
  } catch (const ConnectionError& e) {
    // COMMIT went out and no answer came back: the server may have committed. The version table
    // is updated in the same transaction, so it tells which.
    failed_at(rev, step, rev.path, 0, "COMMIT", e, false,
              fmt::format("the connection broke during COMMIT, so whether revision {} was applied "
                          "is unknown until the version table is read (`retort current`: its "
                          "update commits with the revision's statements, so it tells the truth); "
                          "the database stays at {}, or at {} if the COMMIT went through",
                          rev.id, rows_text(committed_), rows_text(rows_after)));
  } catch (const DatabaseError& e) {
    statement_failed(rev, step, 0, "COMMIT", e, true, "");
  }
}

void Runner::commit_run(const Plan& plan, const std::vector<std::string>& rows) {
  if (!open_) {
    commit(rows);
    return;
  }
  // The revision whose statements were the last in the transaction: the one the error names.
  const auto last = std::find_if(plan.steps.rbegin(), plan.steps.rend(),
                                 [](const Step& s) { return s.kind != StepKind::stamp; });
  try {
    commit(rows);
  } catch (const ConnectionError& e) {
    if (last == plan.steps.rend()) throw;
    failed_at(map_.revision(last->revision), *last, map_.revision(last->revision).path, 0, "COMMIT",
              e, false,
              fmt::format("the connection broke during the run's COMMIT, so whether the run was "
                          "applied is unknown until the version table is read (`retort current`: "
                          "it commits with the revisions' statements, so it tells the truth); the "
                          "database stays at {}, or at {} if the COMMIT went through",
                          rows_text(committed_), rows_text(rows)));
  } catch (const DatabaseError& e) {
    if (last == plan.steps.rend()) throw;
    rollback_quietly();
    failed_at(map_.revision(last->revision), *last, map_.revision(last->revision).path, 0, "COMMIT",
              e, true, "");
  }
}

std::vector<std::string> Runner::execute(const Plan& plan, bool purge) {
  std::vector<std::string> descriptions;
  committed_ = plan.initial_rows;
  std::vector<std::string> rows = plan.initial_rows;
  const bool per_migration = settings_.transaction_per_migration;
  try {
    if (purge) {
      begin();
      const Statement s = store_.purge_statement();
      c_.execute(s.sql, s.params);
      if (per_migration || plan.steps.empty()) commit(rows);
    }
    for (std::size_t n = 0; n < plan.steps.size(); ++n) {
      const Step& step = plan.steps[n];
      const std::string text = step_text(map_, step);
      if (on_step_) on_step_(n, plan.steps.size(), text);
      if (log_) log_("Running " + text);
      descriptions.push_back(text);
      std::vector<std::string> after = rows;
      apply_ops(after, step.ops);
      if (step.kind != StepKind::stamp) {
        const Revision& rev = map_.revision(step.revision);
        if (!rev.transactional) {
          commit(rows);  // whole-run mode: what ran so far commits before
          if (rev.code) {
            run_code_nontransactional(rev, step, after);
          } else {
            run_nontransactional(rev, step, after);
          }
          rows = std::move(after);
          continue;
        }
        if (rev.sqlite_foreign_keys_off && dialect_ == Dialect::sqlite) {
          commit(rows);  // the pragma needs a transaction of the revision's own
          run_without_foreign_keys(rev, step, after);
          rows = std::move(after);
          continue;
        }
        run_transactional(rev, step, after);
        rows = std::move(after);
        continue;
      } else {
        begin();
        bookkeeping(step, std::nullopt, false);
      }
      rows = std::move(after);
      if (per_migration) commit(rows);
    }
    commit_run(plan, rows);
  } catch (...) {
    rollback_quietly();
    throw;
  }
  return descriptions;
}

}  // namespace retort::migrate

#include "driver/sqlite/sqlite_connection.hpp"

#include <utility>

#include <fmt/format.h>

#include "driver/backends.hpp"
#include "driver/sqlite/sqlite_values.hpp"
#include "retort/error.hpp"

namespace retort::driver {

std::unique_ptr<Connection> connect_sqlite(const DatabaseUrl& url,
                                           const ConnectionOptions& options) {
  if (url.dialect() != Dialect::sqlite) {
    throw UsageError("connect_sqlite called with a non-SQLite URL: " + url.redacted());
  }
  return std::make_unique<sqlite::SqliteConnection>(sqlite::SqliteDb::open(url.path(), options),
                                                    options);
}

}  // namespace retort::driver

namespace retort::driver::sqlite {
namespace {

// Rows affected by the statement just run: sqlite3_changes keeps the count of the last
// INSERT/UPDATE/DELETE even across later DDL, so it only counts if the total moved.
std::int64_t changes_since(sqlite3* db, std::int64_t total_before) {
  return sqlite3_total_changes64(db) != total_before ? sqlite3_changes64(db) : 0;
}

// Prefixes a batch member's failure with its position, keeping the exception's class.
[[noreturn]] void rethrow_with_index(std::size_t index) {
  std::string where = fmt::format("pipeline statement at index {}", index);
  try {
    throw;
  } catch (const DatabaseError& e) {
    ErrorInfo info = e.info();
    info.message = where + ": " + info.message;
    throw_database_error(std::move(info));
  } catch (const InvalidInput& e) {
    throw InvalidInput(e.field(), where + ": " + e.reason(), e.offset());
  } catch (const UsageError& e) {
    throw UsageError(where + ": " + e.what());
  }
}

}  // namespace

void abandon_savepoint(SqliteDb& db, const std::string& name) noexcept {
  if (!db.in_transaction()) return;
  db.exec_quietly(fmt::format("ROLLBACK TO {0}; RELEASE {0}", name));
}

SqliteConnection::SqliteConnection(std::shared_ptr<SqliteDb> db, const ConnectionOptions& options)
    : db_(std::move(db)),
      cache_enabled_(options.prepared_statements && options.statement_cache_size > 0),
      cache_(options.statement_cache_size) {}

SqliteConnection::~SqliteConnection() {
  // Finalize our statements now; the handle itself closes when the last CopyWriter lets go.
  cache_.clear();
}

StatementLease SqliteConnection::acquire(std::string_view sql) {
  if (cache_enabled_) {
    PreparedStatement* cached = cache_.find(sql);
    if (cached != nullptr && !cached->in_use) return StatementLease(cached);
    if (cached == nullptr) {
      auto fresh = prepare_single(*db_, sql, true);
      if (!fresh) return StatementLease();
      return StatementLease(cache_.insert(std::string(sql), std::move(fresh)));
    }
    // Already running (a stream() callback re-running its own query): use a private copy.
  }
  return StatementLease(prepare_single(*db_, sql, false));
}

Result SqliteConnection::run(StatementLease& statement, std::span<const Value> params,
                             std::string_view sql) {
  if (!statement) {
    if (!params.empty()) throw UsageError("parameters given for SQL that holds no statement");
    return Result();
  }
  sqlite3_stmt* stmt = statement->get();
  bind_params(*db_, *statement, params, sql);
  std::int64_t total_before = sqlite3_total_changes64(db_->handle());
  int rc = sqlite3_step(stmt);
  // Names and declared types are read after the first step: a schema change re-prepares the
  // statement inside sqlite3_step and may change them.
  std::vector<std::string> names = column_names(stmt);
  std::vector<ColumnHint> hints = column_hints(stmt);
  std::vector<Value> cells;
  std::int64_t rows = 0;
  for (; rc == SQLITE_ROW; rc = sqlite3_step(stmt), ++rows) {
    for (std::size_t c = 0; c < hints.size(); ++c) {
      cells.push_back(decode_column(stmt, static_cast<int>(c), hints[c]));
    }
  }
  if (rc != SQLITE_DONE) db_->fail(rc, sql);
  std::int64_t affected = names.empty() ? changes_since(db_->handle(), total_before) : rows;
  return Result(std::move(names), std::move(cells), affected);
}

void SqliteConnection::refuse_during_unchecked_copy(std::string_view what) const {
  if (!db_->checks_skipped()) return;
  throw UsageError(fmt::format(
      "{}: a copy_in that skips CHECK constraints is open on this connection; finish() it "
      "first (the statement would skip its CHECKs too)",
      what));
}

Result SqliteConnection::run_sql(std::string_view sql, std::span<const Value> params) {
  check_text_params(params);
  StatementLease statement = acquire(sql);
  return run(statement, params, sql);
}

Result SqliteConnection::execute(std::string_view sql, std::span<const Value> params) {
  refuse_during_unchecked_copy("execute");
  return run_sql(sql, params);
}

void SqliteConnection::execute_script(std::string_view sql) {
  refuse_during_unchecked_copy("execute_script");
  db_->exec_script(sql);
}

void SqliteConnection::stream(std::string_view sql, std::span<const Value> params,
                              const RowCallback& on_row) {
  refuse_during_unchecked_copy("stream");
  check_text_params(params);
  // The lease resets the statement however this returns, on_row throwing included, so no
  // read transaction stays open behind the caller's back.
  StatementLease statement = acquire(sql);
  if (!statement) return;
  sqlite3_stmt* stmt = statement->get();
  bind_params(*db_, *statement, params, sql);
  int rc = sqlite3_step(stmt);
  std::vector<std::string> names = column_names(stmt);
  std::vector<ColumnHint> hints = column_hints(stmt);
  std::vector<Value> cells;
  for (; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
    cells.clear();
    cells.reserve(hints.size());
    for (std::size_t c = 0; c < hints.size(); ++c) {
      cells.push_back(decode_column(stmt, static_cast<int>(c), hints[c]));
    }
    // Result owns its cells; one single-row Result per row keeps memory bounded.
    Result row(names, std::move(cells), 1);
    on_row(row[0]);
  }
  if (rc != SQLITE_DONE) db_->fail(rc, sql);
}

std::vector<Result> SqliteConnection::run_each(std::span<const Statement> statements) {
  std::vector<Result> results;
  results.reserve(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    try {
      StatementLease statement = acquire(statements[i].sql);
      results.push_back(run(statement, statements[i].params, statements[i].sql));
    } catch (...) {
      rethrow_with_index(i);
    }
  }
  return results;
}

std::vector<Result> SqliteConnection::pipeline(std::span<const Statement> statements) {
  refuse_during_unchecked_copy("pipeline");
  // Validate every parameter first, so bad text refuses the batch before any of it runs.
  for (std::size_t i = 0; i < statements.size(); ++i) {
    try {
      check_text_params(statements[i].params);
    } catch (...) {
      rethrow_with_index(i);
    }
  }
  if (db_->in_transaction()) return run_each(statements);
  // Outside a transaction the savepoint makes the batch atomic, as a PostgreSQL pipeline's
  // implicit transaction is: the first failure undoes everything before it.
  std::string savepoint = db_->next_savepoint_name("retort_pipeline");
  db_->exec_script("SAVEPOINT " + savepoint);
  try {
    std::vector<Result> results = run_each(statements);
    db_->exec_script("RELEASE " + savepoint);
    return results;
  } catch (...) {
    abandon_savepoint(savepoint);
    throw;
  }
}

std::unique_ptr<CopyWriter> SqliteConnection::copy_in(const QualifiedName& table,
                                                      std::span<const std::string> columns,
                                                      const CopyOptions& options) {
  refuse_during_unchecked_copy("copy_in");
  return make_copy_writer(db_, table, columns, options);
}

void SqliteConnection::begin(const TransactionOptions& options) {
  if (db_->in_transaction()) throw UsageError("begin(): a transaction is already open");
  // SQLite transactions are always serializable, which satisfies every isolation level asked.
  if (!options.read_only) {
    // IMMEDIATE takes the write lock now, so a concurrent writer waits on busy_timeout here
    // instead of both failing later when their read locks try to upgrade.
    execute("BEGIN IMMEDIATE");
    return;
  }
  execute("BEGIN DEFERRED");
  try {
    execute("PRAGMA query_only=1");
    query_only_ = true;
  } catch (...) {
    db_->exec_quietly("ROLLBACK");
    throw;
  }
}

void SqliteConnection::commit() {
  refuse_during_unchecked_copy("commit");
  try {
    run_sql("COMMIT", {});
  } catch (...) {
    // SQLite keeps the transaction open when COMMIT fails (e.g. a deferred foreign key);
    // PostgreSQL ends it. Roll back so callers see the same state on both backends.
    if (db_->in_transaction()) db_->exec_quietly("ROLLBACK");
    end_read_only();
    throw;
  }
  end_read_only();
}

void SqliteConnection::rollback() {
  // SQLite may already have rolled back on its own (SQLITE_FULL, IOERR, BUSY...): then there
  // is nothing to do, as PostgreSQL only warns for ROLLBACK outside a transaction.
  if (db_->in_transaction()) {
    try {
      run_sql("ROLLBACK", {});
    } catch (...) {
      end_read_only();
      throw;
    }
  }
  end_read_only();
}

void SqliteConnection::abandon_savepoint(const std::string& name) noexcept {
  sqlite::abandon_savepoint(*db_, name);
}

void SqliteConnection::end_read_only() noexcept {
  if (!query_only_) return;
  query_only_ = !db_->exec_quietly("PRAGMA query_only=0");
}

}  // namespace retort::driver::sqlite

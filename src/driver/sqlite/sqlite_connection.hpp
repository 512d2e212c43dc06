// The SQLite implementation of retort::Connection.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "driver/sqlite/sqlite_db.hpp"
#include "driver/sqlite/sqlite_statement.hpp"
#include "retort/connection.hpp"

namespace retort::driver::sqlite {

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(std::shared_ptr<SqliteDb> db, const ConnectionOptions& options);
  ~SqliteConnection() override;

  Dialect dialect() const noexcept override { return Dialect::sqlite; }
  Result execute(std::string_view sql, std::span<const Value> params) override;
  using Connection::execute;
  void execute_script(std::string_view sql) override;
  void stream(std::string_view sql, std::span<const Value> params,
              const RowCallback& on_row) override;
  std::vector<Result> pipeline(std::span<const Statement> statements) override;
  using Connection::copy_in;
  std::unique_ptr<CopyWriter> copy_in(const QualifiedName& table,
                                      std::span<const std::string> columns,
                                      const CopyOptions& options) override;

  void begin(const TransactionOptions& options) override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const noexcept override { return db_->in_transaction(); }

  bool is_broken() const noexcept override { return db_->broken(); }
  // Nothing can arrive unasked on an embedded database: alive unless an I/O error was seen.
  bool check_alive() noexcept override { return !db_->broken(); }

  // Makes the statement running on this handle (from another thread) fail with QueryCanceled
  // (SQLITE_INTERRUPT); a no-op when none runs. Safe from any thread while the handle is open.
  void interrupt() noexcept { sqlite3_interrupt(db_->handle()); }

  // Statements currently cached (tests check the LRU bound).
  std::size_t cached_statements() const noexcept { return cache_.size(); }

 private:
  // The compiled statement for sql: from the cache, or freshly prepared (and cached when
  // caching is on). An empty lease when sql holds no statement.
  StatementLease acquire(std::string_view sql);
  Result run(StatementLease& statement, std::span<const Value> params, std::string_view sql);
  std::vector<Result> run_each(std::span<const Statement> statements);
  // Undoes an internal savepoint after a failure; never throws.
  void abandon_savepoint(const std::string& name) noexcept;
  void end_read_only() noexcept;
  // UsageError while a copy that skips CHECK constraints is open on this handle.
  void refuse_during_unchecked_copy(std::string_view what) const;
  Result run_sql(std::string_view sql, std::span<const Value> params);

  std::shared_ptr<SqliteDb> db_;
  bool cache_enabled_;
  StatementCache cache_;
  bool query_only_ = false;  // PRAGMA query_only=1 set by begin(read_only)
};

// The CopyWriter behind SqliteConnection::copy_in (sqlite_copy.cpp).
std::unique_ptr<CopyWriter> make_copy_writer(std::shared_ptr<SqliteDb> db,
                                             const QualifiedName& table,
                                             std::span<const std::string> columns,
                                             const CopyOptions& options);

// Undoes the savepoint `name` (ROLLBACK TO + RELEASE) if the transaction still exists; SQLite
// may already have rolled everything back after a fatal error. Never throws.
void abandon_savepoint(SqliteDb& db, const std::string& name) noexcept;

}  // namespace retort::driver::sqlite

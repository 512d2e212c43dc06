// The asynchronous SQLite connection: the blocking SqliteConnection, each call run on the
// bounded SQLite worker pool while the awaiting coroutine waits on a timer of its own executor.
#pragma once

#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/sqlite/sqlite_connection.hpp"
#include "retort/async.hpp"

namespace retort::async::detail {

// One blocking call under way on a worker, shared by the worker and the awaiting coroutine.
struct SqliteJob;

class SqliteAsyncConnection final : public Connection {
 public:
  SqliteAsyncConnection(const Executor& executor,
                        std::shared_ptr<driver::sqlite::SqliteConnection> conn);
  // A call still under way (its coroutine was destroyed) is interrupted and finishes on its
  // worker, which owns what it uses; nothing is posted back here afterwards.
  ~SqliteAsyncConnection() override;

  Dialect dialect() const noexcept override { return Dialect::sqlite; }
  using Connection::execute;
  asio::awaitable<Result> execute(std::string sql, std::vector<Value> params,
                                  StatementOptions options) override;
  asio::awaitable<std::vector<Result>> pipeline(std::vector<Statement> statements,
                                                StatementOptions options) override;
  asio::awaitable<void> stream(std::string sql, std::vector<Value> params,
                               RowCallback on_row) override;
  asio::awaitable<Notification> next_notification() override;
  asio::awaitable<std::int64_t> copy_in(QualifiedName table, std::vector<std::string> columns,
                                        std::vector<std::vector<Value>> rows) override;
  void begin(const TransactionOptions& options) override;
  asio::awaitable<void> commit() override;
  asio::awaitable<void> rollback() override;
  bool in_transaction() const noexcept override;
  bool is_broken() const noexcept override { return job_ != nullptr || conn_->is_broken(); }
  bool check_alive() noexcept override { return job_ == nullptr && conn_->check_alive(); }

 private:
  enum class Interrupt { none, cancelled, timeout };
  using Work = std::function<std::vector<Result>(driver::sqlite::SqliteConnection&)>;

  void ensure_idle() const;
  // Runs work on a worker (after the deferred BEGIN, if one is pending) and resumes on this
  // connection's executor when it has finished. Cancelling the awaiting coroutine, or the
  // timeout, interrupts the statement (QueryCanceled); the wait still lasts until the worker is
  // done, so the connection is idle again when this returns or throws.
  asio::awaitable<std::vector<Result>> run(Work work, StatementOptions options);
  // Posts job to a worker; its completion wakes signal_ if job is still this one's.
  void start(const std::shared_ptr<SqliteJob>& job, Work work,
             std::optional<TransactionOptions> begin);
  asio::awaitable<void> end_transaction(bool commit);

  Executor executor_;
  std::shared_ptr<driver::sqlite::SqliteConnection> conn_;
  asio::steady_timer signal_;  // cancelled when the current job is done
  std::shared_ptr<SqliteJob> job_;
  std::optional<TransactionOptions> pending_begin_;  // begin() deferred to the first call
};

// Opens the file on a worker (SQLite's open may touch the disk for long) and wraps it.
asio::awaitable<std::unique_ptr<Connection>> connect_sqlite(DatabaseUrl url,
                                                            ConnectionOptions options);

}  // namespace retort::async::detail

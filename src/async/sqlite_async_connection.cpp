#include "async/sqlite_async_connection.hpp"

#include <chrono>
#include <exception>
#include <mutex>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "async/helper_thread.hpp"
#include "async/watched_call.hpp"
#include "driver/backends.hpp"
#include "retort/error.hpp"

namespace retort::async::detail {

using driver::sqlite::SqliteConnection;
using Clock = asio::steady_timer::clock_type;

// After an interrupt, how often it is repeated until the worker is done: sqlite3_interrupt only
// stops a statement already running, and the worker may not have started it yet.
constexpr std::chrono::milliseconds kReinterrupt{20};

struct SqliteJob {
  std::mutex mutex;
  bool done = false;  // the worker has finished (results or failure are set)
  // Nobody awaits the job any more (the call has returned, or the connection is gone): the
  // worker posts nothing back, and a wake-up already posted touches nothing.
  bool unwatched = false;
  std::vector<Result> results;
  std::exception_ptr failure;

  bool finished() {
    std::lock_guard lock(mutex);
    return done;
  }
};

SqliteAsyncConnection::SqliteAsyncConnection(const Executor& executor,
                                             std::shared_ptr<SqliteConnection> conn)
    : executor_(executor), conn_(std::move(conn)), signal_(executor) {}

SqliteAsyncConnection::~SqliteAsyncConnection() {
  if (job_ == nullptr) return;
  std::lock_guard lock(job_->mutex);
  job_->unwatched = true;
  if (!job_->done) conn_->interrupt();
}

void SqliteAsyncConnection::ensure_idle() const {
  if (job_ != nullptr) {
    throw UsageError(
        "another operation is in progress on this asynchronous connection: await it before "
        "starting the next one (or use a pool)");
  }
}

bool SqliteAsyncConnection::in_transaction() const noexcept {
  return pending_begin_.has_value() || (job_ == nullptr && conn_->in_transaction());
}

void SqliteAsyncConnection::start(const std::shared_ptr<SqliteJob>& job, Work work,
                                  std::optional<TransactionOptions> begin) {
  asio::post(sqlite_workers(), [job, conn = conn_, work = std::move(work), begin,
                                executor = executor_, owner = this] {
    try {
      if (begin) conn->begin(*begin);
      job->results = work(*conn);
    } catch (...) {
      job->failure = std::current_exception();
    }
    std::lock_guard lock(job->mutex);
    job->done = true;
    if (job->unwatched) return;
    // While watched, the connection (and its executor) lives: its destructor takes this
    // lock to abandon. The wake-up checks again on the executor, where the destructor runs.
    asio::post(executor, [job, owner] {
      std::lock_guard relock(job->mutex);
      if (!job->unwatched) owner->signal_.cancel();
    });
  });
}

asio::awaitable<std::vector<Result>> SqliteAsyncConnection::run(Work work,
                                                                StatementOptions options) {
  ensure_idle();
  auto job = std::make_shared<SqliteJob>();
  job_ = job;
  start(job, std::move(work), std::exchange(pending_begin_, std::nullopt));
  const Clock::time_point deadline =
      options.timeout.count() > 0 ? Clock::now() + options.timeout : Clock::time_point::max();
  Interrupt interrupt = Interrupt::none;
  while (!job->finished()) {
    signal_.expires_at(interrupt == Interrupt::none ? deadline : Clock::now() + kReinterrupt);
    std::error_code ec;
    try {
      co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    } catch (const std::system_error&) {
      ec = asio::error::operation_aborted;  // cancelled before the wait began
    }
    if (job->finished()) break;
    if (ec == asio::error::operation_aborted) {
      // Not the worker's wake-up (done is false): the awaiting coroutine was cancelled.
      if (interrupt == Interrupt::none) interrupt = Interrupt::cancelled;
      co_await asio::this_coro::reset_cancellation_state();
    } else if (interrupt == Interrupt::none) {
      interrupt = Interrupt::timeout;
    }
    conn_->interrupt();
  }
  {
    std::lock_guard lock(job->mutex);
    job->unwatched = true;
  }
  job_.reset();
  if (job->failure == nullptr) co_return std::move(job->results);
  try {
    std::rethrow_exception(job->failure);
  } catch (const QueryCanceled& e) {
    if (interrupt != Interrupt::timeout) throw;
    ErrorInfo info = e.info();
    info.message += fmt::format(" (statement timeout of {} ms)", options.timeout.count());
    throw QueryCanceled(std::move(info));
  }
}

asio::awaitable<Result> SqliteAsyncConnection::execute(std::string sql, std::vector<Value> params,
                                                       StatementOptions options) {
  Work work = [sql = std::move(sql), params = std::move(params)](SqliteConnection& conn) {
    std::vector<Result> results;
    results.push_back(conn.execute(sql, params));
    return results;
  };
  std::vector<Result> results = co_await run(std::move(work), options);
  co_return std::move(results.front());
}

asio::awaitable<std::vector<Result>> SqliteAsyncConnection::pipeline(
    std::vector<Statement> statements, StatementOptions options) {
  Work work = [statements = std::move(statements)](SqliteConnection& conn) {
    return conn.pipeline(statements);
  };
  return run(std::move(work), options);
}

asio::awaitable<void> SqliteAsyncConnection::stream(std::string sql, std::vector<Value> params,
                                                    RowCallback on_row) {
  // on_row must run on this connection's executor, not on the worker: the rows are read there
  // in one go and handed over here (an embedded database's rows are in this process anyway).
  Result rows = co_await execute(std::move(sql), std::move(params), StatementOptions{});
  for (const Row& row : rows) on_row(row);
}

asio::awaitable<Notification> SqliteAsyncConnection::next_notification() {
  throw UsageError("next_notification(): SQLite has no notifications (LISTEN is PostgreSQL's)");
  co_return Notification{};  // makes this a coroutine: the error is thrown where it is awaited
}

asio::awaitable<std::int64_t> SqliteAsyncConnection::copy_in(QualifiedName table,
                                                             std::vector<std::string> columns,
                                                             std::vector<std::vector<Value>> rows) {
  Work work = [table = std::move(table), columns = std::move(columns),
               rows = std::move(rows)](SqliteConnection& conn) {
    std::unique_ptr<CopyWriter> writer = conn.copy_in(table, columns, CopyOptions{});
    for (const std::vector<Value>& row : rows) writer->write_row(row);
    std::vector<Result> results;
    results.emplace_back(std::vector<std::string>{}, std::vector<Value>{}, writer->finish());
    return results;
  };
  std::vector<Result> results = co_await run(std::move(work), StatementOptions{});
  co_return results.front().affected_rows();
}

void SqliteAsyncConnection::begin(const TransactionOptions& options) {
  ensure_idle();
  if (in_transaction()) throw UsageError("begin(): a transaction is already open");
  // BEGIN IMMEDIATE may wait for another writer: it runs on the worker, with the first call.
  pending_begin_ = options;
}

asio::awaitable<void> SqliteAsyncConnection::commit() {
  ensure_idle();
  if (!in_transaction()) throw UsageError("commit(): no transaction is open");
  return end_transaction(true);
}

asio::awaitable<void> SqliteAsyncConnection::rollback() {
  ensure_idle();
  return end_transaction(false);
}

asio::awaitable<void> SqliteAsyncConnection::end_transaction(bool commit) {
  if (pending_begin_) {  // BEGIN never ran: there is nothing to end
    pending_begin_.reset();
    co_return;
  }
  if (!conn_->in_transaction()) co_return;
  Work work = [commit](SqliteConnection& conn) {
    if (commit) {
      conn.commit();
    } else {
      conn.rollback();
    }
    return std::vector<Result>{};
  };
  co_await run(std::move(work), StatementOptions{});
}

asio::awaitable<std::unique_ptr<Connection>> connect_sqlite(DatabaseUrl url,
                                                            ConnectionOptions options) {
  // Opened on a worker: a file may be locked, or on a slow disk. watched_call, not co_spawn: the
  // pool may be destroyed, with its io_context, while a connection is still opening.
  // A named awaitable: GCC 12 destroys a lambda temporary inside a co_await expression twice.
  asio::awaitable<std::shared_ptr<SqliteConnection>> open =
      watched_call<std::shared_ptr<SqliteConnection>>(
          sqlite_workers(), [url = std::move(url), options = std::move(options)] {
            std::unique_ptr<retort::Connection> opened = driver::connect_sqlite(url, options);
            return std::shared_ptr<SqliteConnection>(
                static_cast<SqliteConnection*>(opened.release()));
          });
  std::shared_ptr<SqliteConnection> conn = co_await std::move(open);
  co_return std::make_unique<SqliteAsyncConnection>(co_await asio::this_coro::executor,
                                                    std::move(conn));
}

}  // namespace retort::async::detail

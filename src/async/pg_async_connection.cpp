#include "async/pg_async_connection.hpp"

#include <array>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "async/helper_thread.hpp"
#include "driver/postgres/pg_connect.hpp"

namespace retort::async::detail {

using driver::pg::BatchStatement;
using driver::pg::CollectCursor;

PgAsyncConnection::PgAsyncConnection(const Executor& executor,
                                     std::unique_ptr<driver::pg::PgConnection> conn)
    : executor_(executor), conn_(std::move(conn)), socket_(executor) {
  socket_.watch(PQsocket(conn_->raw()));
}

PgAsyncConnection::~PgAsyncConnection() {
  // Before conn_ (PQfinish) closes the socket.
  socket_.release();
}

bool PgAsyncConnection::check_alive() noexcept {
  if (busy_) return false;
  return conn_->check_alive();
}

void PgAsyncConnection::ensure_idle() const {
  if (busy_) {
    throw UsageError(
        "another operation is in progress on this asynchronous connection: await it before "
        "starting the next one (or use a pool)");
  }
  conn_->ensure_usable();
}

asio::awaitable<Result> PgAsyncConnection::execute(std::string sql, std::vector<Value> params,
                                                   StatementOptions options) {
  ensure_idle();
  const std::string text = driver::pg::checked_sql(sql);
  const driver::pg::EncodedParams encoded = driver::pg::encode_params(params);
  const BatchStatement statement{text, &encoded};
  for (int attempt = 0;; ++attempt) {
    Commands commands = conn_->plan_batch(std::span(&statement, 1));
    co_await exchange(commands, options);
    // A cached statement the server no longer accepts: outside a transaction the failed attempt
    // left nothing behind, so it is prepared afresh and run again (as the blocking driver does).
    const bool stale = attempt == 0 && !conn_->in_transaction() &&
                       driver::pg::is_stale_statement(commands.back().result.get()) &&
                       commands.back().kind == driver::pg::PipelineCommand::Kind::execute;
    if (!stale) {
      std::vector<Result> results = finish(commands, 1, false, options);
      co_return std::move(results.front());
    }
    try {
      conn_->finish_batch(commands, 1, false);  // forgets the stale statement, then throws
    } catch (const DatabaseError&) {
    }
  }
}

asio::awaitable<std::vector<Result>> PgAsyncConnection::pipeline(std::vector<Statement> statements,
                                                                 StatementOptions options) {
  ensure_idle();
  if (statements.empty()) co_return std::vector<Result>{};
  const driver::pg::CheckedBatch batch = driver::pg::check_batch(statements);
  Commands commands = conn_->plan_batch(batch.statements);
  co_await exchange(commands, options);
  co_return finish(commands, statements.size(), true, options);
}

void PgAsyncConnection::begin(const TransactionOptions& options) {
  ensure_idle();
  conn_->begin(options);
}

asio::awaitable<void> PgAsyncConnection::commit() {
  return end_transaction("COMMIT", "commit()");
}

asio::awaitable<void> PgAsyncConnection::rollback() {
  return end_transaction("ROLLBACK", "");
}

asio::awaitable<void> PgAsyncConnection::end_transaction(std::string sql, std::string_view what) {
  if (busy_) ensure_idle();
  if (!conn_->end_transaction(what)) co_return;
  const bool commit = sql == "COMMIT";
  Commands commands = conn_->plan_control(std::move(sql));
  co_await exchange(commands, {});
  conn_->finish_batch(commands, 0, false);
  if (commit) driver::pg::PgConnection::check_commit_outcome(commands.front().result.get());
}

asio::awaitable<void> PgAsyncConnection::apply_session_settings() {
  for (const std::string& sql : driver::pg::session_settings()) {
    Commands commands = conn_->plan_control(sql);
    co_await exchange(commands, {});
    conn_->finish_batch(commands, 0, false);
  }
}

std::vector<Result> PgAsyncConnection::finish(const Commands& commands, std::size_t count,
                                              bool annotate, StatementOptions options) {
  try {
    return conn_->finish_batch(commands, count, annotate);
  } catch (const QueryCanceled& e) {
    if (interrupt_ != Interrupt::timeout) throw;
    ErrorInfo info = e.info();
    info.message += fmt::format(" (statement timeout of {} ms)", options.timeout.count());
    throw QueryCanceled(std::move(info));
  }
}

asio::awaitable<void> PgAsyncConnection::exchange(Commands& commands, StatementOptions options) {
  PGconn* conn = conn_->raw();
  busy_ = true;
  interrupt_ = Interrupt::none;
  // The timer's handler may run after this frame is gone (it is queued when the timer is
  // destroyed): it acts only while the frame's token lives.
  auto alive = std::make_shared<int>(0);
  asio::steady_timer deadline(executor_);
  if (options.timeout.count() > 0) {
    deadline.expires_after(options.timeout);
    deadline.async_wait([this, token = std::weak_ptr<int>(alive)](std::error_code ec) {
      if (!ec && !token.expired()) request_cancel(Interrupt::timeout);
    });
  }
  try {
    if (PQenterPipelineMode(conn) != 1) conn_->link_failed("pipeline");
    conn_->send_commands(commands);
    co_await flush();
    CollectCursor cursor;
    while (!conn_->collect_available(commands, cursor)) co_await read_more();
    if (PQexitPipelineMode(conn) != 1 && PQstatus(conn) != CONNECTION_BAD) {
      conn_->link_failed("pipeline");
    }
  } catch (...) {
    // libpq and the server may disagree about what is pending now.
    conn_->mark_broken();
    if (PQstatus(conn) == CONNECTION_BAD) socket_.release();
    throw;
  }
  deadline.cancel();
  co_await wait_cancel_done();
  if (PQstatus(conn) == CONNECTION_BAD) socket_.release();  // libpq has closed it
  busy_ = false;
}

// Pushes libpq's buffered output out; while the server cannot take more (it is busy writing
// results we have not read), reads them, so neither side waits on the other.
asio::awaitable<void> PgAsyncConnection::flush() {
  PGconn* conn = conn_->raw();
  for (;;) {
    const int pending = PQflush(conn);
    if (pending == 0) co_return;
    if (pending < 0) conn_->link_failed("pipeline");
    const Readiness ready = co_await socket_.wait_either("pipeline");
    if (ready.cancelled) request_cancel(Interrupt::cancelled);
    if (ready.readable && PQconsumeInput(conn) == 0) conn_->link_failed("pipeline");
  }
}

asio::awaitable<void> PgAsyncConnection::read_more() {
  PGconn* conn = conn_->raw();
  if (co_await socket_.wait_readable("pipeline") == Waited::cancelled) {
    request_cancel(Interrupt::cancelled);
    co_return;
  }
  // A lost link may leave the server's last words in libpq's buffer: collection reads them.
  if (PQconsumeInput(conn) == 0) {
    if (PQstatus(conn) != CONNECTION_BAD) conn_->link_failed("pipeline");
    co_return;
  }
  // A refused COPY's end (PQputCopyEnd) may still sit in libpq's output buffer.
  co_await flush();
}

void PgAsyncConnection::request_cancel(Interrupt why) {
  if (cancel_ || !busy_) return;  // one request per exchange
  PGcancel* handle = PQgetCancel(conn_->raw());
  if (handle == nullptr) return;
  interrupt_ = why;
  cancel_ = std::make_shared<CancelRequest>(executor_);
  // PQcancel connects to the server and waits for it: the helper thread's job. The request
  // object is shared, so the completion is safe whoever finishes first.
  asio::post(helper_thread(), [handle, request = cancel_] {
    std::array<char, 256> message{};
    PQcancel(handle, message.data(), static_cast<int>(message.size()));
    PQfreeCancel(handle);
    asio::post(request->signal.get_executor(), [request] {
      request->done = true;
      request->signal.cancel();
    });
  });
}

// A cancel request still under way could hit the next statement: wait until the server has it.
asio::awaitable<void> PgAsyncConnection::wait_cancel_done() {
  while (cancel_ && !cancel_->done) {
    cancel_->signal.expires_at(asio::steady_timer::time_point::max());
    std::error_code ec;
    try {
      co_await cancel_->signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    } catch (const std::system_error&) {
      ec = asio::error::operation_aborted;
    }
    if (ec == asio::error::operation_aborted && !cancel_->done) {
      co_await asio::this_coro::reset_cancellation_state();
    }
  }
  cancel_.reset();
}

}  // namespace retort::async::detail

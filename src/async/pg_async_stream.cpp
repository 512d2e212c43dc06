// Streaming on the asynchronous PostgreSQL connection: the blocking driver's single-row mode
// (PgConnection::send_streamed, the same statement cache and decoding), each row handed to the
// callback as it arrives, every wait a wait on the socket. And notifications (LISTEN), which
// arrive on the same socket between statements.
#include <asio/error.hpp>
#include <exception>
#include <system_error>
#include <utility>

#include "async/pg_async_connection.hpp"
#include "driver/postgres/pg_values.hpp"

namespace retort::async::detail {

using driver::pg::PgResult;

asio::awaitable<void> PgAsyncConnection::stream(std::string sql, std::vector<Value> params,
                                                RowCallback on_row) {
  ensure_idle();
  const std::string text = driver::pg::checked_sql(sql);
  const driver::pg::EncodedParams encoded = driver::pg::encode_params(params);
  // Single-row mode and pipeline mode do not mix simply: a deferred BEGIN goes first.
  if (std::optional<std::string> begin = conn_->take_pending_begin()) {
    Commands commands = conn_->plan_control(std::move(*begin));
    co_await exchange(commands, StatementOptions{});
    conn_->finish_batch(commands, 0, false);
  }
  busy_ = true;
  interrupt_ = Interrupt::none;
  std::exception_ptr failure;
  try {
    co_await run_stream(text, encoded, on_row);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await settle();
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> PgAsyncConnection::run_stream(const std::string& text,
                                                    const driver::pg::EncodedParams& encoded,
                                                    const RowCallback& on_row) {
  const std::string name = conn_->send_streamed(text, encoded);
  co_await flush();
  std::vector<std::string> columns;
  PgResult failed;
  std::exception_ptr stopped;  // what on_row threw: the rest is cancelled and drained
  for (;;) {
    PgResult res(co_await next_result());
    if (!res) break;
    const ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_SINGLE_TUPLE && !stopped) {
      if (columns.empty()) columns = driver::pg::column_names(res.get());
      std::vector<Value> cells;
      cells.reserve(columns.size());
      driver::pg::append_row(res.get(), 0, cells);
      const Result row(columns, std::move(cells), 1);
      try {
        on_row(row[0]);
      } catch (...) {
        stopped = std::current_exception();
        request_cancel(Interrupt::cancelled);
      }
    } else if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      conn_->mark_broken();  // a COPY cannot be streamed; its state is not worth unwinding
      throw UsageError("stream(): a COPY statement cannot be streamed: " + text);
    } else if (status == PGRES_FATAL_ERROR && !failed) {
      failed = std::move(res);
    }
  }
  if (stopped) std::rethrow_exception(stopped);
  if (failed) {
    conn_->forget_if_stale(failed.get(), name);
    conn_->fail(failed.get(), text);
  }
  if (PQstatus(conn_->raw()) == CONNECTION_BAD) conn_->link_failed(text);
}

asio::awaitable<Notification> PgAsyncConnection::next_notification() {
  ensure_idle();
  PGconn* conn = conn_->raw();
  busy_ = true;  // no statement may start while this waits on the socket
  for (;;) {
    if (PGnotify* notify = PQnotifies(conn)) {
      Notification out{notify->relname, notify->extra != nullptr ? notify->extra : "",
                       notify->be_pid};
      PQfreemem(notify);
      busy_ = false;
      co_return out;
    }
    Waited waited = Waited::ready;
    try {
      waited = co_await socket_.wait_readable("LISTEN");
    } catch (...) {
      conn_->mark_broken();
      throw;
    }
    if (waited == Waited::cancelled) {
      busy_ = false;  // nothing was sent: the connection is as it was
      throw std::system_error(asio::error::operation_aborted, "next_notification() cancelled");
    }
    if (PQconsumeInput(conn) == 0) {
      if (PQstatus(conn) == CONNECTION_BAD) socket_.release();
      conn_->link_failed("waiting for a notification (LISTEN)");
    }
  }
}

}  // namespace retort::async::detail

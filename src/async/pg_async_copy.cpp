// COPY ... FROM STDIN on the asynchronous PostgreSQL connection: the blocking driver's statement
// text, field encoding and error mapping, with every wait a wait on the socket. COPY cannot run
// in pipeline mode, so this exchange uses libpq's plain non-blocking calls.
#include <exception>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "async/pg_async_connection.hpp"
#include "driver/postgres/pg_copy.hpp"
#include "driver/postgres/pg_values.hpp"

namespace retort::async::detail {
namespace {

using driver::pg::PgResult;

// What is handed to libpq at a time (as the blocking CopyWriter does).
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr const char* kAborted = "retort: the asynchronous copy was aborted by the client";

}  // namespace

asio::awaitable<std::int64_t> PgAsyncConnection::copy_in(QualifiedName table,
                                                         std::vector<std::string> columns,
                                                         std::vector<std::vector<Value>> rows) {
  ensure_idle();
  const std::string sql = driver::pg::checked_sql(driver::pg::copy_statement(table, columns));
  busy_ = true;
  interrupt_ = Interrupt::none;
  std::exception_ptr failure;
  std::int64_t stored = 0;
  try {
    stored = co_await run_copy(sql, columns.size(), rows);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await settle();
  if (failure) std::rethrow_exception(failure);
  co_return stored;
}

asio::awaitable<void> PgAsyncConnection::settle() {
  co_await wait_cancel_done();
  // A failure that left the exchange midway leaves libpq and the server out of step.
  PGconn* conn = conn_->raw();
  const PGTransactionStatusType state = PQtransactionStatus(conn);
  if (state == PQTRANS_ACTIVE || state == PQTRANS_UNKNOWN) conn_->mark_broken();
  if (PQstatus(conn) == CONNECTION_BAD) socket_.release();
  busy_ = false;
}

// The next result, reading the socket while libpq needs more input; null when there is none.
asio::awaitable<PGresult*> PgAsyncConnection::next_result() {
  PGconn* conn = conn_->raw();
  while (PQisBusy(conn) != 0 && PQstatus(conn) != CONNECTION_BAD) co_await read_more();
  co_return PQgetResult(conn);
}

// Queues chunk (waiting while libpq's buffer is full) and pushes it out.
asio::awaitable<void> PgAsyncConnection::put_copy(const std::string& chunk) {
  if (chunk.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw UsageError("copy_in: row larger than 2 GiB");
  }
  PGconn* conn = conn_->raw();
  for (;;) {
    const int queued = PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size()));
    if (queued < 0) conn_->link_failed("COPY");
    co_await flush();
    if (queued == 1) co_return;
  }
}

asio::awaitable<std::int64_t> PgAsyncConnection::run_copy(
    const std::string& sql, std::size_t width, const std::vector<std::vector<Value>>& rows) {
  PGconn* conn = conn_->raw();
  // The simple protocol takes "BEGIN; COPY ..." in one message: a deferred BEGIN rides along.
  const std::string text = conn_->with_pending_begin(sql);
  if (PQsendQuery(conn, text.c_str()) == 0) conn_->fail(nullptr, sql);
  co_await flush();
  std::vector<std::string> fields;
  for (;;) {  // BEGIN's result when it rode along, then the COPY IN state
    PgResult res(co_await next_result());
    if (!res) conn_->fail(nullptr, sql);
    const ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_COPY_IN) {
      // Without a column list the server says how many columns the table has.
      const std::size_t count = width > 0 ? width : static_cast<std::size_t>(PQnfields(res.get()));
      for (std::size_t i = 0; i < count; ++i) fields.push_back(fmt::format("column {}", i + 1));
      break;
    }
    if (status != PGRES_COMMAND_OK) {
      for (;;) {  // the rest, to the end of the exchange
        PgResult rest(co_await next_result());
        if (!rest) break;
      }
      conn_->fail(res.get(), sql);
    }
  }
  std::exception_ptr refused;  // a row the client cannot encode: the copy is aborted
  try {
    std::string buffer;
    std::string line;
    for (const std::vector<Value>& row : rows) {
      if (row.size() != fields.size()) {
        throw UsageError(
            fmt::format("copy_in: {} values for {} columns ({})", row.size(), fields.size(), sql));
      }
      line.clear();
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line.push_back('\t');
        driver::pg::append_copy_field(line, row[i], fields[i]);
      }
      line.push_back('\n');
      buffer += line;
      if (buffer.size() >= kChunkBytes) {
        co_await put_copy(buffer);
        buffer.clear();
      }
    }
    if (!buffer.empty()) co_await put_copy(buffer);
  } catch (const UsageError&) {
    refused = std::current_exception();
  }
  for (;;) {
    const int ended = PQputCopyEnd(conn, refused ? kAborted : nullptr);
    if (ended < 0) conn_->link_failed("COPY");
    co_await flush();
    if (ended == 1) break;
  }
  PgResult done;
  PgResult failed;
  for (;;) {
    PgResult res(co_await next_result());
    if (!res) break;
    if (PQresultStatus(res.get()) == PGRES_COMMAND_OK) {
      done = std::move(res);
    } else if (!failed) {
      failed = std::move(res);
    }
  }
  if (refused) std::rethrow_exception(refused);  // the server's complaint is about our abort
  if (failed || !done) conn_->fail(failed.get(), sql);
  co_return driver::pg::affected_rows(done.get());
}

}  // namespace retort::async::detail

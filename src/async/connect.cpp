// async::connect: PQconnectStartParams on the helper thread (it resolves the host name, which
// libpq 15 can only do blocking), then the handshake with PQconnectPoll on the caller's executor.
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "async/helper_thread.hpp"
#include "async/pg_async_connection.hpp"
#include "async/pg_socket.hpp"
#include "async/sqlite_async_connection.hpp"
#include "async/watched_call.hpp"
#include "driver/postgres/pg_connect.hpp"

namespace retort::async {
namespace {

struct ConnDeleter {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

// connect_timeout as libpq would apply it (the URL's or the option's; 0: none). libpq enforces it
// only in its blocking connect, so the asynchronous one runs its own timer.
std::chrono::seconds connect_timeout(const driver::pg::Params& params) {
  for (const auto& [key, value] : params) {
    if (key == "connect_timeout") {
      try {
        return std::chrono::seconds(std::max(0, std::stoi(value)));
      } catch (const std::exception&) {
        return std::chrono::seconds(0);  // libpq itself refuses it, with its own message
      }
    }
  }
  return std::chrono::seconds(0);
}

[[noreturn]] void timed_out(const DatabaseUrl& url, std::chrono::seconds limit) {
  ErrorInfo info;
  info.sqlstate = "08001";
  info.message = fmt::format("cannot connect to {}: no answer within connect_timeout ({} s)",
                             url.redacted(), limit.count());
  throw ConnectionError(std::move(info));
}

// The handshake: PQconnectPoll, waiting on the socket in the direction it asks for. libpq may
// switch sockets between attempts (several hosts, sslmode=prefer retrying in plain text), so
// the socket is watched afresh for every wait. False when libpq gave up (its reason is in conn).
asio::awaitable<bool> handshake(PGconn* conn, const DatabaseUrl& url, std::chrono::seconds limit) {
  const Executor executor = co_await asio::this_coro::executor;
  detail::PgSocket socket(executor);
  bool expired = false;
  asio::steady_timer deadline(executor);  // destroyed before socket: its handler never runs late
  if (limit.count() > 0) {
    deadline.expires_after(limit);
    deadline.async_wait([&expired, &socket](std::error_code ec) {
      if (ec) return;
      expired = true;
      socket.release();  // ends the pending wait
    });
  }
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  for (;;) {
    if (status == PGRES_POLLING_FAILED) co_return false;
    if (status == PGRES_POLLING_OK) co_return true;
    socket.watch(PQsocket(conn));
    const detail::Waited waited = status == PGRES_POLLING_READING
                                      ? co_await socket.wait_readable("connect")
                                      : co_await socket.wait_writable("connect");
    socket.release();
    if (expired) timed_out(url, limit);
    if (waited == detail::Waited::cancelled) {
      throw std::system_error(asio::error::operation_aborted, "connect cancelled");
    }
    status = PQconnectPoll(conn);
  }
}

// One connection attempt; `established` false when libpq gave up (its reason is in conn, which
// may be null).
struct Attempt {
  ConnPtr conn;
  bool established = false;
};

asio::awaitable<Attempt> attempt(driver::pg::Params params, const DatabaseUrl& url) {
  const std::chrono::seconds limit = connect_timeout(params);
  Attempt a;
  // PQconnectStartParams resolves the host name before it returns: run on the helper thread
  // (watched_call, not co_spawn: a pool may be destroyed, with its io_context, meanwhile).
  // A named awaitable: GCC 12 destroys a lambda temporary inside a co_await expression twice.
  asio::awaitable<ConnPtr> start =
      detail::watched_call<ConnPtr>(detail::helper_thread(), [params = std::move(params)] {
        const driver::pg::ConnectKeywords keywords(params);
        return ConnPtr(PQconnectStartParams(keywords.keywords.data(), keywords.values.data(), 0));
      });
  a.conn = co_await std::move(start);
  if (!a.conn || PQstatus(a.conn.get()) == CONNECTION_BAD) co_return a;
  a.established = co_await handshake(a.conn.get(), url, limit);
  co_return a;
}

}  // namespace

asio::awaitable<std::unique_ptr<Connection>> connect(DatabaseUrl url, ConnectionOptions options) {
  if (url.dialect() == Dialect::sqlite) {
    co_return co_await detail::connect_sqlite(std::move(url), std::move(options));
  }
  driver::pg::Params params = driver::pg::connection_params(url, options);
  // Behind PgBouncer, without `options` and with the settings SET afterwards, as the blocking
  // connect does (driver/postgres/pg_connect.hpp).
  bool without_options = driver::pg::skip_options(url);
  if (without_options) params = driver::pg::without_options(std::move(params));
  Attempt a = co_await attempt(params, url);
  if (!a.established && !without_options && driver::pg::retry_without_options(a.conn.get(), url)) {
    without_options = true;
    a = co_await attempt(driver::pg::without_options(std::move(params)), url);
  }
  if (!a.established) driver::pg::throw_connect_failure(a.conn.release(), url);
  if (PQsetnonblocking(a.conn.get(), 1) != 0) {
    driver::pg::throw_connect_failure(a.conn.release(), url);
  }
  std::unique_ptr<driver::pg::PgConnection> established =
      driver::pg::adopt_connection(a.conn.release(), options);
  auto connection = std::make_unique<detail::PgAsyncConnection>(co_await asio::this_coro::executor,
                                                                std::move(established));
  if (without_options) co_await connection->apply_session_settings();
  co_return connection;
}

asio::awaitable<std::unique_ptr<Connection>> connect(DatabaseUrl url) {
  return async::connect(std::move(url), ConnectionOptions{});
}

}  // namespace retort::async

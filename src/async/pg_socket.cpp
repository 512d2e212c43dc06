#include "async/pg_socket.hpp"

#include <array>
#include <string>
#include <system_error>
#include <tuple>

#include <asio/error.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "retort/error.hpp"

namespace retort::async::detail {
namespace {

bool aborted(const std::error_code& ec) {
  return ec == asio::error::operation_aborted;
}

[[noreturn]] void wait_failed(const char* what, const std::error_code& ec) {
  ErrorInfo info;
  info.sqlstate = "08006";
  info.message = std::string("waiting on the PostgreSQL socket failed: ") + ec.message();
  info.statement = what;
  throw ConnectionError(std::move(info));
}

}  // namespace

void PgSocket::watch(int fd) {
  release();
  std::error_code ec;
  descriptor_.assign(fd, ec);
  if (ec) wait_failed("watching the socket", ec);
}

void PgSocket::release() noexcept {
  // Hands the descriptor back to libpq, which owns (and closes) it.
  if (descriptor_.is_open()) static_cast<void>(descriptor_.release());
}

asio::awaitable<Waited> PgSocket::wait(asio::posix::descriptor_base::wait_type type,
                                       const char* what) {
  std::error_code ec;
  try {
    co_await descriptor_.async_wait(type, asio::redirect_error(asio::use_awaitable, ec));
  } catch (const std::system_error& e) {
    // Asio throws before starting the wait when the coroutine was cancelled meanwhile.
    if (!aborted(e.code())) throw;
    ec = e.code();
  }
  if (!ec) co_return Waited::ready;
  if (!aborted(ec)) wait_failed(what, ec);
  co_await asio::this_coro::reset_cancellation_state();
  co_return Waited::cancelled;
}

asio::awaitable<Waited> PgSocket::wait_readable(const char* what) {
  return wait(asio::posix::descriptor_base::wait_read, what);
}

asio::awaitable<Waited> PgSocket::wait_writable(const char* what) {
  return wait(asio::posix::descriptor_base::wait_write, what);
}

asio::awaitable<Readiness> PgSocket::wait_either(const char* what) {
  using asio::posix::descriptor_base;
  std::array<std::size_t, 2> order{};
  std::error_code read_ec;
  std::error_code write_ec;
  bool cancelled_early = false;
  try {
    std::tie(order, read_ec, write_ec) =
        co_await asio::experimental::make_parallel_group(
            [&](auto token) { return descriptor_.async_wait(descriptor_base::wait_read, token); },
            [&](auto token) { return descriptor_.async_wait(descriptor_base::wait_write, token); })
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  } catch (const std::system_error& e) {
    if (!aborted(e.code())) throw;
    cancelled_early = true;
  }
  Readiness readiness;
  if (!cancelled_early && (!read_ec || !write_ec)) {
    readiness.readable = !read_ec;
    co_return readiness;
  }
  // Both waits ended without the socket becoming ready: cancelled, or a failed wait.
  if (!cancelled_early && !aborted(read_ec)) wait_failed(what, read_ec);
  if (!cancelled_early && !aborted(write_ec)) wait_failed(what, write_ec);
  co_await asio::this_coro::reset_cancellation_state();
  readiness.cancelled = true;
  co_return readiness;
}

}  // namespace retort::async::detail

// Waiting on a libpq connection's socket from a coroutine, without reading it (libpq reads).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include "retort/async.hpp"

namespace retort::async::detail {

enum class Waited { ready, cancelled };

// What a wait for both directions found.
struct Readiness {
  bool cancelled = false;
  bool readable = false;
};

// A non-owning view of a socket that libpq owns: release() hands the descriptor back without
// closing it, and must be called before libpq closes the socket (PQfinish, a lost link).
class PgSocket {
 public:
  explicit PgSocket(const Executor& executor) : descriptor_(executor) {}
  ~PgSocket() { release(); }
  PgSocket(const PgSocket&) = delete;
  PgSocket& operator=(const PgSocket&) = delete;

  // Watches fd from now on (releasing the previous one).
  void watch(int fd);
  void release() noexcept;
  bool watching() const noexcept { return descriptor_.is_open(); }

  // Until the socket is readable (or writable). Waited::cancelled when the awaiting coroutine
  // was cancelled (its cancellation state is then reset, so the caller can go on waiting);
  // throws ConnectionError naming what for any other failure of the wait.
  asio::awaitable<Waited> wait_readable(const char* what);
  asio::awaitable<Waited> wait_writable(const char* what);
  // Until the socket is readable or writable, whichever comes first.
  asio::awaitable<Readiness> wait_either(const char* what);

 private:
  asio::awaitable<Waited> wait(asio::posix::descriptor_base::wait_type type, const char* what);
  asio::posix::stream_descriptor descriptor_;
};

}  // namespace retort::async::detail

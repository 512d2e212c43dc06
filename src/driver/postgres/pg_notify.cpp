// LISTEN/NOTIFY: the primitive the worker's wake-up and the async layer build on. Notifications
// are read with PQconsumeInput/PQnotifies, waiting on the socket with poll().
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>

#include "driver/postgres/pg_connection.hpp"

namespace retort::driver::pg {
namespace {

struct NotifyFree {
  void operator()(PGnotify* n) const noexcept { PQfreemem(n); }
};

std::optional<Notification> take_queued(PGconn* conn) {
  std::unique_ptr<PGnotify, NotifyFree> n(PQnotifies(conn));
  if (!n) return std::nullopt;
  Notification out;
  out.channel = n->relname != nullptr ? n->relname : "";
  out.payload = n->extra != nullptr ? n->extra : "";
  out.sender_pid = n->be_pid;
  return out;
}

}  // namespace

void PgConnection::listen(std::string_view channel) {
  execute_script("LISTEN " + quote_identifier(channel));
  listening_ = true;
}

void PgConnection::unlisten(std::string_view channel) {
  execute_script(channel == "*" ? std::string("UNLISTEN *")
                                : "UNLISTEN " + quote_identifier(channel));
}

std::optional<Notification> PgConnection::wait_for_notification(std::chrono::milliseconds timeout) {
  ensure_usable();
  if (auto queued = take_queued(conn_)) return queued;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) link_failed("waiting for notifications");
    const int ready = poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (ready < 0) {
      if (errno == EINTR) return std::nullopt;  // a signal: the caller looks at its flags
      link_failed("waiting for notifications");
    }
    if (ready > 0) {
      if (PQconsumeInput(conn_) == 0) link_failed("waiting for notifications");
      if (auto arrived = take_queued(conn_)) return arrived;
      if (is_broken()) ensure_usable();  // a FATAL notice (terminated backend) arrived
    }
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

}  // namespace retort::driver::pg

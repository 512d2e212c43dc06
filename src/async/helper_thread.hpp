// The helper thread for the few libpq calls that only exist in a blocking form (PQcancel, the
// host-name lookup inside PQconnectStartParams): they run here, never on a caller's executor.
#pragma once

#include <asio/thread_pool.hpp>

namespace retort::async::detail {

// One process-wide thread, started on first use and joined at exit. Jobs run one at a time, in
// the order given; each is short (one cancel request, one connection start).
asio::thread_pool& helper_thread();

}  // namespace retort::async::detail

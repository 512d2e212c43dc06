// The threads the asynchronous API runs blocking work on, so that a caller's executor never
// blocks: one helper thread for libpq's few blocking calls, a small pool for SQLite.
#pragma once

#include <asio/thread_pool.hpp>
#include <cstddef>

namespace retort::async::detail {

// One process-wide thread for the few libpq calls that only exist in a blocking form (PQcancel,
// the host-name lookup inside PQconnectStartParams). Started on first use, joined at exit. Jobs
// run one at a time, in the order given; each is short (one cancel request, one connection start).
asio::thread_pool& helper_thread();

// The bounded pool SQLite calls (a statement, a transaction step, opening a file) and
// async::offload jobs run on: at most kSqliteWorkers of them at once, whatever the number of
// coroutines. Started on first use.
inline constexpr std::size_t kSqliteWorkers = 4;
asio::thread_pool& sqlite_workers();

}  // namespace retort::async::detail

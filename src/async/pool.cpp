// async::Pool: the blocking pool's rules (driver/pool_rules.hpp) on one executor. Waiting
// coroutines wait on timers, woken in first-come order; no locks, no threads.
#include <algorithm>
#include <deque>
#include <exception>
#include <memory>
#include <system_error>

#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "driver/pool_rules.hpp"
#include "retort/async.hpp"
#include "retort/error.hpp"

namespace retort::async {

using Clock = std::chrono::steady_clock;

namespace detail {

// What a pool's connections need after the Pool object is gone: a checked-out connection is
// given back here, and closed when the pool is closed.
// NOLINTBEGIN(bugprone-exception-escape): the hand-over below is noexcept on purpose (it runs
// from a deleter and a destructor, which cannot report). What clang-tidy sees may throw is an
// allocation (the idle list) and asio's timer cancel(), which throws only on a system error a
// waitable timer does not have; either ends the process through noexcept, which is the intent.
struct PoolState {
  struct Idle {
    std::unique_ptr<Connection> connection;
    Clock::time_point created;
    Clock::time_point returned;
  };
  struct Waiter;

  PoolState(Executor ex, PoolOptions opts) : executor(std::move(ex)), options(opts) {}
  void give_back(std::unique_ptr<Connection> connection, Clock::time_point born) noexcept;
  // A usable connection goes to the first waiter, or to the idle list when none waits: a
  // coroutine that asks later never overtakes one that is waiting.
  void offer(Idle item) noexcept;
  void discard(std::unique_ptr<Connection> connection) noexcept;
  void wake_one() noexcept;
  bool usable(Idle& item, Clock::time_point now) const noexcept {
    return driver::idle_usable(options, *item.connection, item.created, item.returned, now);
  }
  // Moves the most recently returned usable idle connection into out, discarding expired or
  // broken ones on the way; false when none is left.
  bool take_idle(Idle& out);

  Executor executor;
  PoolOptions options;
  std::deque<Idle> idle;  // most recently returned at the back
  std::deque<Waiter*> waiters;
  std::size_t open = 0;
  std::size_t created = 0;
  std::size_t discarded = 0;
  bool warmed = false;
  bool closed = false;
};

// A coroutine waiting for a connection. Woken by cancelling its timer, with a connection handed
// over into `slot` (the waiting coroutine's own variable, so the waiter carries no copy) or
// (when one was closed) the room to open one; a waiter destroyed after being woken (its
// coroutine was destroyed) passes the connection or the wake-up on, so none is lost.
struct PoolState::Waiter {
  Waiter(PoolState& owner, Clock::time_point deadline, Idle& into)
      : pool(owner), timer(owner.executor), slot(into) {
    timer.expires_at(deadline);
    pool.waiters.push_back(this);
  }
  ~Waiter() {
    if (handed) {
      pool.offer(std::move(slot));
    } else if (woken) {
      pool.wake_one();
    } else {
      std::erase(pool.waiters, this);
    }
  }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  PoolState& pool;
  asio::steady_timer timer;
  Idle& slot;  // declared before the waiter in the waiting coroutine: outlives it
  bool woken = false;
  bool handed = false;
};

void PoolState::offer(Idle item) noexcept {
  if (closed) {
    discard(std::move(item.connection));
    return;
  }
  if (waiters.empty()) {
    idle.push_back(std::move(item));
    return;
  }
  Waiter* waiter = waiters.front();
  waiters.pop_front();
  waiter->slot = std::move(item);
  waiter->handed = true;
  waiter->woken = true;
  waiter->timer.cancel();
}

bool PoolState::take_idle(Idle& out) {
  while (!idle.empty()) {
    Idle item = std::move(idle.back());
    idle.pop_back();
    if (usable(item, Clock::now())) {
      out = std::move(item);
      return true;
    }
    log::debug("async pool: discarded an expired or broken idle connection");
    item.connection.reset();
    --open;
    ++discarded;
  }
  return false;
}

void PoolState::discard(std::unique_ptr<Connection> connection) noexcept {
  --open;
  ++discarded;
  connection.reset();
  wake_one();  // room for a waiter to open a new one
}

void PoolState::wake_one() noexcept {
  if (waiters.empty()) return;
  Waiter* waiter = waiters.front();
  waiters.pop_front();
  waiter->woken = true;
  waiter->timer.cancel();
}

void PoolState::give_back(std::unique_ptr<Connection> connection, Clock::time_point born) noexcept {
  // A transaction left open (or an operation abandoned midway) cannot be rolled back here: a
  // destructor cannot await. Closing the connection ends it on the server.
  bool keep = !closed && !connection->is_broken() && !connection->in_transaction();
  const Clock::time_point now = Clock::now();
  if (keep && driver::past_lifetime(options, born, now)) keep = false;
  if (keep) {
    offer(Idle{std::move(connection), born, now});
  } else {
    discard(std::move(connection));
  }
}

}  // namespace detail

void PooledConnection::GiveBack::operator()(Connection* connection) const noexcept {
  std::unique_ptr<Connection> owned(connection);
  if (pool != nullptr) pool->give_back(std::move(owned), created);
}
// NOLINTEND(bugprone-exception-escape)

Pool::Pool(Executor executor, Factory factory, PoolOptions options)
    : state_(std::make_shared<detail::PoolState>(std::move(executor), options)),
      factory_(std::move(factory)) {
  driver::check_pool_options(options);
}

Pool::Pool(Executor executor, DatabaseUrl url, PoolOptions options, ConnectionOptions connection)
    : Pool(
          std::move(executor),
          [url = std::move(url), connection]() { return async::connect(url, connection); },
          options) {}

Pool::~Pool() {
  state_->closed = true;
  state_->idle.clear();
}

const PoolOptions& Pool::options() const noexcept {
  return state_->options;
}

const Executor& Pool::executor() const noexcept {
  return state_->executor;
}

// A new connection, counted in open while it is being made (so max_size holds).
asio::awaitable<std::unique_ptr<Connection>> Pool::open_one() {
  // The frame keeps the state alive: it may be destroyed after the Pool (with its io_context).
  const std::shared_ptr<detail::PoolState> state = state_;
  detail::PoolState& pool = *state;
  ++pool.open;
  std::unique_ptr<Connection> fresh;
  std::exception_ptr failure;
  try {
    fresh = co_await factory_();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    --pool.open;
    pool.wake_one();  // a waiter may succeed where this connect failed
    std::rethrow_exception(failure);
  }
  ++pool.created;
  co_return fresh;
}

asio::awaitable<void> Pool::warm_up() {
  const std::shared_ptr<detail::PoolState> state = state_;
  detail::PoolState& pool = *state;
  pool.warmed = true;
  while (pool.open < pool.options.min_size) {
    std::unique_ptr<Connection> fresh = co_await open_one();
    const Clock::time_point now = Clock::now();
    pool.offer(detail::PoolState::Idle{std::move(fresh), now, now});
  }
}

// One connection variable and one co_return: GCC 12 gives every local and every temporary of
// a co_await or co_return expression a slot of its own in the frame, which each waiting
// coroutine carries (10,000 waiters: docs/benchmarks.md).
asio::awaitable<PooledConnection> Pool::acquire() {
  const std::shared_ptr<detail::PoolState> state = state_;
  detail::PoolState& pool = *state;
  if (!pool.warmed && pool.options.min_size > 0) co_await warm_up();
  const Clock::time_point deadline = Clock::now() + pool.options.acquire_timeout;
  detail::PoolState::Idle taken;
  for (;;) {
    if (pool.take_idle(taken)) break;
    if (pool.open < pool.options.max_size) {
      taken.connection = co_await open_one();
      taken.created = Clock::now();
      break;
    }
    detail::PoolState::Waiter waiter(pool, deadline, taken);
    std::error_code ec;
    try {
      co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    } catch (const std::system_error& e) {
      ec = e.code();  // cancelled before the wait began
    }
    if (waiter.handed) {  // in taken, given back moments ago: alive_bypass applies, no check
      waiter.handed = false;
      waiter.woken = false;  // consumed: the waiter's destructor passes nothing on
      break;
    }
    if (waiter.woken) {
      waiter.woken = false;  // a connection was closed: room to open one
      continue;
    }
    if (!ec) throw PoolTimeout(driver::pool_timeout_message(pool.open, pool.options));
    throw std::system_error(asio::error::operation_aborted, "acquire() cancelled");
  }
  co_return PooledConnection(state, std::move(taken.connection), taken.created);
}

Pool::Stats Pool::stats() const noexcept {
  const detail::PoolState& pool = *state_;
  Stats s;
  s.open = pool.open;
  s.idle = pool.idle.size();
  s.in_use = pool.open - pool.idle.size();
  s.created = pool.created;
  s.discarded = pool.discarded;
  return s;
}

}  // namespace retort::async

#include "retort/pool.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "driver/pool_rules.hpp"
#include "retort/error.hpp"

namespace retort {
namespace driver {

void check_pool_options(const PoolOptions& options) {
  if (options.max_size == 0) throw UsageError("pool max_size must be at least 1");
  if (options.min_size > options.max_size) {
    throw UsageError(
        fmt::format("pool min_size {} exceeds max_size {}", options.min_size, options.max_size));
  }
}

bool past_lifetime(const PoolOptions& options, PoolClock::time_point created,
                   PoolClock::time_point now) noexcept {
  return options.max_lifetime.count() > 0 && now - created >= options.max_lifetime;
}

bool idle_expired(const PoolOptions& options, PoolClock::time_point created,
                  PoolClock::time_point returned, PoolClock::time_point now) noexcept {
  if (past_lifetime(options, created, now)) return true;
  return options.max_idle.count() > 0 && now - returned >= options.max_idle;
}

bool within_alive_bypass(const PoolOptions& options, PoolClock::time_point returned,
                         PoolClock::time_point now) noexcept {
  return now - returned < options.alive_bypass;
}

std::string pool_timeout_message(std::size_t open, const PoolOptions& options) {
  return fmt::format(
      "connection pool exhausted: all {} connections (max_size {}) stayed in use for {} ms "
      "(acquire_timeout)",
      open, options.max_size, options.acquire_timeout.count());
}

}  // namespace driver

using Clock = std::chrono::steady_clock;

PooledConnection::PooledConnection(Pool* pool, std::unique_ptr<Connection> connection,
                                   Clock::time_point created)
    : pool_(pool), connection_(std::move(connection)), created_(created) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      created_(other.created_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
    created_ = other.created_;
  }
  return *this;
}

PooledConnection::~PooledConnection() {
  release();
}

void PooledConnection::release() noexcept {
  if (pool_ != nullptr && connection_ != nullptr) {
    pool_->give_back(std::move(connection_), created_);
  }
  pool_ = nullptr;
  connection_.reset();
}

Pool::Pool(Factory factory, PoolOptions options) : factory_(std::move(factory)), options_(options) {
  driver::check_pool_options(options_);
  for (std::size_t i = 0; i < options_.min_size; ++i) {
    const Clock::time_point now = Clock::now();
    idle_.push_back(Idle{factory_(), now, now});
    ++open_;
    ++created_;
  }
}

Pool::~Pool() {
  std::lock_guard lock(mutex_);
  idle_.clear();
}

bool Pool::usable(const Idle& idle, Clock::time_point now) const noexcept {
  return driver::idle_usable(options_, *idle.connection, idle.created, idle.returned, now);
}

PooledConnection Pool::acquire() {
  const Clock::time_point deadline = Clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      Idle item = std::move(idle_.back());
      idle_.pop_back();
      // The connection is ours now (still counted in open_): check it without the lock, since
      // the check is a system call and other threads are waiting to check connections in and
      // out. It reads what the server already sent (e.g. a termination notice from
      // pg_terminate_backend) without a round trip, so a dead link is never handed out.
      lock.unlock();
      if (usable(item, Clock::now())) {
        return PooledConnection(this, std::move(item.connection), item.created);
      }
      log::debug("pool: discarded an expired or broken idle connection");
      item.connection.reset();  // closing may touch the network: not under the lock
      lock.lock();
      --open_;
      ++discarded_;
    }
    if (open_ < options_.max_size) {
      ++open_;
      lock.unlock();
      try {
        std::unique_ptr<Connection> fresh = factory_();
        lock.lock();
        ++created_;
        return PooledConnection(this, std::move(fresh), Clock::now());
      } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
      }
    }
    const bool woke = available_.wait_until(
        lock, deadline, [&] { return !idle_.empty() || open_ < options_.max_size; });
    if (!woke) {
      throw PoolTimeout(driver::pool_timeout_message(open_, options_));
    }
  }
}

void Pool::give_back(std::unique_ptr<Connection> connection, Clock::time_point created) noexcept {
  bool keep = !connection->is_broken();
  if (keep && connection->in_transaction()) {
    // A caller left a transaction open: never hand its half-done work to the next user.
    try {
      connection->rollback();
    } catch (...) {
      keep = false;
    }
  }
  const Clock::time_point now = Clock::now();
  if (keep && driver::past_lifetime(options_, created, now)) keep = false;
  {
    std::lock_guard lock(mutex_);
    if (keep) {
      idle_.push_back(Idle{std::move(connection), created, now});
    } else {
      --open_;
      ++discarded_;
    }
  }
  available_.notify_one();
  connection.reset();  // a discarded connection closes outside the lock
}

Pool::Stats Pool::stats() const {
  std::lock_guard lock(mutex_);
  Stats s;
  s.open = open_;
  s.idle = idle_.size();
  s.in_use = open_ - idle_.size();
  s.created = created_;
  s.discarded = discarded_;
  return s;
}

}  // namespace retort

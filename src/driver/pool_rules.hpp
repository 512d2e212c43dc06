// The rules every retort pool follows (PoolOptions), shared by the blocking Pool and the
// asynchronous one (src/async/pool.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "retort/pool.hpp"

namespace retort::driver {

using PoolClock = std::chrono::steady_clock;

// Throws UsageError for options no pool can honour (max_size 0, min_size above max_size).
void check_pool_options(const PoolOptions& options);

// Older than max_lifetime (0: never).
bool past_lifetime(const PoolOptions& options, PoolClock::time_point created,
                   PoolClock::time_point now) noexcept;

// Past max_lifetime, or idle longer than max_idle.
bool idle_expired(const PoolOptions& options, PoolClock::time_point created,
                  PoolClock::time_point returned, PoolClock::time_point now) noexcept;

// Given back healthy so recently that the liveness check is skipped (alive_bypass).
bool within_alive_bypass(const PoolOptions& options, PoolClock::time_point returned,
                         PoolClock::time_point now) noexcept;

// An idle connection may be handed out: not expired, and alive (checked on the socket, unless
// returned within alive_bypass). C: anything with is_broken() and check_alive().
template <class C>
bool idle_usable(const PoolOptions& options, C& connection, PoolClock::time_point created,
                 PoolClock::time_point returned, PoolClock::time_point now) noexcept {
  if (idle_expired(options, created, returned, now)) return false;
  if (within_alive_bypass(options, returned, now)) return !connection.is_broken();
  return connection.check_alive();
}

// The PoolTimeout message.
std::string pool_timeout_message(std::size_t open, const PoolOptions& options);

}  // namespace retort::driver

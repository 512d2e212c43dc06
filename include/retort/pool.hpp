// A thread-safe pool of connections.
//
// Connections are checked for liveness when handed out (unless given back moments ago, see
// PoolOptions::alive_bypass); a broken one (for instance a backend killed with
// pg_terminate_backend) is discarded and replaced, never handed out again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "retort/connection.hpp"

namespace retort {

struct PoolOptions {
  std::size_t min_size = 0;  // opened eagerly, kept open
  std::size_t max_size = 8;  // never more connections than this
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds max_lifetime{std::chrono::minutes(30)};  // 0 = unlimited
  std::chrono::milliseconds max_idle{std::chrono::minutes(10)};      // 0 = unlimited
  // A connection given back healthy less than this long ago is handed out without the liveness
  // check (a system call): a busy pool checks out thousands of times a second. A server that
  // went away within the window shows as a ConnectionError on the first statement instead, and
  // the connection is then discarded. HikariCP's aliveBypassWindowMs, same default; 0 = check
  // on every checkout.
  std::chrono::milliseconds alive_bypass{500};
};

class Pool;

// A checked-out connection; goes back to the pool when destroyed. A connection returned with an
// open transaction is rolled back first; a broken one is discarded.
class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  ~PooledConnection();

  Connection& operator*() const noexcept { return *connection_; }
  Connection* operator->() const noexcept { return connection_.get(); }
  Connection* get() const noexcept { return connection_.get(); }
  explicit operator bool() const noexcept { return connection_ != nullptr; }

  // Gives the connection back now (also done by the destructor).
  void release() noexcept;

 private:
  friend class Pool;
  struct Slot;
  PooledConnection(Pool* pool, std::unique_ptr<Connection> connection,
                   std::chrono::steady_clock::time_point created);
  Pool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
  std::chrono::steady_clock::time_point created_;
};

class Pool {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;

  struct Stats {
    std::size_t open = 0;  // connections that exist (idle + in use)
    std::size_t idle = 0;
    std::size_t in_use = 0;
    std::size_t created = 0;    // total ever opened
    std::size_t discarded = 0;  // total dropped as broken or expired
  };

  // Opens min_size connections now (throws ConnectionError if it cannot).
  Pool(Factory factory, PoolOptions options);
  // Closes idle connections. Every PooledConnection must be gone before the pool is destroyed.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Hands out a live connection, opening one if below max_size, else waiting up to
  // acquire_timeout. Throws PoolTimeout ("pool exhausted: all 8 connections in use for 5000 ms")
  // or the ConnectionError of a failed connect.
  PooledConnection acquire();

  Stats stats() const;
  const PoolOptions& options() const noexcept { return options_; }

 private:
  friend class PooledConnection;
  struct Idle {
    std::unique_ptr<Connection> connection;
    std::chrono::steady_clock::time_point created;
    std::chrono::steady_clock::time_point returned;
  };
  void give_back(std::unique_ptr<Connection> connection,
                 std::chrono::steady_clock::time_point created) noexcept;
  // Not expired, and alive (checked on the socket unless returned within alive_bypass).
  bool usable(const Idle& idle, std::chrono::steady_clock::time_point now) const noexcept;

  Factory factory_;
  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::deque<Idle> idle_;  // most recently returned at the back
  std::size_t open_ = 0;
  std::size_t created_ = 0;
  std::size_t discarded_ = 0;
};

}  // namespace retort

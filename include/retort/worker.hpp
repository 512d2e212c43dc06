// A worker: handlers per routing key, N slots, LISTEN wake-ups with polling, graceful stop.
//
//   retort::Database db = retort::Database::open(url);
//   retort::events::Worker w(db, {.slots = 4});
//   w.handle("ticket.created", [](const retort::events::ClaimedEvent& e) {
//     return retort::events::HandlerResult{R"({"routed": "support"})"};  // throw to fail
//   });
//   retort::events::stop_on_termination_signals();  // SIGTERM/SIGINT: graceful stop
//   w.run();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "retort/database.hpp"
#include "retort/processing.hpp"

namespace retort::events {

// What a handler made of an event: the task_context to write (whole, or a merge patch).
struct HandlerResult {
  std::string task_context;
  ContextWrite how = ContextWrite::replace;
};

// Takes a claimed event and returns its result; throws (any std::exception) to fail the
// attempt, the exception's what() becoming last_error. Called on the slot's own thread.
using Handler = std::function<HandlerResult(const ClaimedEvent&)>;

struct WorkerOptions {
  std::string worker_id{};      // empty: host:pid; each slot claims as <worker_id>:<slot>
  std::size_t slots = 1;        // concurrent handlers (threads)
  std::size_t batch_size = 10;  // events claimed at once per slot
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  int default_max_attempts = 5;
  Backoff backoff{};
  std::optional<std::string> workflow{};  // claim only this routing key
  // true: wake on NOTIFY (PostgreSQL), polling as the fallback; false: polling only (behind
  // PgBouncer in transaction mode, and always on SQLite).
  bool listen = true;
  std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
  // How often leases of events in hand are extended and the worker row is written
  // (zero: a third of the lease).
  std::chrono::milliseconds heartbeat_interval{0};
  // On stop, unstarted events are given back at once and the handlers in progress are waited
  // for (C++ handlers are trusted to return; `retort events work --exec` kills a handler
  // process that outlives its grace period).
  bool once = false;  // drain what is claimable now, then return
  // On a partitioned events table: partitions are created this far ahead at start and every
  // hour (create_partitions; zero: never, leave it to `retort events partitions` or pg_partman).
  std::chrono::milliseconds partitions_ahead{std::chrono::days(7)};
};

// Counters of one worker since it started.
struct WorkerCounters {
  std::int64_t claimed = 0, done = 0, failed = 0, dead = 0, lease_lost = 0, released = 0;
  std::int64_t in_flight = 0;
  std::int64_t claims = 0;              // claim statements run
  std::int64_t claim_micros_total = 0;  // their total latency
};

// Asks every running Worker::run of this process to stop (async-signal-safe).
void request_stop() noexcept;
// Whether request_stop was called (by a signal or otherwise).
bool stop_requested() noexcept;
// Installs SIGTERM and SIGINT handlers that call request_stop (no SA_RESTART, so waits end).
void stop_on_termination_signals();

class Worker {
 public:
  // UsageError for slots or batch_size 0 (and what Processor refuses).
  Worker(Database& db, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The handler for events whose routing key is key (replacing an earlier one).
  void handle(std::string key, Handler handler);
  // The handler for events no other handler takes; without one such events fail ("no handler").
  void handle_any(Handler handler);

  // Claims and handles until stop()/request_stop() (or, with once, until nothing is claimable).
  // On stop, slots finish the event in hand, write its result, and give back the rest of
  // their batch. Writes a row in retort_workers while running and removes it on return.
  void run();
  // Stops run() as above; thread-safe.
  void stop() noexcept;

  WorkerCounters counters() const;
  const std::string& id() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace retort::events

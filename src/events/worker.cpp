// Worker: slot threads that claim, handle and write results, and one housekeeping thread that
// listens for wake-ups, extends the leases of events in hand and keeps the worker's row fresh.
#include "retort/worker.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "driver/database_access.hpp"
#include "driver/session_probe.hpp"
#include "retort/error.hpp"
#include "retort/partitioning.hpp"

namespace retort::events {
namespace {

std::atomic<bool> g_stop_requested{false};

void on_stop_signal(int /*signal*/) {
  g_stop_requested.store(true);
}

std::string default_worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host[0] != '\0' ? host : "localhost", getpid());
}

std::string host_of(const std::string& id) {
  return id.substr(0, id.find(':'));
}

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kHousekeepingTick{250};
constexpr std::chrono::hours kPartitionsEvery{1};

}  // namespace

void request_stop() noexcept {
  g_stop_requested.store(true);
}

bool stop_requested() noexcept {
  return g_stop_requested.load();
}

void stop_on_termination_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking wait returns, and the loops look at the flag
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

struct Worker::State {
  State(Database& database, WorkerOptions opts)
      : db(&database),
        options(std::move(opts)),
        id(options.worker_id.empty() ? default_worker_id() : options.worker_id) {}

  Database* db;
  WorkerOptions options;
  std::string id;
  std::map<std::string, Handler, std::less<>> handlers;
  Handler fallback;
  std::atomic<bool> stopping{false};
  Timestamp started_at = Timestamp::now();
  std::optional<bool> partitioned;  // settled once by the constructor's Processor

  // Wake-ups of idle slots.
  std::mutex wake_mutex;
  std::condition_variable wake;
  std::uint64_t wake_sequence = 0;

  // Events in hand per slot (their leases are extended by the housekeeper).
  std::mutex hand_mutex;
  std::map<std::size_t, std::vector<ClaimedEvent>> in_hand;

  std::atomic<std::int64_t> claimed{0}, done{0}, failed{0}, dead{0}, lease_lost{0}, released{0},
      in_flight{0}, claims{0}, claim_micros{0};

  bool should_stop() const { return stopping.load() || g_stop_requested.load(); }
  void stop() {
    stopping.store(true);
    std::lock_guard lock(wake_mutex);
    ++wake_sequence;
    wake.notify_all();
  }
  void wake_slots() {
    std::lock_guard lock(wake_mutex);
    ++wake_sequence;
    wake.notify_all();
  }
  // One idle slot claims per notification; a slot whose claim came back full wakes the next, so
  // a burst spreads over the slots while one event costs one claim, not one per slot racing for
  // it (which, on a busy machine, delays the slot that wins).
  void wake_one() {
    std::lock_guard lock(wake_mutex);
    ++wake_sequence;
    wake.notify_one();
  }
  std::uint64_t wake_count() {
    std::lock_guard lock(wake_mutex);
    return wake_sequence;
  }
  // Waits for a wake-up after `seen` (taken before the claim that found nothing, so one that
  // came during that claim is not missed), a stop, or the poll interval.
  void idle_wait(std::uint64_t seen) {
    std::unique_lock lock(wake_mutex);
    wake.wait_for(lock, options.poll_interval,
                  [&] { return wake_sequence != seen || should_stop(); });
  }
  std::chrono::milliseconds heartbeat_interval() const {
    return options.heartbeat_interval.count() > 0 ? options.heartbeat_interval : options.lease / 3;
  }
  ProcessorOptions processor_options(std::size_t slot) const {
    return {.worker_id = fmt::format("{}:{}", id, slot),
            .lease = options.lease,
            .default_max_attempts = options.default_max_attempts,
            .backoff = options.backoff,
            .workflow = options.workflow,
            .partitioned = partitioned};
  }
  const Handler* handler_for(const std::string& key) const {
    const auto found = handlers.find(key);
    if (found != handlers.end()) return &found->second;
    return fallback ? &fallback : nullptr;
  }
  std::string counters_json() const {
    return fmt::format(
        R"({{"claimed": {}, "done": {}, "failed": {}, "dead": {}, "lease_lost": {}, "in_flight": {}}})",
        claimed.load(), done.load(), failed.load(), dead.load(), lease_lost.load(),
        in_flight.load());
  }

  void run_slot(std::size_t slot);
  void maintain_partitions();
  void handle_batch(Processor& processor, std::size_t slot, std::vector<ClaimedEvent>& batch);
  void count(const std::vector<Outcome>& outcomes);
  void housekeep();
  void write_heartbeats();
};

void Worker::State::count(const std::vector<Outcome>& outcomes) {
  for (const Outcome o : outcomes) {
    switch (o) {
      case Outcome::done:
        ++done;
        break;
      case Outcome::retry:
        ++failed;
        break;
      case Outcome::dead:
        ++failed;
        ++dead;
        break;
      case Outcome::lease_lost:
        ++lease_lost;
        log::warn("worker {}: a result was refused: the event's lease was lost", id);
        break;
    }
  }
}

void Worker::State::handle_batch(Processor& processor, std::size_t slot,
                                 std::vector<ClaimedEvent>& batch) {
  {
    std::lock_guard lock(hand_mutex);
    in_hand[slot] = batch;
  }
  std::vector<Completion> completions;
  std::vector<Failure> failures;
  std::size_t next = 0;
  for (; next < batch.size() && !should_stop(); ++next) {
    const ClaimedEvent& e = batch[next];
    ++in_flight;
    try {
      const Handler* handler = handler_for(e.workflow);
      if (handler == nullptr) {
        throw UsageError(fmt::format("no handler for workflow '{}'", e.workflow));
      }
      HandlerResult r = (*handler)(e);
      completions.push_back({&e, std::move(r.task_context), r.how});
    } catch (const std::exception& ex) {
      failures.push_back({&e, ex.what()});
    } catch (...) {
      failures.push_back({&e, "the handler threw something that is not a std::exception"});
    }
    --in_flight;
  }
  try {
    if (!completions.empty()) {
      try {
        count(processor.complete_many(completions));
      } catch (const InvalidInput& bad) {
        // One result is not valid JSON: write the others, fail that one with the reason.
        for (const Completion& c : completions) {
          try {
            count({processor.complete(*c.event, c.task_context, c.how)});
          } catch (const InvalidInput& why) {
            count(processor.fail_many(std::vector<Failure>{{c.event, why.what()}}));
          }
        }
      }
    }
    if (!failures.empty()) count(processor.fail_many(failures));
    if (next < batch.size()) {
      const std::span<const ClaimedEvent> rest(batch.data() + next, batch.size() - next);
      released += static_cast<std::int64_t>(processor.release(rest));
    }
  } catch (const Error& e) {
    // The results are lost with the connection; the leases expire and the events run again.
    log::warn("worker {}: writing results failed: {}", id, e.what());
  }
  std::lock_guard lock(hand_mutex);
  in_hand.erase(slot);
}

void Worker::State::run_slot(std::size_t slot) {
  Processor processor(*db, processor_options(slot));
  while (!should_stop()) {
    std::vector<ClaimedEvent> batch;
    const std::uint64_t seen = wake_count();
    try {
      const auto t0 = Clock::now();
      batch = processor.claim(options.batch_size);
      ++claims;
      claim_micros +=
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    } catch (const Error& e) {
      log::warn("worker {}: claim failed: {} (retrying)", id, e.what());
      idle_wait(seen);
      continue;
    }
    if (batch.empty()) {
      if (options.once) return;
      idle_wait(seen);
      continue;
    }
    claimed += static_cast<std::int64_t>(batch.size());
    if (batch.size() == options.batch_size) wake_one();  // there may be more
    handle_batch(processor, slot, batch);
  }
}

void Worker::State::write_heartbeats() {
  try {
    // Each slot's events are leased under its own id: extend them per slot.
    std::map<std::size_t, std::vector<ClaimedEvent>> by_slot;
    {
      std::lock_guard lock(hand_mutex);
      by_slot = in_hand;
    }
    for (const auto& [slot, events] : by_slot)
      Processor(*db, processor_options(slot)).heartbeat(events);
    db->transaction([&](Session& s) {
      record_worker(s, {.id = id,
                        .host = host_of(id),
                        .workflow = options.workflow.value_or(""),
                        .counters = counters_json(),
                        .pid = getpid(),
                        .slots = static_cast<std::int64_t>(options.slots),
                        .started_at = started_at,
                        .heartbeat_at = Timestamp::now()});
    });
  } catch (const Error& e) {
    log::warn("worker {}: heartbeat failed: {}", id, e.what());
  }
}

// Partitions ahead (docs/partitioning.md): on a partitioned table, at start and every hour, so
// that a table whose workers run never lacks today's partition. A failure is logged, not fatal:
// `retort events partitions` can do the same from cron.
void Worker::State::maintain_partitions() {
  if (!partitioned.value_or(false) || options.partitions_ahead.count() <= 0) return;
  try {
    const PartitionsReport r = create_partitions(*db, options.partitions_ahead);
    for (const std::string& name : r.created)
      log::info("worker {}: created partition {}", id, name);
  } catch (const Error& e) {
    log::warn("worker {}: creating partitions ahead failed: {}", id, e.what());
  }
}

void Worker::State::housekeep() {
  bool use_listen = options.listen && db->dialect() == Dialect::postgresql;
  std::unique_ptr<Connection> listener;
  Clock::time_point next_connect = Clock::now();
  Clock::time_point next_heartbeat = Clock::now();
  Clock::time_point next_partitions = Clock::now();
  while (!should_stop()) {
    if (Clock::now() >= next_partitions) {
      maintain_partitions();
      next_partitions = Clock::now() + kPartitionsEvery;
    }
    if (use_listen && !listener && Clock::now() >= next_connect) {
      try {
        // Through the Database (not a bare connect): a test's fault injector reaches it too.
        listener = driver::DatabaseAccess::open_connection(*db, ConnectionOptions{});
        // Behind a transaction pooler LISTEN "succeeds" on whichever server session the pooler
        // lends and is then never heard from (and stays registered on a session other clients
        // get): ask first, and poll instead.
        if (driver::transaction_pooled(*listener, db->url())) {
          log::warn(
              "worker {}: the database URL goes through a transaction pooler (PgBouncer "
              "with pool_mode = transaction?), where LISTEN cannot work; polling every {} "
              "ms (declare it with pool_mode = transaction to skip this check)",
              id, options.poll_interval.count());
          listener.reset();
          use_listen = false;
          continue;
        }
        listener->listen(kWakeChannel);
        wake_slots();  // anything stored while not listening is claimable now
      } catch (const Error& e) {
        log::warn("worker {}: cannot LISTEN ({}); polling every {} ms", id, e.what(),
                  options.poll_interval.count());
        listener.reset();
        next_connect = Clock::now() + std::chrono::seconds(1);
      }
    }
    if (listener) {
      try {
        if (listener->wait_for_notification(kHousekeepingTick)) {
          // One notification per storing transaction: wake as many slots (at most all).
          std::size_t stored = 1;
          while (listener->wait_for_notification(std::chrono::milliseconds(0))) ++stored;
          for (std::size_t i = 0; i < std::min(stored, options.slots); ++i) wake_one();
        }
      } catch (const Error& e) {
        log::warn("worker {}: the LISTEN connection failed ({}); reconnecting", id, e.what());
        listener.reset();
        next_connect = Clock::now() + std::chrono::seconds(1);
      }
    } else {
      std::unique_lock lock(wake_mutex);
      wake.wait_for(lock, kHousekeepingTick, [&] { return should_stop(); });
    }
    if (Clock::now() >= next_heartbeat) {
      write_heartbeats();
      next_heartbeat = Clock::now() + heartbeat_interval();
    }
  }
  stop();  // a signal seen here reaches every slot
}

Worker::Worker(Database& db, WorkerOptions options)
    : state_(std::make_unique<State>(db, std::move(options))) {
  if (state_->options.slots == 0) throw UsageError("Worker: slots must be at least 1");
  if (state_->options.batch_size == 0) throw UsageError("Worker: batch_size must be at least 1");
  Processor check(db, state_->processor_options(0));  // the Processor's own checks, now
  state_->partitioned = check.options().partitioned;
}

Worker::~Worker() = default;

void Worker::handle(std::string key, Handler handler) {
  state_->handlers[std::move(key)] = std::move(handler);
}

void Worker::handle_any(Handler handler) {
  state_->fallback = std::move(handler);
}

void Worker::stop() noexcept {
  state_->stop();
}

const std::string& Worker::id() const noexcept {
  return state_->id;
}

WorkerCounters Worker::counters() const {
  const State& s = *state_;
  return {s.claimed.load(),   s.done.load(),       s.failed.load(),
          s.dead.load(),      s.lease_lost.load(), s.released.load(),
          s.in_flight.load(), s.claims.load(),     s.claim_micros.load()};
}

void Worker::run() {
  State& s = *state_;
  s.stopping.store(false);
  std::thread housekeeper([&s] { s.housekeep(); });
  std::vector<std::thread> slots;
  slots.reserve(s.options.slots);
  for (std::size_t i = 0; i < s.options.slots; ++i) slots.emplace_back([&s, i] { s.run_slot(i); });
  for (std::thread& t : slots) t.join();
  s.stop();
  housekeeper.join();
  try {
    s.db->transaction([&](Session& session) { remove_worker(session, s.id); });
  } catch (const Error& e) {
    log::warn("worker {}: could not remove its row: {}", s.id, e.what());
  }
}

}  // namespace retort::events

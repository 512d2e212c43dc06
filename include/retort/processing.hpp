// Processing events in the database itself: claims, leases, retries, dead letters.
//
//   retort::Database db = retort::Database::open(url);
//   retort::events::Processor p(db, {.worker_id = "host:42:0"});
//   for (const retort::events::ClaimedEvent& e : p.claim(100)) {
//     if (handle(e.data.text())) p.complete(e, R"({"ok": true})");
//     else p.fail(e, "upstream refused");
//   }
//
// The table's processing columns come from revision b5f0c3e8d217 (docs/design/events-schema.md).
// Guarantees (docs/processing.md): a handler runs at least once per event; at most one result
// is committed per event; no order across workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "retort/database.hpp"
#include "retort/schema.hpp"
#include "retort/value.hpp"

namespace retort::events {

// Where an event is in its processing. Stored as text (`events.status`).
enum class Status { pending, running, done, failed, dead };

// "pending", "running", "done", "failed", "dead".
std::string_view to_string(Status status) noexcept;
// The inverse; InvalidInput(field) naming the value and the accepted ones otherwise.
Status parse_status(std::string_view text, std::string_view field = "status");

// One event this worker holds a lease on.
struct ClaimedEvent {
  Uuid id{};
  JsonText data{};
  std::optional<JsonText> task_context{};
  std::string workflow{};  // the routing key: workflow_type, else data's "type"; "" when neither
  int attempt = 0;         // 1 on the first claim; with the worker id, the token of this claim
  int max_attempts = 0;    // the event's own, else the processor's default
  Timestamp created_at{};
};

// Delay before retry n (1-based): min(max, base * 2^(n-1)), then scaled by a random factor in
// [1 - jitter, 1 + jitter] so that events failing together do not retry together.
struct Backoff {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds max{std::chrono::hours(1)};
  double jitter = 0.2;
};

// The delay before the retry that follows attempt `attempt`; uniform is a number in [0, 1).
std::chrono::milliseconds backoff_delay(const Backoff& policy, int attempt, double uniform);

struct ProcessorOptions {
  std::string worker_id{};  // locked_by, e.g. host:pid:slot; required
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  int default_max_attempts = 5;  // for events whose max_attempts is NULL
  Backoff backoff{};
  std::optional<std::string> workflow{};  // claim only events with this routing key
  // Whether the events table is partitioned (PostgreSQL): the fenced writes then also name the
  // event's created_at so that PostgreSQL prunes partitions. Unset: the Processor asks the
  // database once, when it is constructed (retort/partitioning.hpp).
  std::optional<bool> partitioned{};
};

// What became of a completion or a failure.
enum class Outcome {
  done,        // completed: the result is committed
  retry,       // failed: a retry is scheduled (status failed, run_after in the future)
  dead,        // failed on the last attempt (status dead)
  lease_lost,  // refused: this claim no longer holds the event (it was claimed again, or
               // requeued by hand); nothing was written
};
std::string_view to_string(Outcome outcome) noexcept;

// How complete() writes task_context.
enum class ContextWrite { replace, merge_patch };

struct Completion {
  const ClaimedEvent* event = nullptr;
  std::string task_context;  // JSON (for merge_patch: an RFC 7386 patch, an object)
  ContextWrite how = ContextWrite::replace;
};

struct Failure {
  const ClaimedEvent* event = nullptr;
  std::string error;  // last_error; cut to kMaxErrorBytes on a UTF-8 boundary
};

inline constexpr std::size_t kMaxErrorBytes = 2000;

// Claims, completes, fails and extends leases for one worker id. Each call is its own short
// transaction on a pooled connection. Thread-safe as Database is (one Processor per slot is the
// usual shape; several threads may share one).
class Processor {
 public:
  // UsageError when options.worker_id is empty, the lease is under 1 s, or default_max_attempts
  // is under 1. On PostgreSQL with options.partitioned unset, one catalog query settles it
  // (DatabaseError when that fails).
  Processor(Database& db, ProcessorOptions options);

  // Claims up to limit due events (pending, failed with run_after passed, or running with an
  // expired lease), oldest run_after first, then created_at: they become running, attempts + 1,
  // leased to this worker until now + lease. PostgreSQL: one statement (FOR UPDATE SKIP
  // LOCKED, so concurrent workers never wait on each other's rows); SQLite: one statement under
  // BEGIN IMMEDIATE. An expired lease on the last attempt is marked dead instead of returned.
  // InvalidInput when limit is 0 or over 10,000.
  std::vector<ClaimedEvent> claim(std::size_t limit);

  // Writes the result (validated JSON; InvalidInput otherwise, nothing written) with status
  // done, finished_at and updated_at, only while this claim still holds the event; otherwise
  // returns lease_lost and writes nothing. A merge patch must be a JSON object.
  Outcome complete(const ClaimedEvent& event, std::string_view task_context,
                   ContextWrite how = ContextWrite::replace);
  // Many completions in one transaction (PostgreSQL: one round trip); one outcome each, in
  // order. A refused one (lease_lost) does not stop the others. InvalidInput for bad JSON
  // before anything is written.
  std::vector<Outcome> complete_many(std::span<const Completion> completions);

  // Records error as last_error and schedules a retry after backoff_delay, or marks the event
  // dead when it used its last attempt. lease_lost as for complete.
  Outcome fail(const ClaimedEvent& event, std::string_view error);
  std::vector<Outcome> fail_many(std::span<const Failure> failures);

  // Gives events back unprocessed (a worker stopping before it started them): pending again,
  // due now, the claim's attempt not counted. Returns how many this claim still held.
  std::size_t release(std::span<const ClaimedEvent> events);

  // Extends the leases of events this claim still holds to now + lease; returns how many
  // (an event missing from the count was lost: its handler's result will be refused).
  std::size_t heartbeat(std::span<const ClaimedEvent> events);

  const ProcessorOptions& options() const noexcept { return options_; }

 private:
  bool partitioned() const {
    return options_.partitioned.value_or(false) && db_->dialect() == Dialect::postgresql;
  }
  // Runs one fenced statement per event (sql: its text; extra: parameters after the fence) in
  // one transaction; returns how many matched. A DatabaseError says what it was `doing`, to
  // which events, for which worker.
  std::size_t fenced_each(std::string_view doing, std::span<const ClaimedEvent> events,
                          const std::string& sql, const std::vector<Value>& extra);

  Database* db_;
  ProcessorOptions options_;
};

// Which events retry() puts back in the queue: every set field narrows (AND); at least one.
struct RetrySelection {
  std::vector<Uuid> ids{};
  std::optional<Status> status{};  // failed, dead or done (running and pending are refused)
  std::optional<std::string> workflow{};
};

// Makes the selected events pending again, due now, attempts reset to 0 (last_error kept).
// Running events are never touched (their lease holder would lose its result); returns how
// many events were requeued. On PostgreSQL idle workers are woken. InvalidInput for an empty
// selection or a status of running or pending.
std::int64_t retry(Session& session, const RetrySelection& selection);

// The adoption choice (docs/design/events-schema.md): events that existed before the processing
// revision read status done; this makes those retort never processed and whose task_context is
// NULL pending, batch_size rows per transaction. Returns how many; safe to interrupt and rerun.
std::int64_t backfill_unprocessed(Database& db, std::size_t batch_size = 5000);

struct StatusCount {
  std::string status;
  std::string workflow;  // routing key; "" when none
  std::int64_t count = 0;
};

struct LiveWorker {
  std::string id{}, host{}, workflow{}, counters{};  // counters: JSON text
  std::int64_t pid = 0, slots = 0;
  Timestamp started_at{}, heartbeat_at{};
};

struct ProcessingStats {
  std::vector<StatusCount> counts{};      // by status, then workflow
  std::optional<Timestamp> oldest_due{};  // created_at of the oldest pending/failed event
  std::int64_t finished_last_minute = 0;  // done or dead with finished_at in the last 60 s
  std::vector<LiveWorker> workers{};      // every heartbeat row, newest heartbeat first
};

// Counts and workers as described on ProcessingStats (reads only).
ProcessingStats processing_stats(Session& session);

// Worker heartbeat rows (retort_workers): upsert with the counters as JSON text, and removal.
void record_worker(Session& session, const LiveWorker& worker);
void remove_worker(Session& session, std::string_view id);

// The schema the built-in revisions make (the Event model's table with the processing columns,
// and retort_workers), as metadata for `retort check` and autogenerate.
schema::MetaData builtin_schema();

// The NOTIFY channel storing an event signals (payload: schema.table).
inline constexpr std::string_view kWakeChannel = "retort_events";

}  // namespace retort::events

// `retort events work|stats|retry|patch|backfill`: processing events from the command line
// (docs/processing.md). Registered under `events` by add_events_command.
#include <fmt/format.h>
#include <signal.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/exec_handler.hpp"
#include "cli/replica_lag.hpp"
#include "cli/structured_output.hpp"
#include "config/duration.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"

namespace retort::cli {
namespace {

using nlohmann::json;

// The processing columns come from a revision: say which when they are missing.
void require_processing_schema(Database& db) {
  try {
    db.transaction([](Session& s) {
      s.execute("SELECT status, attempts, run_after, locked_by FROM events WHERE 1 = 0");
      s.execute("SELECT id FROM retort_workers WHERE 1 = 0");
    });
  } catch (const DatabaseError& e) {
    // Only a missing table or column means "not migrated"; anything else (the server is down,
    // the file cannot be opened) is reported as it is.
    if (e.sqlstate() != "42703" && e.sqlstate() != "42P01") throw;
    throw ConfigError(fmt::format(
        "the events table has no processing columns ({}): run `retort upgrade head` (revision "
        "b5f0c3e8d217 adds them)",
        e.what()));
  }
}

enum class ZeroDuration { refused, allowed };

std::chrono::milliseconds duration_option(const std::string& option, const std::string& text,
                                          ZeroDuration zero = ZeroDuration::refused) {
  const auto parsed = config::parse_duration(text, config::BareNumber::seconds);
  const bool in_range =
      parsed && (parsed->count() > 0 || (zero == ZeroDuration::allowed && parsed->count() == 0));
  if (!in_range) {
    throw ConfigError(fmt::format("{}: '{}' is not a {} duration (e.g. 500ms, 30s, 5min, 1h)",
                                  option, text,
                                  zero == ZeroDuration::allowed ? "non-negative" : "positive"));
  }
  return *parsed;
}

double seconds_between(Timestamp earlier, Timestamp later) {
  return static_cast<double>(later.micros() - earlier.micros()) / 1e6;
}

struct WorkCliOptions {
  std::string exec;
  bool per_event = false;
  std::optional<std::string> workflow;
  std::size_t concurrency = 1;
  std::size_t batch_size = 10;
  std::string lease = "30s";
  std::string timeout = "30s";
  std::string start_timeout = "10s";
  std::string grace = "10s";
  std::string poll = "1s";
  int max_attempts = 5;
  bool once = false;
  bool polling_only = false;
  std::string format = "text";
};

int run_work(Context& context, const WorkCliOptions& o) {
  events::WorkerOptions w;
  w.slots = o.concurrency;
  w.batch_size = o.batch_size;
  w.lease = duration_option("--lease", o.lease);
  w.poll_interval = duration_option("--poll-interval", o.poll);
  w.default_max_attempts = o.max_attempts;
  w.workflow = o.workflow;
  w.once = o.once;
  // Behind a transaction pooler LISTEN lands on a pooled session that is gone a moment later.
  w.listen = !o.polling_only && context.resolved().pool_mode != PoolMode::transaction;
  ExecOptions exec;
  exec.command = o.exec;
  exec.per_event = o.per_event;
  exec.timeout = duration_option("--timeout", o.timeout);
  exec.start_allowance = duration_option("--start-timeout", o.start_timeout, ZeroDuration::allowed);
  exec.grace = duration_option("--grace", o.grace);
  // No rule ties --timeout to --lease: the worker extends the leases of events in hand every
  // third of the lease while their handlers run.
  Database db = context.open_database();
  require_processing_schema(db);
  signal(SIGPIPE, SIG_IGN);  // a handler that exits while we write to it is a failed event
  events::stop_on_termination_signals();
  events::Worker worker(db, w);
  worker.handle_any(make_exec_handler(exec));
  worker.run();
  const events::WorkerCounters c = worker.counters();
  const double claim_ms = c.claims > 0 ? static_cast<double>(c.claim_micros_total) / 1000.0 /
                                             static_cast<double>(c.claims)
                                       : 0.0;
  if (o.format == "json") {
    std::cout << json{{"worker", worker.id()},  {"claimed", c.claimed},
                      {"done", c.done},         {"failed", c.failed},
                      {"dead", c.dead},         {"lease_lost", c.lease_lost},
                      {"released", c.released}, {"claim_ms_avg", claim_ms}}
                     .dump()
              << '\n';
  } else if (!context.options.quiet) {
    std::cout << fmt::format(
        "worker {}: claimed {}, done {}, failed {} (dead {}), refused late results {}, given back "
        "{}; claim {:.2f} ms on average\n",
        worker.id(), c.claimed, c.done, c.failed, c.dead, c.lease_lost, c.released, claim_ms);
  }
  return 0;
}

void add_work(CLI::App& group, Context& context, Command& run) {
  auto o = std::make_shared<WorkCliOptions>();
  CLI::App* cmd = group.add_subcommand(
      "work",
      "Process events with a handler in any language: --exec CMD reads events as JSON Lines on "
      "stdin and answers one JSON object per line (docs/processing.md)");
  cmd->add_option("--exec", o->exec, "The handler command (run with sh -c)")->required();
  cmd->add_flag("--per-event", o->per_event,
                "Run the command once per event (event on stdin, result on stdout, exit status "
                "other than 0 fails it) instead of streaming");
  cmd->add_option("--workflow", o->workflow, "Only events with this routing key");
  cmd->add_option("--concurrency", o->concurrency, "Handlers running at once (default 1)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{256}));
  cmd->add_option("--batch-size", o->batch_size, "Events claimed at once per handler (default 10)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  cmd->add_option("--lease", o->lease, "How long a claim holds an event (default 30s)");
  cmd->add_option("--timeout", o->timeout,
                  "Longest a handler may take for one event before it is killed (default 30s)");
  cmd->add_option("--start-timeout", o->start_timeout,
                  "Extra time a newly started handler process gets for its first event: its "
                  "start-up, not counted in --timeout (default 10s; 0 for none)");
  cmd->add_option("--grace", o->grace,
                  "On SIGTERM/SIGINT: how long running handlers may finish (default 10s)");
  cmd->add_option("--poll-interval", o->poll,
                  "Polling interval when no wake-up comes (default 1s)");
  cmd->add_option("--max-attempts", o->max_attempts,
                  "Attempts for events that set none (default 5)")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--once", o->once, "Process what is claimable now, then exit");
  cmd->add_flag("--polling-only", o->polling_only,
                "Never LISTEN (behind PgBouncer in transaction mode)");
  cmd->add_option("--format", o->format, "Summary as text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([&context, &run, o] { run = [&context, o] { return run_work(context, *o); }; });
}

void add_stats(CLI::App& group, Context& context, Command& run) {
  struct StatsOptions {
    bool json = false;
    OutputFormat format = OutputFormat::text;
  };
  auto o = std::make_shared<StatsOptions>();
  CLI::App* cmd = group.add_subcommand(
      "stats",
      "Counts per status and workflow, the oldest due event, the last minute's "
      "throughput, live workers");
  cmd->add_flag("--json", o->json, "Print one JSON object (--format json or jsonl)");
  add_format_option(*cmd, o->format);
  cmd->callback([&context, &run, o] {
    run = [&context, o] {
      // One object either way: --json, --format json and --format jsonl print it alike.
      const bool as_json = o->json || o->format != OutputFormat::text;
      Database db = context.open_read_database();  // a replica may answer (docs/replicas.md)
      require_processing_schema(db);
      const events::ProcessingStats s =
          db.transaction([](Session& session) { return events::processing_stats(session); });
      std::optional<ReplicaLag> lag;
      if (context.resolved().replica) {
        Database primary = context.open_database();
        lag = measure_replica_lag(primary, db);
      }
      const Timestamp now = Timestamp::now();
      json counts = json::array();
      for (const auto& c : s.counts) {
        counts.push_back({{"status", c.status}, {"workflow", c.workflow}, {"count", c.count}});
      }
      json workers = json::array();
      for (const auto& w : s.workers) {
        workers.push_back({{"id", w.id},
                           {"pid", w.pid},
                           {"slots", w.slots},
                           {"workflow", w.workflow},
                           {"heartbeat_age_s", seconds_between(w.heartbeat_at, now)},
                           {"counters", w.counters.empty() ? json() : json::parse(w.counters)}});
      }
      const json oldest = s.oldest_due ? json(seconds_between(*s.oldest_due, now)) : json();
      if (as_json) {
        std::cout << json{{"counts", counts},
                          {"oldest_due_age_s", oldest},
                          {"finished_last_minute", s.finished_last_minute},
                          {"workers", workers},
                          {"replica", lag ? replica_lag_json(*lag) : json()}}
                         .dump()
                  << '\n';
        return 0;
      }
      std::cout << fmt::format("{:<10} {:<30} {:>12}\n", "status", "workflow", "events");
      for (const auto& c : s.counts) {
        std::cout << fmt::format("{:<10} {:<30} {:>12}\n", c.status,
                                 c.workflow.empty() ? "-" : c.workflow, c.count);
      }
      std::cout << fmt::format(
          "oldest due: {}\n", oldest.is_null() ? std::string("none")
                                               : fmt::format("{:.1f} s ago", oldest.get<double>()));
      std::cout << fmt::format("finished in the last minute: {}\n", s.finished_last_minute);
      if (lag) std::cout << "read from a replica: " << replica_lag_text(*lag) << '\n';
      for (const auto& w : workers) {
        std::cout << fmt::format("worker {} ({} slots): heartbeat {:.1f} s ago, {}\n",
                                 w["id"].get<std::string>(), w["slots"].get<std::int64_t>(),
                                 w["heartbeat_age_s"].get<double>(), w["counters"].dump());
      }
      return 0;
    };
  });
}

struct RetryCliOptions {
  std::vector<std::string> ids;
  bool dead = false;
  bool failed = false;
  std::optional<std::string> status;
  std::optional<std::string> workflow;
};

void add_retry(CLI::App& group, Context& context, Command& run) {
  auto o = std::make_shared<RetryCliOptions>();
  CLI::App* cmd =
      group.add_subcommand("retry",
                           "Make events pending again (attempts reset): by id, --dead, --failed, "
                           "--status, --workflow");
  cmd->add_option("ids", o->ids, "Event ids");
  cmd->add_flag("--dead", o->dead, "Every dead event");
  cmd->add_flag("--failed", o->failed, "Every event waiting for a retry");
  cmd->add_option("--status", o->status, "Every event with this status (failed, dead, done)");
  cmd->add_option("--workflow", o->workflow, "Only events with this routing key");
  cmd->callback([&context, &run, o] {
    run = [&context, o] {
      events::RetrySelection sel;
      for (const std::string& id : o->ids) sel.ids.push_back(Uuid::parse(id));
      const int chosen = (o->dead ? 1 : 0) + (o->failed ? 1 : 0) + (o->status ? 1 : 0);
      if (chosen > 1) throw ConfigError("--dead, --failed and --status exclude each other");
      if (o->dead) sel.status = events::Status::dead;
      if (o->failed) sel.status = events::Status::failed;
      if (o->status) sel.status = events::parse_status(*o->status, "--status");
      sel.workflow = o->workflow;
      Database db = context.open_database();
      require_processing_schema(db);
      const std::int64_t n = db.transaction([&](Session& s) { return events::retry(s, sel); });
      std::cout << fmt::format("{} event{} requeued\n", n, n == 1 ? "" : "s");
      return 0;
    };
  });
}

void add_patch(CLI::App& group, Context& context, Command& run) {
  auto id = std::make_shared<std::string>();
  auto patch = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(
      "patch", "Merge a JSON object into an event's task_context (RFC 7386: null removes a key)");
  cmd->add_option("id", *id, "The event's id")->required();
  cmd->add_option("json", *patch, "The merge patch, a JSON object")->required();
  cmd->callback([&context, &run, id, patch] {
    run = [&context, id, patch] {
      const Uuid event = Uuid::parse(*id);
      const auto first = patch->find_first_not_of(" \t\r\n");
      events::validate_json(*patch, "patch");
      if (first == std::string::npos || (*patch)[first] != '{') {
        throw InvalidInput("patch", "must be a JSON object", first);
      }
      Database db = context.open_database();
      const events::Event e = db.transaction(
          [&](Session& s) { return events::EventRepository(s).merge_task_context(event, *patch); });
      std::cout << (e.task_context ? e.task_context->text() : "null") << '\n';
      return 0;
    };
  });
}

void add_backfill(CLI::App& group, Context& context, Command& run) {
  auto batch = std::make_shared<std::size_t>(5000);
  auto unprocessed = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(
      "backfill",
      "After adopting a table: make old events that were never processed pending, "
      "in batches (they read done after the processing revision)");
  cmd->add_option("--unprocessed", *unprocessed, "What old unprocessed events become: pending")
      ->required()
      ->check(CLI::IsMember({"pending", "done"}));
  cmd->add_option("--batch-size", *batch, "Events per transaction (default 5000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  cmd->callback([&context, &run, batch, unprocessed] {
    run = [&context, batch, unprocessed] {
      Database db = context.open_database();
      require_processing_schema(db);
      if (*unprocessed == "done") {
        std::cout << "0 events changed (old events are already done)\n";
        return 0;
      }
      const std::int64_t n = events::backfill_unprocessed(db, *batch);
      std::cout << fmt::format("{} event{} made pending\n", n, n == 1 ? "" : "s");
      return 0;
    };
  });
}

}  // namespace

void add_processing_commands(CLI::App& events_group, Context& context, Command& run) {
  add_work(events_group, context, run);
  add_stats(events_group, context, run);
  add_retry(events_group, context, run);
  add_patch(events_group, context, run);
  add_backfill(events_group, context, run);
}

}  // namespace retort::cli

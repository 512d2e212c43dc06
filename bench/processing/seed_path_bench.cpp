// The original service's processing path, as retort runs it: events with the reference payload
// (the helpdesk ticket of ../shared/anchors/worker/seed_worker.py), processed by the same small
// workflow (seed_worker.py's `workflow`) written in C++ as a Worker handler. Compared by
// run_seed_path_bench.sh with `seed_worker.py burn|latency` (Celery + Redis + SQLAlchemy) and with
// the same workflow in Python through `retort events work --exec` (seed_workflow_handler.py).
//
//   retort_bench_seed_path store URL N                 empty the events table, store N events
//   retort_bench_seed_path burn URL N SLOTS BATCH      store N, then time a C++ Worker draining
//   them retort_bench_seed_path work URL SLOTS BATCH        drain what is stored (one of several
//   processes) retort_bench_seed_path latency URL N RATE SLOTS    an idle Worker (LISTEN/NOTIFY);
//   one event a
//                                                      time at RATE/s; p50/p99 commit -> result
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "retort/database.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void upgrade_quietly(retort::Database& db) {
  retort::migrate::MigrateOptions quiet;
  // RETORT_MIGRATIONS_DIR: the source tree's migrations/ (a ccache build may not find them).
  if (const char* dir = std::getenv("RETORT_MIGRATIONS_DIR")) {
    retort::migrate::Settings settings;
    settings.script_location = dir;
    settings.origin = "built-in";
    quiet.settings = settings;
  } else {
    quiet.settings = retort::migrate::builtin_settings();
  }
  quiet.on_log = [](std::string_view) {};
  retort::migrate::upgrade(db, "head", quiet);
}

// seed_worker.py's payload(i): a ~550-byte helpdesk ticket.
std::string payload(std::size_t i, std::mt19937& rng) {
  std::string body;
  for (int k = 0; k < 4; ++k)
    body += "Hello, I ordered a blue kettle two weeks ago and it has still not arrived. ";
  const Json doc = {{"type", "ticket.created"},
                    {"source", "helpdesk"},
                    {"ticket",
                     {{"id", i},
                      {"subject", fmt::format("Order {} has not arrived", i)},
                      {"body", body},
                      {"customer",
                       {{"email", fmt::format("user{}@example.com", i)},
                        {"name", "Jane Doe"},
                        {"tier", (rng() & 1U) != 0 ? "free" : "pro"}}},
                      {"tags", {"shipping", "delay"}},
                      {"priority", i % 4}}}};
  return doc.dump();
}

// seed_worker.py's workflow(data): what a routing/classification node returns.
std::string workflow(const std::string& data_text) {
  const Json data = Json::parse(data_text);
  const Json ticket = data.value("ticket", Json::object());
  std::istringstream body(ticket.value("body", std::string()));
  std::size_t words = 0;
  for (std::string word; body >> word;) ++words;
  const Json customer = ticket.value("customer", Json::object());
  const Json result = {{"event", data.value("type", Json())},
                       {"nodes",
                        {{"Classify",
                          {{"priority", ticket.value("priority", Json())},
                           {"tier", customer.value("tier", Json())},
                           {"words", words}}}}},
                       {"metadata", {{"worker", "retort"}}}};
  return result.dump();
}

void empty_events(retort::Database& db) {
  db.transaction([](retort::Session& s) {
    s.execute(s.dialect() == retort::Dialect::postgresql ? "TRUNCATE events"
                                                         : "DELETE FROM events");
  });
}

std::vector<std::string> payloads(std::size_t first, std::size_t count, std::mt19937& rng) {
  std::vector<std::string> docs;
  docs.reserve(count);
  for (std::size_t i = first; i < first + count; ++i) docs.push_back(payload(i, rng));
  return docs;
}

void store(retort::Database& db, std::size_t n) {
  empty_events(db);
  std::mt19937 rng(42);
  for (std::size_t stored = 0; stored < n;) {
    const std::size_t chunk = std::min<std::size_t>(5000, n - stored);
    db.transaction([&](retort::Session& s) {
      retort::events::EventRepository(s).record_many(payloads(stored, chunk, rng));
    });
    stored += chunk;
  }
}

retort::events::WorkerOptions worker_options(std::size_t slots, std::size_t batch, bool once) {
  retort::events::WorkerOptions w;
  w.slots = slots;
  w.batch_size = batch;
  w.once = once;
  return w;
}

void handle_workflow(retort::events::Worker& worker) {
  worker.handle("ticket.created", [](const retort::events::ClaimedEvent& e) {
    return retort::events::HandlerResult{workflow(e.data.text())};
  });
}

retort::Database open(const std::string& url, std::size_t slots) {
  retort::DatabaseOptions options;
  options.pool.max_size = slots + 4;
  return retort::Database::open(url, options);
}

// Drains what is stored; prints one line; exit 1 when an event failed.
int drain(const std::string& url, std::size_t slots, std::size_t batch, const char* label) {
  retort::Database db = open(url, slots);
  retort::events::Worker worker(db, worker_options(slots, batch, true));
  handle_workflow(worker);
  const auto t0 = Clock::now();
  worker.run();
  const double s = seconds_since(t0);
  const auto c = worker.counters();
  fmt::print(
      "{}: {} done, {} failed in {:.2f} s = {:.0f} events/s (C++ handler, {} slots, batch {})\n",
      label, c.done, c.failed, s, static_cast<double>(c.done) / s, slots, batch);
  return c.failed == 0 ? 0 : 1;
}

// The seed's burn-down, retort's way: the worker started and idle (its start-up excluded, as
// seed_worker.py excludes Celery's), then N events stored in one transaction; timed from that
// commit until the worker has committed the last result.
int burn(const std::string& url, std::size_t n, std::size_t slots, std::size_t batch) {
  retort::Database db = open(url, slots);
  upgrade_quietly(db);
  empty_events(db);
  retort::events::Worker worker(db, worker_options(slots, batch, false));
  handle_workflow(worker);
  std::thread runner([&] { worker.run(); });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // connected and listening
  std::mt19937 rng(42);
  std::vector<std::string> docs = payloads(0, n, rng);
  db.transaction(
      [&](retort::Session& s) { retort::events::EventRepository(s).record_many(std::move(docs)); });
  const auto t0 = Clock::now();
  const auto finished = [&] {
    const auto c = worker.counters();
    return c.done + c.failed >= static_cast<std::int64_t>(n);
  };
  while (!finished()) std::this_thread::sleep_for(std::chrono::microseconds(500));
  const double s = seconds_since(t0);
  worker.stop();
  runner.join();
  const auto c = worker.counters();
  fmt::print(
      "retort burn-down: {} done, {} failed in {:.2f} s = {:.0f} events/s (C++ handler, {} "
      "slots, batch {}; worker started before, as the seed's)\n",
      c.done, c.failed, s, static_cast<double>(c.done) / s, slots, batch);
  return c.failed == 0 ? 0 : 1;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v.at(std::min(at, v.size() - 1));
}

// An idle Worker in a thread (woken by NOTIFY; its polling fallback left at the default 1 s, so
// polling cannot explain a short latency), and a producer storing one event per transaction.
// The result is seen as the anchor sees it, by polling (every 0.2 ms, on a connection of its
// own), or with `notify` without polling (which takes CPU from the worker on a small machine):
// a bench-only trigger sends a notification when an event becomes done, delivered to the
// producer's listening connection at the commit of the result.
int latency(const std::string& url, std::size_t n, double rate, std::size_t slots, bool notify) {
  retort::Database db = open(url, slots);
  upgrade_quietly(db);
  empty_events(db);
  db.transaction([](retort::Session& s) {
    s.execute_script(
        "CREATE OR REPLACE FUNCTION bench_result_committed() RETURNS trigger LANGUAGE plpgsql AS "
        "$f$ BEGIN PERFORM pg_notify('bench_result', NEW.id::text); RETURN NULL; END $f$;"
        "DROP TRIGGER IF EXISTS bench_result_committed ON events;"
        "CREATE TRIGGER bench_result_committed AFTER UPDATE ON events FOR EACH ROW WHEN "
        "(NEW.status = 'done' AND OLD.status <> 'done') EXECUTE FUNCTION "
        "bench_result_committed();");
  });
  auto listener = retort::connect(retort::parse_database_url(url));
  listener->listen("bench_result");
  auto probe = retort::connect(retort::parse_database_url(url));  // autocommit
  retort::events::Worker worker(db, worker_options(slots, 10, false));
  handle_workflow(worker);
  std::thread runner([&] { worker.run(); });
  retort::Database producer_db = open(url, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the worker is listening
  std::mt19937 rng(7);
  std::vector<double> from_commit, from_store, storing;
  const auto period = std::chrono::duration<double>(1.0 / rate);
  for (std::size_t i = 0; i < n; ++i) {
    const auto start = Clock::now();
    const std::string id =
        producer_db
            .transaction([&](retort::Session& s) {
              return retort::events::EventRepository(s).record(payload(i, rng)).id;
            })
            .to_string();
    const auto committed = Clock::now();
    for (bool seen = false; !seen;) {
      if (notify) {
        const auto note = listener->wait_for_notification(std::chrono::seconds(10));
        if (!note) throw std::runtime_error("no result within 10 s for event " + id);
        seen = note->payload == id;
      } else {
        seen =
            probe->execute("SELECT task_context IS NOT NULL FROM events WHERE id = $1::uuid", {id})
                .at(0)[0]
                .as_bool();
        if (!seen) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    const auto seen = Clock::now();
    from_commit.push_back(std::chrono::duration<double, std::milli>(seen - committed).count());
    from_store.push_back(std::chrono::duration<double, std::milli>(seen - start).count());
    storing.push_back(std::chrono::duration<double, std::milli>(committed - start).count());
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(period));
  }
  worker.stop();
  runner.join();
  db.transaction([](retort::Session& s) {
    s.execute_script(
        "DROP TRIGGER bench_result_committed ON events; DROP FUNCTION bench_result_committed();");
  });
  const auto c = worker.counters();
  fmt::print(
      "retort latency commit->result: p50 {:.1f} ms, p99 {:.1f} ms; store->result (the seed's "
      "measure): p50 {:.1f} ms, p99 {:.1f} ms over {} events at {}/s ({} slots, LISTEN/NOTIFY; "
      "result seen by {}); for scale: storing one event (a transaction) p50 {:.1f} ms, the "
      "worker's claims {:.1f} ms on average\n",
      percentile(from_commit, 0.5), percentile(from_commit, 0.99), percentile(from_store, 0.5),
      percentile(from_store, 0.99), n, rate, slots, notify ? "notification" : "polling",
      percentile(storing, 0.5),
      c.claims ? static_cast<double>(c.claim_micros_total) / 1000.0 / static_cast<double>(c.claims)
               : 0.0);
  return 0;
}

std::size_t arg(char** argv, int i) {
  return std::strtoull(argv[i], nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "store" && argc == 4) {
      retort::Database db = open(argv[2], 1);
      upgrade_quietly(db);
      store(db, arg(argv, 3));
      return 0;
    }
    if (mode == "burn" && argc == 6) return burn(argv[2], arg(argv, 3), arg(argv, 4), arg(argv, 5));
    if (mode == "work" && argc == 5)
      return drain(argv[2], arg(argv, 3), arg(argv, 4), "retort worker");
    if (mode == "latency" && (argc == 6 || argc == 7))
      return latency(argv[2], arg(argv, 3), std::strtod(argv[4], nullptr), arg(argv, 5),
                     argc == 7 && std::string(argv[6]) == "notify");
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", argv[0], e.what());
    return 1;
  }
  fmt::print(stderr,
             "usage: {0} store URL N | burn URL N SLOTS BATCH | work URL SLOTS BATCH | "
             "latency URL N RATE SLOTS [poll|notify]\n",
             argv[0]);
  return 2;
}

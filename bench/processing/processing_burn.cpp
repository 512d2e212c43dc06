// Burn-down: N no-op events stored, then a Worker with C slots processes them all; prints
// events/s from the worker's start until the last result is committed. The same shape as
// ../shared/anchors/worker/graphile_burn.js (N jobs queued before the worker starts).
//
//   retort_bench_processing URL N [CONCURRENCY] [BATCH]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "retort/database.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: {} URL N [CONCURRENCY] [BATCH]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  const std::size_t concurrency = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 8;
  const std::size_t batch = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 50;
  retort::DatabaseOptions options;
  options.pool.max_size = concurrency + 4;
  retort::Database db = retort::Database::open(url, options);
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
  // A fresh table each round (the anchors start from empty tables too): rows deleted by the
  // previous round would leave dead entries in the claim index until autovacuum runs.
  db.transaction([](retort::Session& s) { s.execute("TRUNCATE events"); });
  for (std::size_t stored = 0; stored < n;) {
    const std::size_t chunk = std::min<std::size_t>(5000, n - stored);
    std::vector<std::string> docs;
    for (std::size_t i = 0; i < chunk; ++i)
      docs.push_back(fmt::format(R"({{"type":"noop","i":{}}})", stored + i));
    db.transaction([&](retort::Session& s) {
      retort::events::EventRepository(s).record_many(std::move(docs));
    });
    stored += chunk;
  }
  retort::events::WorkerOptions w;
  w.slots = concurrency;
  w.batch_size = batch;
  w.once = true;
  retort::events::Worker worker(db, w);
  worker.handle("noop", [](const retort::events::ClaimedEvent&) {
    return retort::events::HandlerResult{"{}"};
  });
  const auto t0 = std::chrono::steady_clock::now();
  worker.run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto c = worker.counters();
  fmt::print(
      "retort worker: {} events, concurrency {}, batch {}: {} done in {:.2f} s = {:.0f} events/s\n",
      n, concurrency, batch, c.done, seconds, static_cast<double>(c.done) / seconds);
  return c.done == static_cast<std::int64_t>(n) ? 0 : 1;
}

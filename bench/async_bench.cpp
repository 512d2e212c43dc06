// The asynchronous API's throughput and memory, on one thread. Run by run_async_bench.sh beside
// pgbench and the SQLAlchemy-asyncio-on-asyncpg anchor (async_anchor_sqlalchemy.py).
//
//   retort_bench_async --print-payload                        the reference event (for pgbench)
//   retort_bench_async --url URL --setup                      create the events schema
//   retort_bench_async --url URL --mode create [--seconds S] [--coroutines C] [--pool P]
//       C coroutines on one io_context thread over a pool of P connections, each storing the
//       reference event in a loop (INSERT ... RETURNING, committing on its own: the event
//       store's create) for S seconds
//   retort_bench_async --url URL --mode pipeline [--seconds S] [--batch B]
//       one connection, single-row INSERTs of the reference event sent B at a time in one
//       pipeline (autocommit: each its own transaction, as pgbench's \startpipeline script)
//   retort_bench_async --url URL --mode memory [--coroutines C] [--pool P]
//       resident memory of C coroutines in flight (each awaiting a pooled SELECT pg_sleep(0.01))
//       above the idle process with its pool open
//   retort_bench_async --mode memory-floor [--coroutines C]
//       the floor: C bare Asio coroutines, each awaiting one shared timer, no retort at all
//
// Prints "RESULT mode=... rows=... seconds=... rate=..." (memory: "extra_kib=...").
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_common.hpp"
#include "retort/async.hpp"
#include "retort/database.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"

namespace {

using retort::bench::Clock;

struct Options {
  std::string url;
  std::string mode;
  bool setup = false;
  double seconds = 2;
  std::int64_t coroutines = 64;
  std::int64_t pool = 8;
  std::int64_t batch = 100;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "retort_bench_async: %s\n"
               "usage: retort_bench_async --url URL [--setup] [--mode create|pipeline|memory]\n"
               "       [--seconds S] [--coroutines C] [--pool P] [--batch B]\n",
               problem.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--print-payload") {
      fmt::print("{}\n", retort::bench::payload(0));
      std::exit(0);
    } else if (arg == "--url") {
      o.url = value();
    } else if (arg == "--mode") {
      o.mode = value();
    } else if (arg == "--setup") {
      o.setup = true;
    } else if (arg == "--seconds") {
      o.seconds = retort::bench::parse_seconds(arg, value(), usage);
    } else if (arg == "--coroutines") {
      o.coroutines = retort::bench::parse_count(arg, value(), usage);
    } else if (arg == "--pool") {
      o.pool = retort::bench::parse_count(arg, value(), usage);
    } else if (arg == "--batch") {
      o.batch = retort::bench::parse_count(arg, value(), usage);
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.url.empty() && o.mode != "memory-floor") usage("--url is required");
  if (!o.setup && o.mode.empty()) usage("--setup or --mode is required");
  if (o.coroutines < 1 || o.pool < 1 || o.batch < 1) usage("counts must be at least 1");
  return o;
}

// What pgbench's script runs (run_async_bench.sh writes the same statement).
constexpr const char* kInsert =
    "INSERT INTO events (id, data, task_context, created_at, updated_at) VALUES "
    "(gen_random_uuid(), $1::jsonb, NULL, now(), now()) "
    "RETURNING id, data, task_context, created_at, updated_at";

// 4096 distinct reference events, made before the clock starts (as pgbench's payload is).
std::vector<std::string> make_payloads() {
  std::vector<std::string> payloads;
  for (int i = 0; i < 4096; ++i) payloads.push_back(retort::bench::payload(i));
  return payloads;
}

struct Outcome {
  std::int64_t rows = 0;
  double seconds = 0;
};

Outcome run_create(const Options& o) {
  asio::io_context io(1);
  retort::PoolOptions pool;
  pool.max_size = static_cast<std::size_t>(o.pool);
  pool.min_size = pool.max_size;
  retort::async::Database db(io.get_executor(), retort::parse_database_url(o.url), pool);
  const std::vector<std::string> payloads = make_payloads();
  std::exception_ptr failure;
  Outcome outcome;
  // Open the pool before the clock starts (pgbench's connections are open before it counts).
  asio::co_spawn(io, db.pool().warm_up(), [&](std::exception_ptr e) {
    if (e) failure = e;
  });
  io.run();
  io.restart();
  if (failure) std::rethrow_exception(failure);
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = retort::bench::deadline_after(start, o.seconds);
  std::int64_t next = 0;
  for (std::int64_t c = 0; c < o.coroutines; ++c) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (Clock::now() < deadline) {
            const std::string& data = payloads[static_cast<std::size_t>(next++ % 4096)];
            retort::Result r = co_await db.execute(kInsert, retort::Value(data));
            outcome.rows += r.size() == 1 ? 1 : 0;
          }
        },
        [&](std::exception_ptr e) {
          if (e && !failure) failure = e;
        });
  }
  io.run();
  outcome.seconds = retort::bench::seconds_since(start);
  if (failure) std::rethrow_exception(failure);
  return outcome;
}

Outcome run_pipeline(const Options& o) {
  asio::io_context io(1);
  const std::vector<std::string> payloads = make_payloads();
  std::exception_ptr failure;
  Outcome outcome;
  auto body = [&]() -> asio::awaitable<void> {
    auto conn = co_await retort::async::connect(retort::parse_database_url(o.url));
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = retort::bench::deadline_after(start, o.seconds);
    std::int64_t next = 0;
    while (Clock::now() < deadline) {
      std::vector<retort::Statement> batch;
      for (std::int64_t i = 0; i < o.batch; ++i) {
        std::vector<retort::Value> params;
        params.emplace_back(payloads[static_cast<std::size_t>(next++ % 4096)]);
        batch.push_back(retort::Statement{kInsert, std::move(params)});
      }
      std::vector<retort::Result> results = co_await conn->pipeline(std::move(batch));
      outcome.rows += static_cast<std::int64_t>(results.size());
    }
    outcome.seconds = retort::bench::seconds_since(start);
  };
  asio::co_spawn(io, body(), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return outcome;
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

int run_memory(const Options& o) {
  asio::io_context io(1);
  retort::PoolOptions pool;
  pool.max_size = static_cast<std::size_t>(o.pool);
  pool.min_size = pool.max_size;
  pool.acquire_timeout = std::chrono::minutes(10);
  retort::async::Database db(io.get_executor(), retort::parse_database_url(o.url), pool);
  std::exception_ptr failure;
  auto warm = [&]() -> asio::awaitable<void> {
    co_await db.pool().warm_up();
    co_await db.execute("SELECT 1");
  };
  asio::co_spawn(io, warm(), [&](std::exception_ptr e) { failure = e; });
  io.run();
  io.restart();
  if (failure) std::rethrow_exception(failure);
  const long idle = resident_kib();
  long peak = idle;
  std::int64_t finished = 0;
  for (std::int64_t c = 0; c < o.coroutines; ++c) {
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { co_await db.execute("SELECT pg_sleep(0.01)"); },
        [&](std::exception_ptr e) {
          ++finished;
          if (e && !failure) failure = e;
        });
  }
  // All are in flight now (suspended in acquire or in a statement): sample while they drain.
  asio::steady_timer sampler(io);
  std::function<void(std::error_code)> sample = [&](std::error_code) {
    peak = std::max(peak, resident_kib());
    if (finished == o.coroutines) return;
    sampler.expires_after(std::chrono::milliseconds(50));
    sampler.async_wait(sample);
  };
  sample({});
  io.run();
  if (failure) std::rethrow_exception(failure);
  fmt::print("RESULT mode=memory coroutines={} pool={} idle_kib={} peak_kib={} extra_kib={}\n",
             o.coroutines, o.pool, idle, peak, peak - idle);
  return 0;
}

// What Asio (and GCC's coroutine frames) cost by themselves for C coroutines in flight.
int run_memory_floor(const Options& o) {
  asio::io_context io(1);
  asio::steady_timer shared(io, std::chrono::milliseconds(200));
  const long idle = resident_kib();
  for (std::int64_t c = 0; c < o.coroutines; ++c) {
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { co_await shared.async_wait(asio::use_awaitable); },
        asio::detached);
  }
  io.poll();  // every coroutine has started and waits now
  const long peak = resident_kib();
  io.run();
  fmt::print("RESULT mode=memory-floor coroutines={} idle_kib={} peak_kib={} extra_kib={}\n",
             o.coroutines, idle, peak, peak - idle);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    if (o.setup) {
      retort::Database db = retort::Database::open(o.url);
      // The events schema the one way retort makes it: the built-in migrations.
      retort::migrate::MigrateOptions options;
      options.settings = retort::migrate::builtin_settings();
      options.on_log = [](std::string_view) {};
      retort::migrate::upgrade(db, "head", options);
      if (o.mode.empty()) return 0;
    }
    if (o.mode == "memory") return run_memory(o);
    if (o.mode == "memory-floor") return run_memory_floor(o);
    Outcome outcome;
    if (o.mode == "create") {
      outcome = run_create(o);
    } else if (o.mode == "pipeline") {
      outcome = run_pipeline(o);
    } else {
      usage("unknown mode " + o.mode);
    }
    // The runner empties the table before each run: it must now hold exactly what was counted.
    std::int64_t in_table = 0;
    {
      retort::Database db = retort::Database::open(o.url);
      in_table = db.connection()->execute("SELECT count(*) FROM events").cell(0, 0).as_int64();
    }
    if (in_table != outcome.rows) {
      std::fprintf(stderr, "retort_bench_async: %s: counted %lld events, the table holds %lld\n",
                   o.mode.c_str(), static_cast<long long>(outcome.rows),
                   static_cast<long long>(in_table));
      return 1;
    }
    const double rate =
        outcome.seconds > 0 ? static_cast<double>(outcome.rows) / outcome.seconds : 0;
    fmt::print("RESULT mode={} rows={} seconds={:.3f} rate={:.1f} coroutines={} pool={}\n", o.mode,
               outcome.rows, outcome.seconds, rate, o.coroutines, o.pool);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retort_bench_async: %s\n", e.what());
    return 1;
  }
}

// Reads on a streaming replica against the same reads on the primary, under a write load.
//
//   retort_bench_replica --primary URL --replica URL [--seconds S] [--rounds R] [--seed N]
//
// What `events list` and `events find` do (EventRepository::find: the newest 20 events; a JSON
// containment match on one ticket id), timed one call at a time, while a writer thread stores
// events on the primary as fast as it can (one event per transaction) and a sampler thread
// records the replica's lag (WAL bytes not yet replayed, and the age of its last replayed
// commit). Rounds alternate which side reads first; the anchor is the primary itself (where the
// reads go without a replica), in the same run, under the same writer. Prints latency
// percentiles per side, the ratios replica/primary, the writer's rate per side and the lag.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_common.hpp"
#include "retort/database.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"

namespace {

using retort::bench::Clock;

struct Options {
  std::string primary, replica;
  double seconds = 5;
  int rounds = 6;
  std::int64_t seed = 20000;
};

[[noreturn]] void usage(std::string_view error) {
  if (!error.empty())
    std::fprintf(stderr, "retort_bench_replica: %.*s\n", int(error.size()), error.data());
  std::fprintf(stderr,
               "usage: retort_bench_replica --primary URL --replica URL [--seconds S] "
               "[--rounds R] [--seed N]\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage(fmt::format("{} needs a value", arg));
    const std::string value = argv[++i];
    if (arg == "--primary") {
      o.primary = value;
    } else if (arg == "--replica") {
      o.replica = value;
    } else if (arg == "--seconds") {
      o.seconds = std::stod(value);
    } else if (arg == "--rounds") {
      o.rounds = std::stoi(value);
    } else if (arg == "--seed") {
      o.seed = std::stoll(value);
    } else {
      usage(fmt::format("unknown option {}", arg));
    }
  }
  if (o.primary.empty() || o.replica.empty()) usage("--primary and --replica are required");
  return o;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

struct Side {
  std::vector<double> list_ms, find_ms;
  std::int64_t writes = 0;
  double seconds = 0;
};

struct LagSample {
  double bytes = 0, seconds = 0;
};

void setup(retort::Database& primary, std::int64_t seed) {
  retort::migrate::MigrateOptions migrate_options;
  migrate_options.settings = retort::migrate::builtin_settings();
  migrate_options.on_log = [](std::string_view) {};
  retort::migrate::upgrade(primary, "head", migrate_options);
  primary.connection()->execute_script("TRUNCATE events");
  for (std::int64_t done = 0; done < seed; done += 1000) {
    std::vector<std::string> docs;
    for (std::int64_t i = done; i < std::min(seed, done + 1000); ++i) {
      docs.push_back(retort::bench::payload(i));
    }
    primary.transaction([&](retort::Session& s) {
      retort::events::EventRepository(s).record_many(std::move(docs));
    });
  }
  primary.connection()->execute_script("ANALYZE events");
}

LagSample sample_lag(retort::Connection& primary, retort::Connection& replica) {
  const retort::Result r = replica.execute(
      "SELECT pg_last_wal_replay_lsn()::text, "
      "coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8");
  const retort::Result behind = primary.execute(
      "SELECT greatest(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn), 0)::float8",
      {r.at(0)[0].as_text()});
  LagSample s;
  s.bytes = behind.at(0)[0].as_double();
  s.seconds = s.bytes > 0 ? r.at(0)[1].as_double() : 0.0;
  return s;
}

void wait_caught_up(retort::Connection& primary, retort::Connection& replica) {
  for (int i = 0; i < 600 && sample_lag(primary, replica).bytes > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

double time_ms(const std::function<void()>& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads on `db` for `seconds`: list and find in turn.
void read_phase(retort::Database& db, double seconds, std::int64_t seed, Side& side,
                const std::atomic<std::int64_t>& writes) {
  const std::int64_t writes_before = writes.load();
  const auto start = Clock::now();
  const auto end = retort::bench::deadline_after(start, seconds);
  std::int64_t k = 0;
  while (Clock::now() < end) {
    retort::events::EventFilter list;
    list.limit = 20;
    list.newest_first = true;
    side.list_ms.push_back(time_ms([&] {
      db.transaction([&](retort::Session& s) { retort::events::EventRepository(s).find(list); });
    }));
    retort::events::EventFilter find;
    find.contains = fmt::format(R"({{"ticket": {{"id": {}}}}})", 1000000000 + (k++ * 7919) % seed);
    find.limit = 20;
    side.find_ms.push_back(time_ms([&] {
      db.transaction([&](retort::Session& s) { retort::events::EventRepository(s).find(find); });
    }));
  }
  side.seconds += retort::bench::seconds_since(start);
  side.writes += writes.load() - writes_before;
}

void print_row(std::string_view what, const std::vector<double>& primary,
               const std::vector<double>& replica) {
  const double p50p = percentile(primary, 0.5), p99p = percentile(primary, 0.99);
  const double p50r = percentile(replica, 0.5), p99r = percentile(replica, 0.99);
  std::printf("| %.*s | %zu / %zu | %.3f | %.3f | %.3f | %.3f | **%.3f** | **%.3f** |\n",
              int(what.size()), what.data(), primary.size(), replica.size(), p50p, p99p, p50r, p99r,
              p50r / p50p, p99r / p99p);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  try {
    retort::DatabaseOptions options;
    options.pool.max_size = 2;
    retort::Database primary = retort::Database::open(o.primary, options);
    retort::Database replica = retort::Database::open(o.replica, options);
    setup(primary, o.seed);
    std::unique_ptr<retort::Connection> lag_primary = retort::connect(primary.url());
    std::unique_ptr<retort::Connection> lag_replica = retort::connect(replica.url());
    wait_caught_up(*lag_primary, *lag_replica);

    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> writes{0};
    std::thread writer([&] {
      std::int64_t i = o.seed;
      while (!stop.load()) {
        primary.transaction([&](retort::Session& s) {
          retort::events::EventRepository(s).record(retort::bench::payload(i++));
        });
        writes.fetch_add(1);
      }
    });
    std::vector<LagSample> lags;
    std::thread sampler([&] {
      while (!stop.load()) {
        lags.push_back(sample_lag(*lag_primary, *lag_replica));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    Side on_primary, on_replica;
    for (int round = 0; round < o.rounds; ++round) {
      const bool primary_first = round % 2 == 0;
      read_phase(primary_first ? primary : replica, o.seconds, o.seed,
                 primary_first ? on_primary : on_replica, writes);
      read_phase(primary_first ? replica : primary, o.seconds, o.seed,
                 primary_first ? on_replica : on_primary, writes);
    }
    stop = true;
    writer.join();
    sampler.join();

    std::vector<double> lag_bytes, lag_seconds;
    for (const LagSample& s : lags) {
      lag_bytes.push_back(s.bytes);
      lag_seconds.push_back(s.seconds);
    }
    std::printf(
        "| reads (ms) | calls primary / replica | primary p50 | primary p99 | replica p50 | "
        "replica p99 | ratio p50 (replica/primary) | ratio p99 "
        "|\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    print_row("events list (newest 20)", on_primary.list_ms, on_replica.list_ms);
    print_row("events find (containment, ticket id)", on_primary.find_ms, on_replica.find_ms);
    std::printf(
        "\nwriter on the primary: %.0f events/s while reading from the primary, %.0f "
        "events/s while reading from the replica\n",
        static_cast<double>(on_primary.writes) / on_primary.seconds,
        static_cast<double>(on_replica.writes) / on_replica.seconds);
    std::printf(
        "replica lag over %zu samples: bytes p50 %.0f, p99 %.0f, max %.0f; seconds p50 "
        "%.3f, p99 %.3f, max %.3f\n",
        lags.size(), percentile(lag_bytes, 0.5), percentile(lag_bytes, 0.99),
        percentile(lag_bytes, 1.0), percentile(lag_seconds, 0.5), percentile(lag_seconds, 0.99),
        percentile(lag_seconds, 1.0));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retort_bench_replica: %s\n", e.what());
    return 1;
  }
}

// Partitioned events against the plain table, on the same server in the same run
// (docs/partitioning.md, docs/benchmarks.md "Partitioned events"):
//   1. claim latency p50/p99 and processing throughput (claim 10, complete 10) over a table of
//      N events spread over D days, a backlog of the last day pending;
//   2. removing a day of events: DROP of its partition against DELETE of the same rows, time
//      and WAL bytes (pg_current_wal_lsn differences);
//   3. the online conversion pattern of docs/partitioning.md on the plain table: how long each
//      backfill batch and the swap (ACCESS EXCLUSIVE) held their locks.
//
//   RETORT_MIGRATIONS_DIR=migrations retort_bench_partitioning URL [--events N] [--days D]
//       [--claims K] [--rounds R] [--generic-plans]
// Default N is 10,000,000 (minutes of loading: pass --events 1000000 for a quick look). Each
// side lives in a schema of its own (bench_plain, bench_part), dropped and rebuilt every run.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "retort/database.hpp"
#include "retort/migrate.hpp"
#include "retort/processing.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using retort::Database;
using retort::Session;

struct Args {
  std::string url;
  std::int64_t events = 10'000'000;
  int days = 10;
  int claims = 2000;
  int rounds = 3;
  bool generic_plans = false;  // both sides: plan_cache_mode = force_generic_plan
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto next = [&]() -> std::int64_t {
      if (i + 1 >= argc) throw std::runtime_error(fmt::format("{} needs a value", arg));
      return std::strtoll(argv[++i], nullptr, 10);
    };
    if (arg == "--events") {
      a.events = next();
    } else if (arg == "--days") {
      a.days = static_cast<int>(next());
    } else if (arg == "--claims") {
      a.claims = static_cast<int>(next());
    } else if (arg == "--generic-plans") {
      a.generic_plans = true;
    } else if (arg == "--rounds") {
      a.rounds = static_cast<int>(next());
    } else {
      a.url = std::string(arg);
    }
  }
  if (a.url.empty() || a.events < 1000 || a.days < 2) {
    throw std::runtime_error(
        "usage: retort_bench_partitioning URL [--events N>=1000] [--days D>=2] [--claims K] "
        "[--rounds R]");
  }
  return a;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string with_schema(const std::string& url, const std::string& schema, bool generic_plans) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" +
         schema + (generic_plans ? "%20-c%20plan_cache_mode%3Dforce_generic_plan" : "");
}

retort::migrate::MigrateOptions migrations(bool partitioned) {
  retort::migrate::MigrateOptions o;
  const char* dir = std::getenv("RETORT_MIGRATIONS_DIR");
  retort::migrate::Settings s =
      dir ? retort::migrate::Settings{} : retort::migrate::builtin_settings();
  if (dir) s.script_location = dir;
  s.origin = "bench";
  if (partitioned)
    s.version_locations = {s.script_location / "versions", s.script_location / "partitioned"};
  o.settings = s;
  o.on_log = [](std::string_view) {};
  return o;
}

// A fresh schema with the events table (plain or partitioned) holding n events spread evenly
// over the last `days` days; all done except the newest `backlog`, which are pending.
std::unique_ptr<Database> build(const Args& a, const std::string& schema, bool partitioned,
                                std::int64_t backlog) {
  {
    Database admin = Database::open(a.url);
    admin.transaction([&](Session& s) {
      s.execute(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema));
      s.execute(fmt::format("CREATE SCHEMA {}", schema));
    });
  }
  auto db = std::make_unique<Database>(Database::open(with_schema(a.url, schema, a.generic_plans)));
  retort::migrate::upgrade(*db, "head", migrations(partitioned));
  const auto t0 = Clock::now();
  db->transaction([&](Session& s) {
    if (partitioned) {
      s.execute(fmt::format(
          "SELECT retort_events_ensure_partitions(now() - interval '{} days', now())", a.days + 1));
    }
    s.execute(R"(INSERT INTO events (id, data, created_at, updated_at, status, run_after)
      SELECT gen_random_uuid(), jsonb_build_object('type', 'ticket', 'i', i, 'body', repeat('x', 400)),
             t, t, CASE WHEN i > $1 - $3 THEN 'pending' ELSE 'done' END, t
      FROM generate_series(1, $1) AS i,
           LATERAL (SELECT now() - ($2::float8 * (1 - i::float8 / $1)) * interval '1 day' AS t) AS x)",
              {a.events, static_cast<double>(a.days), backlog});
  });
  db->transaction([](Session& s) { s.execute("ANALYZE events"); });
  fmt::print("loaded {} events into {} in {:.0f} s\n", a.events, schema, ms_since(t0) / 1000);
  return db;
}

struct ClaimFigures {
  double p50 = 0, p99 = 0, rate = 0;
};

// K claims of 10 events, each batch completed; latency per claim statement, events per second.
ClaimFigures burn(Database& db, int claims) {
  retort::events::Processor p(db, {.worker_id = "bench:1:0"});
  std::vector<double> latencies;
  std::int64_t done = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < claims; ++i) {
    const auto c0 = Clock::now();
    const std::vector<retort::events::ClaimedEvent> batch = p.claim(10);
    latencies.push_back(ms_since(c0));
    std::vector<retort::events::Completion> completions;
    for (const auto& e : batch) completions.push_back({&e, R"({"ok": true})"});
    if (!completions.empty()) p.complete_many(completions);
    done += static_cast<std::int64_t>(batch.size());
  }
  const double seconds = ms_since(t0) / 1000;
  std::sort(latencies.begin(), latencies.end());
  return {latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100],
          static_cast<double>(done) / seconds};
}

std::int64_t wal_lsn(Session& s) {
  return s.execute("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint").at(0)[0].as_int64();
}

struct RemoveFigures {
  double ms = 0;
  std::int64_t wal = 0, rows = 0;
};

// The oldest full day (UTC) of the table.
std::string oldest_day(Database& db) {
  return db.transaction([](Session& s) {
    return s
        .execute(
            "SELECT to_char((min(created_at) AT TIME ZONE 'UTC')::date + 1, 'YYYY-MM-DD')"
            " FROM events")
        .at(0)[0]
        .as_text();
  });
}

RemoveFigures remove_day(Database& db, const std::string& day, bool partitioned) {
  RemoveFigures f;
  db.transaction([&](Session& s) { s.execute("CHECKPOINT"); });
  const std::int64_t before = db.transaction([](Session& s) { return wal_lsn(s); });
  db.transaction([&](Session& s) {
    if (partitioned) {
      const std::string part =
          "events_p" + day.substr(0, 4) + "_" + day.substr(5, 2) + "_" + day.substr(8, 2);
      f.rows = s.execute(fmt::format("SELECT count(*) FROM {}", part)).at(0)[0].as_int64();
      const auto d0 = Clock::now();
      s.execute(fmt::format("ALTER TABLE events DETACH PARTITION {}", part));
      s.execute(fmt::format("DROP TABLE {}", part));
      f.ms = ms_since(d0);
      return;
    }
    const auto d0 = Clock::now();
    f.rows = s.execute(
                  "DELETE FROM events WHERE created_at >= $1::date::timestamp AT TIME ZONE 'UTC'"
                  " AND created_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'",
                  {day})
                 .affected_rows();
    f.ms = ms_since(d0);
  });
  f.wal = db.transaction([](Session& s) { return wal_lsn(s); }) - before;
  return f;
}

// docs/partitioning.md's online conversion on the plain table: batched backfill, then the swap.
void convert_online(Database& db, std::int64_t batch) {
  db.transaction([](Session& s) {
    s.execute(
        "CREATE TABLE events_new (LIKE events INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)");
    // The function comes with the partitioned revision: bench_part's copy creates the partitions
    // next to their parent, events_new here.
    s.execute(
        "SELECT bench_part.retort_events_ensure_partitions((SELECT min(created_at) FROM events),"
        " now() + interval '7 days', 'events_new')");
    s.execute("ALTER TABLE events_new ADD PRIMARY KEY (id, created_at)");
  });
  std::vector<double> batches;
  retort::Value last_at = retort::Timestamp::parse("1970-01-01T00:00:00Z");
  retort::Value last_id = retort::Uuid::parse("00000000-0000-0000-0000-000000000000");
  for (;;) {
    const auto t0 = Clock::now();
    const retort::Result r = db.transaction([&](Session& s) {
      return s.execute(
          "WITH moved AS (INSERT INTO events_new SELECT * FROM events"
          " WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3"
          " RETURNING created_at, id)"
          " SELECT created_at, id FROM moved ORDER BY created_at DESC, id DESC LIMIT 1",
          {last_at, last_id, batch});
    });
    batches.push_back(ms_since(t0));
    if (r.empty()) break;
    last_at = r.at(0)[0];
    last_id = r.at(0)[1];
  }
  const auto t0 = Clock::now();
  db.transaction([&](Session& s) {
    s.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
    s.execute("INSERT INTO events_new SELECT * FROM events WHERE (created_at, id) > ($1, $2)",
              {last_at, last_id});
    s.execute("ALTER TABLE events RENAME TO events_old");
    s.execute("ALTER TABLE events_new RENAME TO events");
  });
  const double swap = ms_since(t0);
  std::sort(batches.begin(), batches.end());
  fmt::print(
      "online conversion: {} backfill batches of {} rows (ROW EXCLUSIVE on the new table, ACCESS "
      "SHARE on events: nobody waits), held p50 {:.1f} ms, max {:.1f} ms; swap held ACCESS "
      "EXCLUSIVE {:.1f} ms\n",
      batches.size(), batch, batches[batches.size() / 2], batches.back(), swap);
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  // The backlog: a day of events, and at least what the rounds (plus a warm-up) claim.
  const std::int64_t backlog = std::min<std::int64_t>(
      a.events, std::max<std::int64_t>(a.events / a.days, 10LL * a.claims * (a.rounds + 1) * 2));
  auto plain = build(a, "bench_plain", false, backlog);
  auto part = build(a, "bench_part", true, backlog);
  burn(*plain, a.claims / 2);  // warm-up, not counted
  burn(*part, a.claims / 2);
  fmt::print("claim 10 + complete 10, {} claims per side per round, {} rounds, sides alternate\n",
             a.claims, a.rounds);
  std::vector<double> p50_ratio, p99_ratio, rate_ratio;
  for (int r = 0; r < a.rounds; ++r) {
    const bool part_first = r % 2 == 1;
    ClaimFigures fp, fq;
    if (part_first) fq = burn(*part, a.claims);
    fp = burn(*plain, a.claims);
    if (!part_first) fq = burn(*part, a.claims);
    fmt::print(
        "round {}: plain p50 {:.3f} ms p99 {:.3f} ms {:.0f} ev/s | partitioned p50 {:.3f} ms p99 "
        "{:.3f} ms {:.0f} ev/s\n",
        r + 1, fp.p50, fp.p99, fp.rate, fq.p50, fq.p99, fq.rate);
    p50_ratio.push_back(fq.p50 / fp.p50);
    p99_ratio.push_back(fq.p99 / fp.p99);
    rate_ratio.push_back(fq.rate / fp.rate);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  fmt::print(
      "RATIO partitioned/plain (median of rounds): claim p50 {:.2f}x, claim p99 {:.2f}x, "
      "throughput {:.2f}x\n",
      median(p50_ratio), median(p99_ratio), median(rate_ratio));

  const std::string day = oldest_day(*plain);
  const RemoveFigures del = remove_day(*plain, day, false);
  const RemoveFigures drop = remove_day(*part, day, true);
  fmt::print(
      "remove day {}: DELETE {} rows {:.1f} ms {} WAL bytes | DROP {} rows {:.1f} ms {} WAL "
      "bytes\n",
      day, del.rows, del.ms, del.wal, drop.rows, drop.ms, drop.wal);
  fmt::print(
      "RATIO DELETE/DROP: time {:.2f}x, WAL {:.1f}x\n", del.ms / drop.ms,
      static_cast<double>(del.wal) / static_cast<double>(std::max<std::int64_t>(drop.wal, 1)));
  convert_online(*plain, 10000);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "retort_bench_partitioning: {}\n", e.what());
  return 1;
}

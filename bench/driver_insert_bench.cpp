// retort_bench_driver: insert throughput through retort's public API, for the comparisons that
// bench/run_driver_bench.sh makes against pgbench and psql \copy on the same server.
//
//   retort_bench_driver --url URL --mode autocommit|session|pipeline|copy|threads
//                       [--seconds S] [--rows N] [--batch B] [--threads T] [--table NAME]
//                       [--id v7|v4]
//   retort_bench_driver --print-payload I          the JSON payload of row I (pgbench's -D)
//   retort_bench_driver --write-copy-file FILE --rows N
//                                                  the rows copy mode sends, as COPY text (psql)
//
// Table: bench_events(id uuid primary key, data jsonb not null, created_at timestamptz not null
// default now()), created (and truncated between runs) by the runner script. Every row is the
// reference helpdesk-ticket payload of ../shared/anchors/ingest/seed_repo.py (571-572 bytes of
// JSON, json.dumps formatting), its numbers fixed-width so every row has the same size, with a
// client-side UUIDv7 id (--id v4: a random one, distributed over the primary key as pgbench's
// gen_random_uuid() ids are).
//
// Modes (each prints one line: RESULT mode=... rows=... seconds=... rate=...):
//   autocommit  one INSERT per statement on a pooled connection, each commits on its own
//   session     db.transaction: BEGIN, one INSERT, COMMIT
//   pipeline    batches of B INSERTs, one Connection::pipeline call each (one round trip, one
//               commit)
//   copy        N rows through Connection::copy_in (COPY FROM STDIN), timed up to finish()
//   threads     T threads sharing the pool, each one INSERT + commit per statement (autocommit)
// The timed modes run for S seconds; the table then must hold exactly the rows counted (checked).
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "bench_common.hpp"
#include "retort/database.hpp"
#include "retort/error.hpp"

namespace {

using retort::bench::append_copy_field;
using retort::bench::Clock;
using retort::bench::parse_count;
using retort::bench::parse_seconds;
using retort::bench::payload;
using retort::bench::seconds_since;

struct Options {
  std::string url;
  std::string mode = "autocommit";
  std::string table = "bench_events";
  double seconds = 10.0;
  std::int64_t rows = 50000;
  std::int64_t batch = 100;
  int threads = 8;
  std::int64_t print_payload = -1;
  std::string write_copy_file;
  bool random_ids = false;  // --id v4: random ids (like gen_random_uuid()) instead of UUIDv7
};

bool g_random_ids = false;

retort::Uuid new_id() {
  return g_random_ids ? retort::Uuid::v4() : retort::Uuid::v7();
}

[[noreturn]] void usage(std::string_view error) {
  if (!error.empty())
    std::fprintf(stderr, "retort_bench_driver: %.*s\n", static_cast<int>(error.size()),
                 error.data());
  std::fprintf(
      stderr,
      "usage: retort_bench_driver --url URL --mode autocommit|session|pipeline|copy|threads\n"
      "           [--seconds S] [--rows N] [--batch B] [--threads T] [--table NAME] [--id v7|v4]\n"
      "       retort_bench_driver --print-payload I\n"
      "       retort_bench_driver --write-copy-file FILE --rows N\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--url") {
      o.url = value();
    } else if (arg == "--mode") {
      o.mode = value();
    } else if (arg == "--table") {
      o.table = value();
    } else if (arg == "--seconds") {
      o.seconds = parse_seconds(arg, value(), usage);
    } else if (arg == "--rows") {
      o.rows = parse_count(arg, value(), usage);
    } else if (arg == "--batch") {
      o.batch = parse_count(arg, value(), usage);
    } else if (arg == "--threads") {
      o.threads = static_cast<int>(parse_count(arg, value(), usage));
    } else if (arg == "--print-payload") {
      o.print_payload = parse_count(arg, value(), usage);
    } else if (arg == "--id") {
      const std::string_view kind = value();
      if (kind != "v4" && kind != "v7") usage("--id: expected v4 or v7");
      o.random_ids = kind == "v4";
    } else if (arg == "--write-copy-file") {
      o.write_copy_file = value();
    } else if (arg == "-h" || arg == "--help") {
      usage("");
    } else {
      usage(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (o.batch < 1) usage("--batch must be at least 1");
  if (o.threads < 1) usage("--threads must be at least 1");
  return o;
}

int write_copy_file(const Options& o) {
  std::ofstream out(o.write_copy_file, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "retort_bench_driver: cannot write %s\n", o.write_copy_file.c_str());
    return 1;
  }
  std::string line;
  for (std::int64_t i = 0; i < o.rows; ++i) {
    line.clear();
    line += new_id().to_string();
    line += '\t';
    append_copy_field(line, payload(i));
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "retort_bench_driver: error writing %s\n", o.write_copy_file.c_str());
    return 1;
  }
  return 0;
}

struct Outcome {
  std::int64_t rows = 0;
  double seconds = 0;
};

Outcome run_autocommit(retort::Database& db, const std::string& sql, const Options& o) {
  retort::PooledConnection conn = db.connection();
  const auto duration = std::chrono::duration<double>(o.seconds);
  std::int64_t i = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  while (Clock::now() < deadline) {
    std::array<retort::Value, 2> params{retort::Value(new_id()),
                                        retort::Value(retort::JsonText{payload(i)})};
    conn->execute(sql, params);
    ++i;
  }
  return {i, seconds_since(start)};
}

Outcome run_session(retort::Database& db, const std::string& sql, const Options& o) {
  const auto duration = std::chrono::duration<double>(o.seconds);
  std::int64_t i = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  while (Clock::now() < deadline) {
    std::array<retort::Value, 2> params{retort::Value(new_id()),
                                        retort::Value(retort::JsonText{payload(i)})};
    db.transaction([&](retort::Session& s) { s.execute(sql, params); });
    ++i;
  }
  return {i, seconds_since(start)};
}

Outcome run_pipeline(retort::Database& db, const std::string& sql, const Options& o) {
  retort::PooledConnection conn = db.connection();
  std::vector<retort::Statement> batch(static_cast<std::size_t>(o.batch));
  for (auto& st : batch) st.sql = sql;
  const auto duration = std::chrono::duration<double>(o.seconds);
  std::int64_t i = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  while (Clock::now() < deadline) {
    for (auto& st : batch) {
      st.params.clear();
      st.params.emplace_back(new_id());
      st.params.emplace_back(retort::JsonText{payload(i++)});
    }
    conn->pipeline(batch);
  }
  return {i, seconds_since(start)};
}

Outcome run_copy(retort::Database& db, const Options& o) {
  retort::PooledConnection conn = db.connection();
  const std::array<std::string, 2> columns{"id", "data"};
  const auto start = Clock::now();
  auto writer = conn->copy_in(o.table, columns);
  std::array<retort::Value, 2> row;
  for (std::int64_t i = 0; i < o.rows; ++i) {
    row[0] = retort::Value(new_id());
    row[1] = retort::Value(retort::JsonText{payload(i)});
    writer->write_row(row);
  }
  const std::int64_t stored = writer->finish();
  const double seconds = seconds_since(start);
  if (stored != o.rows) {
    throw std::runtime_error(fmt::format("copy stored {} rows, expected {}", stored, o.rows));
  }
  return {stored, seconds};
}

Outcome run_threads(retort::Database& db, const std::string& sql, const Options& o) {
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::string first_error;
  std::mutex error_mutex;
  const auto duration = std::chrono::duration<double>(o.seconds);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(o.threads));
  for (int t = 0; t < o.threads; ++t) {
    workers.emplace_back([&] {
      try {
        retort::PooledConnection conn = db.connection();
        while (!failed.load(std::memory_order_relaxed) && Clock::now() < deadline) {
          const std::int64_t i = next.fetch_add(1, std::memory_order_relaxed);
          std::array<retort::Value, 2> params{retort::Value(new_id()),
                                              retort::Value(retort::JsonText{payload(i)})};
          conn->execute(sql, params);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) first_error = e.what();
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = seconds_since(start);
  if (failed) throw std::runtime_error(first_error);
  // A worker checks the deadline before it takes a number, and inserts every number it takes.
  return {next.load(), seconds};
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  g_random_ids = o.random_ids;
  if (o.print_payload >= 0) {
    std::fputs(payload(o.print_payload).c_str(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  if (!o.write_copy_file.empty()) return write_copy_file(o);
  if (o.url.empty()) usage("--url is required");

  try {
    retort::DatabaseOptions options;
    options.pool.max_size = static_cast<std::size_t>(std::max(8, o.threads));
    retort::Database db = retort::Database::open(o.url, options);
    // "name" or "schema.name", each part quoted.
    std::string table;
    for (std::string_view rest = o.table;;) {
      const auto dot = rest.find('.');
      table += retort::Connection::quote_identifier(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      table += '.';
      rest.remove_prefix(dot + 1);
    }
    const std::string sql = fmt::format("INSERT INTO {}(id, data) VALUES ($1, $2)", table);

    Outcome outcome;
    if (o.mode == "autocommit") {
      outcome = run_autocommit(db, sql, o);
    } else if (o.mode == "session") {
      outcome = run_session(db, sql, o);
    } else if (o.mode == "pipeline") {
      outcome = run_pipeline(db, sql, o);
    } else if (o.mode == "copy") {
      outcome = run_copy(db, o);
    } else if (o.mode == "threads") {
      outcome = run_threads(db, sql, o);
    } else {
      usage(fmt::format("unknown mode '{}'", o.mode));
    }

    // The runner truncates the table before each run: it must now hold exactly what we counted.
    retort::PooledConnection conn = db.connection();
    const std::int64_t in_table =
        conn->execute(fmt::format("SELECT count(*) FROM {}", table)).cell(0, 0).as_int64();
    if (in_table != outcome.rows) {
      std::fprintf(stderr, "retort_bench_driver: %s: counted %lld rows, the table holds %lld\n",
                   o.mode.c_str(), static_cast<long long>(outcome.rows),
                   static_cast<long long>(in_table));
      return 1;
    }
    const double rate =
        outcome.seconds > 0 ? static_cast<double>(outcome.rows) / outcome.seconds : 0;
    fmt::print("RESULT mode={} rows={} seconds={:.3f} rate={:.1f} batch={} threads={}\n", o.mode,
               outcome.rows, outcome.seconds, rate, o.mode == "pipeline" ? o.batch : 1,
               o.mode == "threads" ? o.threads : 1);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retort_bench_driver: %s: %s\n", o.mode.c_str(), e.what());
    return 1;
  }
}

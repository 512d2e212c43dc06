// retort_bench_events: the event store through its public API (EventRepository, ingest), for the
// comparisons bench/run_events_bench.sh makes against pgbench, psql \copy, the seed's SQLAlchemy
// stack and the raw SQLite floor, on the same server in the same run.
//
//   retort_bench_events --url URL --setup             upgrade to head (the built-in migrations)
//   retort_bench_events --url sqlite:///F --floor-table   instead of --setup: the table exactly as
//                                                     sqlite_floor.c creates it (no CHECKs, no
//                                                     created_at index), to run retort on it
//   retort_bench_events --url URL --mode create|create_tx [--seconds S]
//   retort_bench_events --url URL --mode threads [--seconds S] [--threads T]
//   retort_bench_events --url URL --mode create_many [--rows N] [--documents reference|floor]
//   retort_bench_events --url URL --mode ingest --file F [--batch B]
//   retort_bench_events --write-copy-file FILE --rows N   the rows create_many stores, as COPY text
//   retort_bench_events --write-jsonl FILE --rows N       N events as JSON Lines (ingest's input)
//
// Modes (each prints one line: RESULT mode=... rows=... seconds=... rate=... peak_rss_kib=...):
//   create       the seed's GenericRepository.create: per event, an autocommit session,
//                record(), commit() (the INSERT commits on its own: one round trip); one
//                connection. The documents (4096 distinct ones, used in turn) are built before
//                the clock starts, as pgbench's payload is.
//   create_tx    the same in a transaction (db.transaction: BEGIN with the INSERT, then COMMIT)
//   threads      T threads sharing the pool, each doing what create does
//   create_many  record_many() of N events in one session (COPY on PostgreSQL, one prepared
//                INSERT on SQLite), timed from the call to the commit; the documents are built
//                before the clock starts (psql's file exists before its clock starts too):
//                the reference payload, or with --documents floor the compact documents
//                sqlite_floor.c formats for itself (so both sides store the same bytes)
//   ingest       events::ingest of a JSON Lines file (batches of B, default 5000), with the peak
//                resident set size of the whole process (getrusage ru_maxrss)
// Every event is the reference payload of ../shared/anchors/ingest/seed_repo.py (bench_common.hpp).
// After a timed mode the events table must hold exactly the rows counted (checked), so the
// runner truncates it (or removes the SQLite file) before every run.
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.hpp"
#include "retort/database.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"

namespace {

using retort::bench::Clock;
using retort::bench::seconds_since;
namespace events = retort::events;

struct Options {
  std::string url;
  std::string mode;
  bool setup = false;
  bool floor_table = false;  // --floor-table: sqlite_floor.c's own events table
  double seconds = 2.0;
  std::int64_t rows = 50000;
  std::int64_t batch = 5000;
  int threads = 8;
  std::string file;
  std::string write_copy_file;
  std::string write_jsonl;
  bool floor_documents = false;  // --documents floor: sqlite_floor.c's own documents
};

[[noreturn]] void usage(std::string_view error) {
  if (!error.empty()) {
    std::fprintf(stderr, "retort_bench_events: %.*s\n", static_cast<int>(error.size()),
                 error.data());
  }
  std::fprintf(
      stderr,
      "usage: retort_bench_events --url URL --setup\n"
      "       retort_bench_events --url URL --mode create|create_tx|threads|create_many|ingest\n"
      "           [--seconds S] [--rows N] [--threads T] [--file F] [--batch B]\n"
      "       retort_bench_events --write-copy-file FILE --rows N\n"
      "       retort_bench_events --write-jsonl FILE --rows N\n");
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  using retort::bench::parse_count;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--url") {
      o.url = value();
    } else if (arg == "--mode") {
      o.mode = value();
    } else if (arg == "--setup") {
      o.setup = true;
    } else if (arg == "--floor-table") {
      o.floor_table = true;
    } else if (arg == "--seconds") {
      o.seconds = retort::bench::parse_seconds(arg, value(), usage);
    } else if (arg == "--rows") {
      o.rows = parse_count(arg, value(), usage);
    } else if (arg == "--batch") {
      o.batch = parse_count(arg, value(), usage);
    } else if (arg == "--threads") {
      o.threads = static_cast<int>(parse_count(arg, value(), usage));
    } else if (arg == "--file") {
      o.file = value();
    } else if (arg == "--write-copy-file") {
      o.write_copy_file = value();
    } else if (arg == "--write-jsonl") {
      o.write_jsonl = value();
    } else if (arg == "--documents") {
      const std::string_view which = value();
      if (which != "reference" && which != "floor") {
        usage(fmt::format("--documents: expected reference or floor, got '{}'", which));
      }
      o.floor_documents = which == "floor";
    } else if (arg == "-h" || arg == "--help") {
      usage("");
    } else {
      usage(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (o.threads < 1) usage("--threads must be at least 1");
  if (o.batch < 1) usage("--batch must be at least 1");
  return o;
}

// Writes N lines made by line(i) to path.
template <class Line>
int write_lines(const std::string& path, std::int64_t rows, Line&& line) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string text;
  for (std::int64_t i = 0; i < rows && out; ++i) {
    text.clear();
    line(i, text);
    text += '\n';
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "retort_bench_events: cannot write %s\n", path.c_str());
    return 1;
  }
  return 0;
}

// COPY text for events(id, data, created_at, updated_at): what create_many sends.
int write_copy_file(const Options& o) {
  const std::string now = retort::Timestamp::now().to_string();
  return write_lines(o.write_copy_file, o.rows, [&](std::int64_t i, std::string& line) {
    line += retort::Uuid::v7().to_string();
    line += '\t';
    retort::bench::append_copy_field(line, retort::bench::payload(i));
    line += '\t' + now + '\t' + now;
  });
}

int write_jsonl(const Options& o) {
  return write_lines(o.write_jsonl, o.rows,
                     [](std::int64_t i, std::string& line) { line += retort::bench::payload(i); });
}

struct Outcome {
  std::int64_t rows = 0;
  double seconds = 0;
};

// One event the way the seed's GenericRepository.create stores it: the INSERT committed on its
// own. An autocommit session sends it in one round trip, as pgbench sends its INSERT;
// transactional = true wraps it in BEGIN ... COMMIT (db.transaction) instead.
bool g_transactional = false;

// The documents the timed per-event modes store, built before the clock starts (as pgbench's
// script and its payload exist before its clock starts): 4096 distinct events, reused in turn.
std::vector<std::string> g_payloads;

void build_payloads() {
  g_payloads.resize(4096);
  for (std::size_t i = 0; i < g_payloads.size(); ++i) {
    g_payloads[i] = retort::bench::payload(static_cast<std::int64_t>(i));
  }
}

void create_one(retort::Database& db, std::int64_t i) {
  const std::string& json = g_payloads[static_cast<std::size_t>(i) % g_payloads.size()];
  if (g_transactional) {
    db.transaction([&](retort::Session& s) { events::EventRepository(s).record(json); });
    return;
  }
  retort::Session s = db.session({.autocommit = true});
  events::EventRepository(s).record(json);
  s.commit();
}

Outcome run_create(retort::Database& db, const Options& o) {
  std::int64_t i = 0;
  const auto start = Clock::now();
  const auto deadline = retort::bench::deadline_after(start, o.seconds);
  while (Clock::now() < deadline) create_one(db, i++);
  return {i, seconds_since(start)};
}

Outcome run_threads(retort::Database& db, const Options& o) {
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::string first_error;
  std::mutex error_mutex;
  const auto start = Clock::now();
  const auto deadline = retort::bench::deadline_after(start, o.seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < o.threads; ++t) {
    workers.emplace_back([&] {
      try {
        while (!failed.load(std::memory_order_relaxed) && Clock::now() < deadline) {
          create_one(db, next.fetch_add(1, std::memory_order_relaxed));
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) first_error = e.what();
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = seconds_since(start);
  if (failed) throw std::runtime_error(first_error);
  // A worker checks the deadline before it takes a number, and stores every number it takes.
  return {next.load(), seconds};
}

Outcome run_create_many(retort::Database& db, const Options& o) {
  std::vector<std::string> documents;
  documents.reserve(static_cast<std::size_t>(o.rows));
  for (std::int64_t i = 0; i < o.rows; ++i) {
    documents.push_back(o.floor_documents ? retort::bench::floor_payload(i)
                                          : retort::bench::payload(i));
  }
  const auto start = Clock::now();
  const std::size_t stored = db.transaction([&](retort::Session& s) {
    return events::EventRepository(s).record_many(std::move(documents)).size();
  });
  return {static_cast<std::int64_t>(stored), seconds_since(start)};
}

Outcome run_ingest(retort::Database& db, const Options& o) {
  if (o.file.empty()) usage("--mode ingest needs --file");
  std::ifstream in(o.file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + o.file);
  events::IngestOptions options;
  options.batch_size = static_cast<std::size_t>(o.batch);
  const auto start = Clock::now();
  const events::IngestReport report = events::ingest(db, in, options);
  if (report.rejected != 0) {
    throw std::runtime_error(fmt::format("ingest rejected {} lines", report.rejected));
  }
  return {static_cast<std::int64_t>(report.accepted), seconds_since(start)};
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

Outcome run_mode(retort::Database& db, const Options& o) {
  g_transactional = o.mode == "create_tx";
  build_payloads();
  if (o.mode == "create" || o.mode == "create_tx") return run_create(db, o);
  if (o.mode == "threads") return run_threads(db, o);
  if (o.mode == "create_many") return run_create_many(db, o);
  if (o.mode == "ingest") return run_ingest(db, o);
  usage(fmt::format("unknown mode '{}'", o.mode));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  if (!o.write_copy_file.empty()) return write_copy_file(o);
  if (!o.write_jsonl.empty()) return write_jsonl(o);
  if (o.url.empty()) usage("--url is required");
  if (!o.setup && !o.floor_table && o.mode.empty()) usage("--setup or --mode is required");
  try {
    retort::DatabaseOptions options;
    options.pool.max_size = static_cast<std::size_t>(o.mode == "threads" ? o.threads : 1);
    retort::Database db = retort::Database::open(o.url, options);
    if (o.floor_table) {
      // sqlite_floor.c's statement, byte for byte: the same table for both sides.
      db.connection()->execute_script(
          "DROP TABLE IF EXISTS events; CREATE TABLE events(id TEXT PRIMARY KEY, data TEXT, "
          "task_context TEXT, created_at TEXT, updated_at TEXT);");
      if (o.mode.empty()) return 0;
    } else if (o.setup) {
      // The schema as an application gets it: retort's built-in migrations, to head.
      retort::migrate::MigrateOptions migrate_options;
      migrate_options.settings = retort::migrate::builtin_settings();
      migrate_options.on_log = [](std::string_view) {};
      retort::migrate::upgrade(db, "head", migrate_options);
      if (o.mode.empty()) return 0;
    }
    const Outcome outcome = run_mode(db, o);
    // The runner empties the table before each run: it must now hold exactly what was counted.
    const std::int64_t in_table =
        db.connection()->execute("SELECT count(*) FROM events").cell(0, 0).as_int64();
    if (in_table != outcome.rows) {
      std::fprintf(stderr, "retort_bench_events: %s: counted %lld events, the table holds %lld\n",
                   o.mode.c_str(), static_cast<long long>(outcome.rows),
                   static_cast<long long>(in_table));
      return 1;
    }
    const double rate =
        outcome.seconds > 0 ? static_cast<double>(outcome.rows) / outcome.seconds : 0;
    fmt::print("RESULT mode={} rows={} seconds={:.3f} rate={:.1f} threads={} peak_rss_kib={}\n",
               o.mode, outcome.rows, outcome.seconds, rate, o.mode == "threads" ? o.threads : 1,
               peak_rss_kib());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retort_bench_events: %s: %s\n", o.mode.c_str(), e.what());
    return 1;
  }
}

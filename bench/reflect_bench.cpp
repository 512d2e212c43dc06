// retort_bench_reflect: what reflect() costs as the schema grows.
//
//   retort_bench_reflect --url URL [--tables N[,N...]] [--repeat R]
//
// For each N (default 5,50,200) it creates N tables in a throwaway schema (PostgreSQL) or a
// fresh set of tables (SQLite URL), each with a key, a foreign key, a check, an index, a comment
// and an enum column, reflects R times (default 5) and prints one line per N:
//   RESULT tables=200 queries=7 round_trips=1 median_ms=41.2
// queries and round_trips come from ReflectStats; they must not change with N.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

#include "retort/connection.hpp"
#include "retort/inspect.hpp"

namespace {

struct Options {
  std::string url;
  std::vector<int> tables{5, 50, 200};
  int repeat = 5;
};

std::vector<int> parse_counts(const std::string& text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(std::stoi(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--url") {
      options.url = value;
    } else if (arg == "--tables") {
      options.tables = parse_counts(value);
    } else if (arg == "--repeat") {
      options.repeat = std::stoi(value);
    } else {
      throw std::runtime_error("unknown argument " + arg +
                               " (see the comment atop reflect_bench.cpp)");
    }
    ++i;
  }
  if (options.url.empty()) throw std::runtime_error("--url is required");
  return options;
}

// Tables t<from>..t<to - 1>, each referring to t0.
std::string create_tables(int from, int to, retort::Dialect dialect) {
  bool pg = dialect == retort::Dialect::postgresql;
  std::string script;
  for (int n = from; n < to; ++n) {
    std::string t = fmt::format("t{}", n);
    std::string state =
        pg ? "bench_state" : "TEXT CONSTRAINT bench_state CHECK (state IN ('a', 'b'))";
    script += fmt::format(
        "CREATE TABLE {0} (id bigint PRIMARY KEY, parent bigint REFERENCES t0 (id), "
        "label text NOT NULL DEFAULT 'x', state {1}, CONSTRAINT {0}_label CHECK (label <> ''));"
        "CREATE INDEX ix_{0}_label ON {0} (lower(label));",
        t, state);
    if (pg) script += fmt::format("COMMENT ON TABLE {} IS 'bench';", t);
  }
  return script;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void run(const Options& options) {
  std::unique_ptr<retort::Connection> connection =
      retort::connect(retort::parse_database_url(options.url));
  retort::Dialect dialect = connection->dialect();
  std::string schema = fmt::format("retort_bench_reflect_{}", getpid());
  retort::schema::ReflectOptions reflect_options;
  if (dialect == retort::Dialect::postgresql) {
    connection->execute_script(fmt::format(
        "CREATE SCHEMA {0}; SET search_path = {0}; CREATE TYPE bench_state AS ENUM ('a', 'b');"
        "CREATE TABLE t0 (id bigint PRIMARY KEY)",
        schema));
  } else {
    connection->execute_script("CREATE TABLE t0 (id bigint PRIMARY KEY)");
  }
  int created = 1;
  try {
    for (int count : options.tables) {
      if (count > created) connection->execute_script(create_tables(created, count, dialect));
      created = std::max(created, count);
      std::vector<double> millis;
      retort::schema::ReflectStats stats;
      for (int round = 0; round < options.repeat; ++round) {
        auto start = std::chrono::steady_clock::now();
        retort::schema::reflect(*connection, reflect_options, &stats);
        millis.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
      }
      fmt::print("RESULT tables={} queries={} round_trips={} median_ms={:.1f}\n", created,
                 stats.catalog_queries, stats.round_trips, median(millis));
    }
  } catch (...) {
    if (dialect == retort::Dialect::postgresql) {
      connection->execute_script(fmt::format("DROP SCHEMA {} CASCADE", schema));
    }
    throw;
  }
  if (dialect == retort::Dialect::postgresql) {
    connection->execute_script(fmt::format("DROP SCHEMA {} CASCADE", schema));
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(parse(argc, argv));
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "retort_bench_reflect: error: {}\n", e.what());
    return 1;
  }
}

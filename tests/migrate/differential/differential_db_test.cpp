// Differential test against Alembic 1.8.1 on real databases, SQLite and PostgreSQL: random
// revision graphs from the generator of differential_test.cpp are written as a real Alembic
// project (env.py with a SQLAlchemy engine, revisions that op.execute an INSERT into
// applied_log) and as retort revision files inserting the same rows. A random sequence of
// upgrade / downgrade / stamp [--purge] commands with every identifier form then runs against
// an empty database of each: Alembic through alembic.command (differential/alembic_db_oracle.py,
// one process per backend for all graphs), retort through its embedding API, in-process and
// at the same time. After every command the two databases must agree on
//   * the outcome: both succeed, or both fail with the same error (compared as the in-memory
//     test compares them: kinds, and messages except for Python-set order);
//   * the applied_log rows the command added, in order (which revisions ran, which way);
//   * the version table's rows, as a set;
// and a command retort refuses must leave its database exactly as it was.
//
// Where the two may legitimately differ, and what the test does then:
//   * Alembic is made deterministic as in the in-memory test (file-name load order, ordered
//     sets, the #1373 fix): alembic_db_oracle.py imports alembic_oracle.py's patches.
//   * Where Alembic 1.8.1 fails half-way through its bookkeeping (a KeyError or AssertionError
//     in HeadMaintainer.update_to_step: the "crash" cases of the in-memory test), retort
//     refuses before running anything. On PostgreSQL Alembic's whole run is one transaction
//     and rolls back; on SQLite (no transactional DDL in Alembic's view) each migration commits
//     on its own, so the steps before the failure stay.
//   * `stamp --purge` with a target Alembic cannot resolve: on SQLite Alembic commits the
//     DELETE of every version row before it resolves the target, then fails; retort refuses
//     first and changes nothing. On PostgreSQL both leave the table as it was.
//   Whenever Alembic fails and its database has changed, the oracle ends the sequence there
//   (counted as "half-applied"): retort must have failed with the same kind of error and
//   left its database unchanged.
//   * Graphs either side refuses to load are compared as loads (as in the in-memory test), with
//     one command: retort loads the whole graph before every command and refuses each, while
//     Alembic loads it lazily, so a command that does not need it whole ("downgrade -1" from
//     an empty table) fails with another error or succeeds ("alembic-lazy-load", counted).
//     A down-revision cycle whose members are reachable from a head and from a base is not
//     detected by Alembic 1.8.1 (_detect_cycles) at all; retort refuses the graph (counted).
//   * On such a graph Alembic's _topological_sort can loop forever: the oracle abandons a
//     command after RETORT_ORACLE_COMMAND_TIMEOUT seconds (default 20) as "hang", which ends
//     the sequence and is printed with what retort did.
//   * Alembic reads the version table without ORDER BY, and "-1" from several heads starts
//     from the first row read. SQLite returns the rows of both tables in rowid order, which
//     the same changes make the same; PostgreSQL's heap order also depends on when the server
//     prunes dead row versions, which other sessions' snapshots decide. A command whose target
//     is relative and whose outcome differs while the two tables returned their rows in
//     different orders ends its sequence as a "row-order cut" (counted), not a failure.
//
// Knobs: RETORT_DIFFERENTIAL_DB_GRAPHS (default 25), RETORT_DIFFERENTIAL_DB_COMMANDS (commands
// per graph, default 24), RETORT_DIFFERENTIAL_SEED (first graph seed, default 1),
// RETORT_DIFFERENTIAL_KEEP=1 keeps the generated projects.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>

#include "migrate/differential/differential_db_support.hpp"
#include "support/test_db.hpp"

namespace retort::migrate::differential {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::size_t env_number(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

// Both sides commit once per revision on SQLite; on a RAM disk those commits cost no fsync, so
// the test measures the engines, not a disk shared with other jobs.
fs::path scratch_directory() {
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path();
}

// The two empty databases of one graph, Alembic's and retort's, of the same dialect.
class DatabasePair {
 public:
  DatabasePair(Dialect dialect, const fs::path& project) {
    if (dialect == Dialect::postgresql) {
      alembic_schema_ = std::make_unique<retort::testing::PgSchema>();
      retort_schema_ = std::make_unique<retort::testing::PgSchema>();
      retort_url_ = retort_schema_->url();
      return;
    }
    alembic_file_ = project / "alembic.db";
    retort_url_ = DatabaseUrl::sqlite((project / "retort.db").string());
  }

  // Where the oracle's env.py connects: a SQLAlchemy URL, and the schema on PostgreSQL.
  json oracle_target() const {
    if (alembic_schema_) {
      return {{"url", retort::testing::pg_server_url()}, {"schema", alembic_schema_->name()}};
    }
    return {{"url", "sqlite:///" + alembic_file_.string()}, {"schema", nullptr}};
  }
  const DatabaseUrl& retort_url() const { return retort_url_; }

 private:
  std::unique_ptr<retort::testing::PgSchema> alembic_schema_, retort_schema_;
  fs::path alembic_file_;
  DatabaseUrl retort_url_;
};

struct GraphRun {
  GenGraph graph;
  fs::path project;
  json load_error;  // why retort refuses the graph, or null
  std::vector<DbCommand> commands;
  std::unique_ptr<DatabasePair> databases;
};

struct Tally {
  std::size_t graphs = 0, refused_at_load = 0, missed_cycles = 0, generated = 0, steps_logged = 0,
              mismatches = 0;
  std::size_t row_order_cuts = 0;  // sequences ended by a legitimate row-order difference
  std::map<std::string, std::size_t> commands;      // compared, by command ("stamp --purge", ...)
  std::map<std::string, std::size_t> outcomes;      // "ok" or the error kind
  std::map<std::string, std::size_t> half_applied;  // Alembic's, by error kind
  std::vector<std::string> hangs;  // commands Alembic never finished, with retort's outcome
  std::vector<std::string> reports;
};

// --- running both sides ------------------------------------------------------------------------

// Starts the oracle on every graph's Alembic project; once the thread is joined, `status` is its
// exit status, `seconds` its running time and root/answer.json its answer.
std::jthread start_oracle(const std::vector<GraphRun>& runs, const fs::path& root, int& status,
                          double& seconds) {
  json request = {{"projects", json::array()}};
  for (const GraphRun& run : runs) {
    json project = run.databases->oracle_target();
    project["project"] = run.project.string();
    project["commands"] = json::array();
    for (const DbCommand& c : run.commands) {
      project["commands"].push_back(c.to_json());
    }
    request["projects"].push_back(std::move(project));
  }
  std::ofstream(root / "request.json") << request.dump();
  const std::string command = fmt::format(
      "/usr/bin/python3 {}/tests/migrate/differential/alembic_db_oracle.py {} > {}",
      RETORT_SOURCE_DIR, (root / "request.json").string(), (root / "answer.json").string());
  return std::jthread([command, &status, &seconds] {
    const auto t0 = Clock::now();
    status = std::system(command.c_str());
    seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  });
}

std::vector<json> run_retort(const std::vector<GraphRun>& runs) {
  std::vector<json> answers;
  for (const GraphRun& run : runs) {
    Database db(run.databases->retort_url());
    answers.push_back(run_retort_sequence(db, run.project, run.commands));
  }
  return answers;
}

// --- comparison --------------------------------------------------------------------------------

bool same_outcome(const json& alembic, const json& retort) {
  if (alembic.contains("error") != retort.contains("error")) {
    return false;
  }
  return !alembic.contains("error") || same_error(alembic["error"], retort["error"]);
}

bool left_unchanged(const json& result) {
  return result["ran"].empty() && result["log_intact"].get<bool>() &&
         result["rows"] == result["rows_before"];
}

// Relative targets ("-1", "label@+1", "ae10-1") are the ones the order of the rows can decide.
bool is_relative(const DbCommand& c) {
  return std::any_of(c.targets.begin(), c.targets.end(), [](const std::string& t) {
    return t.find_first_of("+-") != std::string::npos;
  });
}

std::string outcome(const json& result) {
  return result.contains("error") ? result["error"]["kind"].get<std::string>() : "ok";
}

bool is_cycle(const json& result) {
  if (!result.contains("error")) return false;
  const std::string kind = result["error"]["kind"];
  return kind == "cycle" || kind == "dependency_cycle";
}

class SequenceComparison {
 public:
  SequenceComparison(const GraphRun& run, Tally& tally) : run_(run), t_(tally) {}

  void compare(const json& alembic, const json& retort) {
    if (!run_.load_error.is_null() || !alembic["load"].is_null()) {
      compare_refused_graph(alembic, retort);
      return;
    }
    const json& results = alembic["results"];
    for (std::size_t i = 0; i < results.size(); ++i) {
      const bool half_applied = !alembic["stopped"].is_null() && i + 1 == results.size();
      if (!compare_command(i, results[i], retort["results"][i], half_applied)) return;
    }
  }

 private:
  // A graph one side refuses. retort loads the whole graph before any command, so it refuses
  // every command with that error; Alembic loads it lazily, so a command that never needs
  // the graph whole ("downgrade -1" from an empty table) fails or succeeds on its own terms.
  // The loads must agree (as in the in-memory test), and retort's command must fail with its
  // load error.
  void compare_refused_graph(const json& alembic, const json& retort) {
    const json& a_load = alembic["load"];
    const json& r_load = run_.load_error;
    if (r_load.is_null()) return report(0, "Alembic refuses a graph retort loads", a_load, r_load);
    ++t_.refused_at_load;
    if (a_load.is_null()) {
      if (!is_cycle({{"error", r_load}})) {
        return report(0, "retort refuses a graph Alembic loads", a_load, r_load);
      }
      ++t_.missed_cycles;  // a cycle Alembic 1.8.1 does not detect: nothing it does is a model
      return;
    }
    if (!same_error(a_load, r_load)) return report(0, "the loaders disagree", a_load, r_load);
    for (std::size_t i = 0; i < alembic["results"].size(); ++i) {
      const json& a = alembic["results"][i];
      const json& r = retort["results"][i];
      if (!r.contains("error") || !same_error(a_load, r["error"]) || !left_unchanged(r)) {
        report(i, "retort did not refuse the graph", a, r);
      }
      ++t_.commands[run_.commands[i].kind()];
      ++t_.outcomes[a.contains("error") && same_error(a_load, a["error"]) ? outcome(a)
                                                                          : "alembic-lazy-load"];
    }
  }

  // Whether the sequence goes on: not once the two databases may differ.
  bool compare_command(std::size_t i, const json& a, const json& r, bool alembic_half_applied) {
    if (r.contains("error") && !left_unchanged(r)) {
      report(i, "retort changed its database although the command failed", a, r);
    }
    if (outcome(a) == "hang") {
      note_hang(i, r);  // no answer to compare with
      return false;
    }
    ++t_.commands[run_.commands[i].kind()];
    ++t_.outcomes[outcome(a)];
    if (alembic_half_applied) {
      ++t_.half_applied[outcome(a)];
      if (!same_outcome(a, r)) report(i, "Alembic failed half-way; retort did not refuse", a, r);
      return false;
    }
    if (!same_outcome(a, r) || a["ran"] != r["ran"] || a["rows"] != r["rows"]) {
      if (a["read"] != r["read"] && is_relative(run_.commands[i])) {
        ++t_.row_order_cuts;
      } else {
        report(i, "the databases differ", a, r);
      }
      return false;
    }
    t_.steps_logged += a["ran"].size();
    return true;
  }

  void note_hang(std::size_t i, const json& r) {
    const std::string outcome =
        r.contains("error") ? "refused (" + r["error"]["kind"].get<std::string>() + ")"
                            : fmt::format("ran {}, rows {}", r["ran"].dump(), r["rows"].dump());
    t_.hangs.push_back(fmt::format("seed {} command {} `{}` from {}: retort {}", run_.graph.seed, i,
                                   run_.commands[i].text(), r["read"].dump(), outcome));
  }

  void report(std::size_t i, const std::string& what, const json& a, const json& r) {
    ++t_.mismatches;
    if (t_.reports.size() >= 8) return;
    std::string before;
    for (std::size_t k = 0; k < i; ++k) before += "\n    " + run_.commands[k].text();
    t_.reports.push_back(
        fmt::format("seed {} ({}), command {}: {}: `{}`\n  after:{}\n  alembic: {}\n  retort:  {}",
                    run_.graph.seed, run_.project.string(), i, what, run_.commands[i].text(),
                    before.empty() ? " nothing" : before, a.dump(), r.dump()));
  }

  const GraphRun& run_;
  Tally& t_;
};

std::string counts(const std::map<std::string, std::size_t>& by_kind) {
  std::string text;
  for (const auto& [kind, n] : by_kind)
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", kind, n);
  return text.empty() ? "none" : text;
}

std::size_t total(const std::map<std::string, std::size_t>& by_kind) {
  std::size_t n = 0;
  for (const auto& [kind, k] : by_kind) n += k;
  return n;
}

std::string summary(Dialect dialect, const Tally& t, double alembic_s, double retort_s) {
  return fmt::format(
      "{}: {} graphs ({} refused at load by retort, {} of them with a cycle Alembic misses), "
      "{} of {} commands compared ({}), {} revision steps logged; outcomes: {}; "
      "Alembic left {} failed commands half-applied ({}), its sequence ends there; "
      "{} Alembic hangs; {} row-order cuts; alembic {:.1f} s, retort {:.1f} s, side by side",
      dialect_name(dialect), t.graphs, t.refused_at_load, t.missed_cycles, total(t.commands),
      t.generated, counts(t.commands), t.steps_logged, counts(t.outcomes), total(t.half_applied),
      counts(t.half_applied), t.hangs.size(), t.row_order_cuts, alembic_s, retort_s);
}

class DifferentialOnDatabases : public ::testing::TestWithParam<Dialect> {};

TEST_P(DifferentialOnDatabases, AlembicAndRetortLeaveTheSameDatabases) {
  const Dialect dialect = GetParam();
  const std::size_t graphs = env_number("RETORT_DIFFERENTIAL_DB_GRAPHS", 25);
  const std::size_t per_graph = env_number("RETORT_DIFFERENTIAL_DB_COMMANDS", 24);
  const std::uint64_t seed0 = env_number("RETORT_DIFFERENTIAL_SEED", 1);
  const fs::path root = scratch_directory() / fmt::format("retort_differential_db_{}_{}",
                                                          dialect_name(dialect), ::getpid());
  fs::remove_all(root);

  std::vector<GraphRun> runs;
  for (std::size_t i = 0; i < graphs; ++i) {
    GraphRun run{Generator(seed0 + i).make(), root / std::to_string(i), nullptr, {}, nullptr};
    run.databases = std::make_unique<DatabasePair>(dialect, run.project);  // fails first
    write_logging_projects(run.graph, run.project);
    run.load_error = load_error(run.project);
    // Both sides load the graph before each command: one command tells whether they refuse it
    // alike (and a graph with a cycle Alembic misses can make Alembic loop forever).
    run.commands =
        CommandGenerator(run.graph, run.graph.seed).make(run.load_error.is_null() ? per_graph : 1);
    runs.push_back(std::move(run));
  }

  // Alembic in its process and retort in this one run at the same time (one core each).
  int status = -1;
  double alembic_s = 0;
  std::jthread oracle = start_oracle(runs, root, status, alembic_s);
  const auto t0 = Clock::now();
  const std::vector<json> retort = run_retort(runs);
  const double retort_s = std::chrono::duration<double>(Clock::now() - t0).count();
  oracle.join();
  ASSERT_EQ(status, 0) << "the oracle failed (is Alembic installed for /usr/bin/python3?)";
  const json answer = json::parse(std::ifstream(root / "answer.json"));

  Tally t;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ++t.graphs;
    t.generated += runs[i].commands.size();
    SequenceComparison(runs[i], t).compare(answer["projects"][i], retort[i]);
  }
  const std::string line = summary(dialect, t, alembic_s, retort_s);
  std::cout << line << "\n";
  for (const std::string& h : t.hangs) std::cout << "  Alembic hung: " << h << "\n";
  for (const std::string& r : t.reports) ADD_FAILURE() << r;
  EXPECT_EQ(t.mismatches, 0u) << line;
  EXPECT_EQ(t.graphs, graphs);
  if (t.mismatches == 0 && !std::getenv("RETORT_DIFFERENTIAL_KEEP")) fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Backends, DifferentialOnDatabases,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::migrate::differential

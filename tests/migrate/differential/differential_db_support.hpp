// The database half of the differential test: a generated graph written as a real Alembic
// project (env.py with a SQLAlchemy engine) and as retort revision files whose sections log
// what ran, random sequences of upgrade / downgrade / stamp commands, and retort's side of a
// sequence, observed the way alembic_db_oracle.py observes Alembic's.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "migrate/differential/differential_compare.hpp"
#include "migrate/differential/differential_support.hpp"
#include "retort/database.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate::differential {

// Every revision logs itself: which revision ran, in which direction, in which order.
inline std::string log_insert(const std::string& rev, const char* direction) {
  return fmt::format("INSERT INTO applied_log(rev, direction) VALUES ('{}', '{}')", rev, direction);
}

inline std::string applied_log_ddl(Dialect dialect) {
  return dialect == Dialect::postgresql
             ? "CREATE TABLE applied_log (id BIGSERIAL PRIMARY KEY, rev TEXT NOT NULL, "
               "direction TEXT NOT NULL)"
             : "CREATE TABLE applied_log (id INTEGER PRIMARY KEY AUTOINCREMENT, rev TEXT NOT NULL, "
               "direction TEXT NOT NULL)";
}

// Alembic's generic env.py, online mode: the URL from sqlalchemy.url, and on PostgreSQL the
// schema (which then holds alembic_version too) as the connection's search_path.
inline constexpr const char* kEnvPy = R"(from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
schema = config.get_main_option("retort_test.schema")
engine = engine_from_config(
    config.get_section(config.config_ini_section),
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
    connect_args={"options": "-csearch_path=" + schema} if schema else {},
)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
)";

// <dir>/alembic.ini, env.py, versions/*.py and <dir>/retort/*.sql, each revision logging itself.
inline void write_logging_projects(const GenGraph& g, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir / "versions");
  fs::create_directories(dir / "retort");
  std::ofstream(dir / "alembic.ini") << "[alembic]\nscript_location = %(here)s\n";
  std::ofstream(dir / "env.py") << kEnvPy;
  for (std::size_t i = 0; i < g.revs.size(); ++i) {
    const GenRevision& r = g.revs[i];
    std::ofstream(dir / "versions" / (file_stem(r, i) + ".py"))
        << "from alembic import op\n\n"
        << alembic_header(r)
        << fmt::format(
               "\n\ndef upgrade():\n    op.execute(\"{}\")\n\n\ndef downgrade():\n    "
               "op.execute(\"{}\")\n",
               log_insert(r.id, "upgrade"), log_insert(r.id, "downgrade"));
    std::ofstream(dir / "retort" / (file_stem(r, i) + ".sql"))
        << retort_header(r, i)
        << fmt::format("\n-- +upgrade\n{};\n\n-- +downgrade\n{};\n", log_insert(r.id, "upgrade"),
                       log_insert(r.id, "downgrade"));
  }
}

// --- command sequences -------------------------------------------------------------------------

struct DbCommand {
  std::string cmd;                   // upgrade, downgrade, stamp
  std::vector<std::string> targets;  // one, except stamps of several branches
  bool purge = false;                // stamp --purge

  nlohmann::json to_json() const { return {{"cmd", cmd}, {"targets", targets}, {"purge", purge}}; }
  std::string kind() const { return purge ? cmd + " --purge" : cmd; }
  std::string text() const { return fmt::format("{} {}", kind(), fmt::join(targets, " ")); }
};

// Random commands over a graph's identifiers: mostly ones that move the database (heads,
// revisions, relative steps, labels), some that must fail (ambiguous prefixes, "head" with
// several heads, unknown revisions), so that failures happen from many states.
class CommandGenerator {
 public:
  CommandGenerator(const GenGraph& g, std::uint64_t seed) : g_(g), rng_(seed * 104729 + 3) {
    for (const GenRevision& r : g.revs) {
      labels_.insert(labels_.end(), r.labels.begin(), r.labels.end());
    }
  }

  std::vector<DbCommand> make(std::size_t count) {
    std::vector<DbCommand> out;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t kind = weighted({9, 7, 4});
      out.push_back(kind == 0 ? upgrade() : kind == 1 ? downgrade() : stamp());
    }
    return out;
  }

 private:
  template <std::size_t N>
  std::size_t weighted(const double (&weights)[N]) {
    return std::discrete_distribution<std::size_t>(std::begin(weights), std::end(weights))(rng_);
  }
  std::string rev() { return g_.revs[rng_() % g_.revs.size()].id; }
  std::string prefix() { return rev().substr(0, 4 + rng_() % 4); }  // may be ambiguous
  std::string label() { return labels_.empty() ? rev() : labels_[rng_() % labels_.size()]; }

  DbCommand upgrade() {
    static constexpr double kWeights[] = {4, 2, 2, 2, 1, 3, 1, 1, 1, 1};
    std::string t;
    switch (weighted(kWeights)) {
      case 0:
        t = "heads";
        break;
      case 1:
        t = "head";
        break;
      case 2:
        t = label() + "@head";
        break;
      case 3:
        t = "+1";
        break;
      case 4:
        t = "+2";
        break;
      case 5:
        t = rev();
        break;
      case 6:
        t = prefix();
        break;
      case 7:
        t = rev() + "+1";
        break;
      case 8:
        t = label() + "@+1";
        break;
      default:
        t = "zzzz9999";
        break;
    }
    return {"upgrade", {t}};
  }

  DbCommand downgrade() {
    static constexpr double kWeights[] = {3, 1, 3, 1, 1, 1, 1, 1};
    std::string t;
    switch (weighted(kWeights)) {
      case 0:
        t = "-1";
        break;
      case 1:
        t = "-2";
        break;
      case 2:
        t = rev();
        break;
      case 3:
        t = "base";
        break;
      case 4:
        t = label() + "@base";
        break;
      case 5:
        t = label() + "@-1";
        break;
      case 6:
        t = rev() + "-1";
        break;
      default:
        t = prefix();
        break;
    }
    return {"downgrade", {t}};
  }

  DbCommand stamp() {
    static constexpr double kWeights[] = {2, 1, 1, 1, 1, 1, 1, 1};
    switch (weighted(kWeights)) {
      case 0:
        return {"stamp", {rev()}};
      case 1:
        return {"stamp", {"heads"}};
      case 2:
        return {"stamp", {rev(), rev()}};
      case 3:
        return {"stamp", {rev()}, true};
      case 4:
        return {"stamp", {"heads"}, true};
      case 5:
        return {"stamp", {prefix()}, true};  // purges first, then may not resolve the prefix
      case 6:
        return {"stamp", {"base"}};
      default:
        return {"stamp", {label() + "@head"}};
    }
  }

  const GenGraph& g_;
  std::mt19937_64 rng_;
  std::vector<std::string> labels_;
};

// --- retort's side -----------------------------------------------------------------------------

// The environment of a generated project: its retort/ files, Alembic's version table name.
inline MigrateOptions retort_options(const std::filesystem::path& project) {
  Settings s;
  s.script_location = project;
  s.version_locations = {project / "retort"};
  s.version_table = "alembic_version";
  s.origin = "differential test";
  MigrateOptions o;
  o.settings = s;
  o.on_log = [](std::string_view) {};
  return o;
}

inline std::vector<std::vector<std::string>> query(Database& db, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  PooledConnection c = db.connection();
  for (const Row& row : c->execute(sql)) {
    std::vector<std::string> cells;
    for (std::size_t k = 0; k < row.size(); ++k) {
      cells.push_back(row[k].to_display());
    }
    out.push_back(std::move(cells));
  }
  return out;
}

// The version rows in the order the table returns them (the order retort's runner reads).
inline std::vector<std::string> version_rows(Database& db) {
  const std::string exists =
      db.dialect() == Dialect::postgresql
          ? "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL"
          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'";
  std::vector<std::string> rows;
  if (query(db, exists).empty()) {
    return rows;
  }
  for (auto& r : query(db, "SELECT alembic_version.version_num FROM alembic_version")) {
    rows.push_back(r[0]);
  }
  return rows;
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The error in the oracle's format. The API appends the heads to a "multiple heads" message
// (the command line's hint); Alembic's message is what comes before.
inline nlohmann::json error_json(const std::string& kind, std::string message) {
  message = message.substr(0, message.find("\n  heads:"));
  return {{"kind", kind}, {"message", message}};
}

inline nlohmann::json run_retort_command(Database& db, const MigrateOptions& o,
                                         const DbCommand& c) {
  try {
    if (c.cmd == "upgrade") {
      upgrade(db, c.targets.front(), o);
    } else if (c.cmd == "downgrade") {
      downgrade(db, c.targets.front(), o);
    } else {
      stamp(db, c.targets, o, c.purge);
    }
    return nullptr;
  } catch (const RevisionError& e) {
    return error_json(kind_name(e.kind()), e.what());
  } catch (const ScriptError& e) {
    return error_json("script", e.what());
  } catch (const std::exception& e) {
    return error_json("retort-other", e.what());
  }
}

// The error retort's loader refuses the project's graph with, or null when it loads.
inline nlohmann::json load_error(const std::filesystem::path& project) {
  try {
    heads(retort_options(project));
    return nullptr;
  } catch (const RevisionError& e) {
    return error_json(kind_name(e.kind()), e.what());
  } catch (const ScriptError& e) {
    return error_json("script", e.what());
  }
}

// Runs a command sequence through retort's embedding API and answers as the oracle does.
inline nlohmann::json run_retort_sequence(Database& db, const std::filesystem::path& project,
                                          const std::vector<DbCommand>& commands) {
  const MigrateOptions options = retort_options(project);
  db.connection()->execute_script(applied_log_ddl(db.dialect()));
  nlohmann::json results = nlohmann::json::array();
  for (const DbCommand& c : commands) {
    const std::vector<std::string> read = version_rows(db);
    const auto log_before = query(db, "SELECT rev, direction FROM applied_log ORDER BY id");
    nlohmann::json result = {{"read", read}};
    if (nlohmann::json error = run_retort_command(db, options, c); !error.is_null()) {
      result["error"] = error;
    }
    const auto log_after = query(db, "SELECT rev, direction FROM applied_log ORDER BY id");
    const bool intact = log_after.size() >= log_before.size() &&
                        std::equal(log_before.begin(), log_before.end(), log_after.begin());
    result["ran"] = intact
                        ? std::vector(log_after.begin() + std::ssize(log_before), log_after.end())
                        : log_after;
    result["log_intact"] = intact;
    result["rows_before"] = sorted(read);
    result["rows"] = sorted(version_rows(db));
    results.push_back(std::move(result));
  }
  return {{"results", results}};
}

}  // namespace retort::migrate::differential

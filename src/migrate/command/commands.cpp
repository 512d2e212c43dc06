// The embedding API (retort/migrate.hpp): the migration commands as functions.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/log.hpp"
#include "driver/database_access.hpp"
#include "migrate/command/project.hpp"
#include "migrate/graph/plan.hpp"
#include "migrate/operations/cpp_revisions.hpp"
#include "migrate/runtime/backup.hpp"
#include "migrate/runtime/lock.hpp"
#include "migrate/runtime/offline.hpp"
#include "migrate/runtime/runner.hpp"
#include "migrate/runtime/version_store.hpp"
#include "migrate/script/format.hpp"
#include "migrate/script/revision_cache.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

namespace fs = std::filesystem;

LogFn make_log(const MigrateOptions& options) {
  if (options.on_log) return options.on_log;
  return [](std::string_view line) { log::info("[retort.runtime.migration] {}", line); };
}

// The connection migrations run on. PostgreSQL: a connection of its own (session settings such
// as lock_timeout must not leak into the application's pool); SQLite: one of the pool's (an
// in-memory database exists only there).
class MigrationConnection {
 public:
  MigrationConnection(Database& db, const Settings& settings) {
    if (db.dialect() == Dialect::postgresql) {
      ConnectionOptions options;
      options.application_name = "retort migrate";
      own_ = driver::DatabaseAccess::open_connection(db, options);
      own_->execute_script(fmt::format("SET lock_timeout = {}; SET statement_timeout = {}",
                                       settings.lock_timeout.count(),
                                       settings.statement_timeout.count()));
    } else {
      pooled_ = db.connection();
    }
  }
  Connection& operator*() { return own_ ? *own_ : *pooled_; }

 private:
  std::unique_ptr<Connection> own_;
  PooledConnection pooled_;
};

// Alembic names only the argument; naming the heads (and their files) saves a `retort heads`.
[[noreturn]] void rethrow_with_heads(const RevisionError& e, const RevisionMap& map) {
  std::string text = e.what();
  text += "\n  heads:";
  for (RevIndex h : map.heads()) text += fmt::format(" {} ({})", map.id(h), map.revision(h).path);
  throw RevisionError(e.kind(), text, e.argument());
}

template <class F>
Plan make_plan(const RevisionMap& map, F&& planner) {
  try {
    return planner();
  } catch (const RevisionError& e) {
    if (e.kind() == RevisionErrorKind::multiple_heads) rethrow_with_heads(e, map);
    throw;
  }
}

bool has_nontransactional(const RevisionMap& map, const Plan& plan) {
  return std::any_of(plan.steps.begin(), plan.steps.end(), [&](const Step& s) {
    return s.kind != StepKind::stamp && !map.revision(s.revision).transactional;
  });
}

std::string problems_message(const std::vector<ChecksumProblem>& problems) {
  std::string text =
      fmt::format("{} applied revision{} changed since {} applied:", problems.size(),
                  problems.size() == 1 ? "" : "s", problems.size() == 1 ? "it was" : "they were");
  for (const ChecksumProblem& p : problems) text += "\n  " + describe(p);
  text +=
      "\nrevert the edits, or accept the new content with `retort verify --accept REV` (or upgrade "
      "--accept-checksum REV) when the change is deliberate and the database already matches it";
  return text;
}

// Records accepted checksums for `wanted` (all modified ones when empty). Returns the accepted ids.
std::vector<std::string> accept(Connection& c, VersionStore& store, const RevisionMap& map,
                                const std::vector<ChecksumProblem>& problems,
                                const std::vector<std::string>& wanted, bool all_if_empty) {
  std::vector<std::string> ids;
  if (wanted.empty() && all_if_empty) {
    for (const ChecksumProblem& p : problems) {
      if (p.kind == ChecksumProblem::Kind::modified) ids.push_back(p.revision);
    }
  } else {
    for (const std::string& w : wanted) {
      std::vector<RevIndex> found = show_revisions(map, {}, w);
      if (found.size() != 1 || found.front() < 0) {
        throw UsageError(fmt::format("--accept-checksum '{}' must name one revision", w));
      }
      const std::string& id = map.id(found.front());
      const bool modified =
          std::any_of(problems.begin(), problems.end(), [&](const ChecksumProblem& p) {
            return p.kind == ChecksumProblem::Kind::modified && p.revision == id;
          });
      if (modified && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  if (ids.empty()) return ids;
  std::vector<Statement> batch;
  for (const std::string& id : ids) {
    const Revision& rev = map.revision(map.find(id));
    batch.push_back(store.history_statement(id, kAccept, rev.checksum, rev.path, std::nullopt));
  }
  c.begin({});
  try {
    c.pipeline(batch);
    c.commit();
  } catch (...) {
    if (c.in_transaction() && !c.is_broken()) c.rollback();
    throw;
  }
  return ids;
}

enum class Mode { upgrade, downgrade, stamp };

RunReport run_online(Database& db, const MigrateOptions& options, Mode mode,
                     const std::vector<std::string>& targets, bool purge) {
  const Settings settings = resolve_settings(options);
  // Bad files fail before the lock is taken (a deleted applied file is named as such).
  const RevisionMap map = load_map_online(db, settings, options.revisions);
  const LogFn log = make_log(options);
  std::unique_ptr<MigrationLock> lock = MigrationLock::acquire(db, settings, log);
  MigrationConnection conn(db, settings);
  VersionStore store(settings, db.dialect());
  log(db.dialect() == Dialect::postgresql ? "Context impl PostgresqlImpl."
                                          : "Context impl SQLiteImpl.");
  log("Will assume transactional DDL.");
  store.ensure_tables(*conn, false);
  std::vector<std::string> rows = store.read_rows(*conn);
  if (mode != Mode::stamp && settings.verify_checksums) {
    std::vector<ChecksumProblem> problems =
        find_checksum_problems(map, rows, store.read_history(*conn));
    if (!options.accept_checksums.empty() && !problems.empty()) {
      const std::vector<std::string> accepted =
          accept(*conn, store, map, problems, options.accept_checksums, false);
      for (const std::string& id : accepted)
        log(fmt::format("Accepted the new checksum of {}", id));
      std::erase_if(problems, [&](const ChecksumProblem& p) {
        return std::find(accepted.begin(), accepted.end(), p.revision) != accepted.end();
      });
    }
    if (!problems.empty()) throw ChecksumError(problems_message(problems), problems);
  } else if (mode != Mode::stamp) {
    require_known_rows(map, rows, [&] { return store.read_history(*conn); });
  }
  const std::vector<std::string> start = purge ? std::vector<std::string>{} : rows;
  Plan plan = make_plan(map, [&] {
    switch (mode) {
      case Mode::upgrade:
        return plan_upgrade(map, start, targets.front());
      case Mode::downgrade:
        return plan_downgrade(map, start, targets.front());
      case Mode::stamp:
        break;
    }
    return plan_stamp(map, start, targets);
  });
  if (has_nontransactional(map, plan)) store.ensure_tables(*conn, true);
  RunReport report;
  if (options.backup_dir && mode != Mode::stamp) {
    if (plan.steps.empty()) {
      log("Nothing to apply: no backup taken.");
    } else {
      // Under the migration lock, so no other retort changes the schema between the two.
      report.backup = take_backup(db.url(), *options.backup_dir, rows, log);
      store.ensure_backup_column(*conn);
      store.set_backup(report.backup->string());
    }
  }
  Runner runner(settings, map, *conn, store, log);
  runner.on_step(options.on_step);
  report.before = rows;
  report.steps = runner.execute(plan, purge);
  report.after = plan.final_rows;
  return report;
}

}  // namespace

Settings resolve_settings(const MigrateOptions& options) {
  return options.settings ? *options.settings : load_settings();
}

RevisionMap load_map(const Settings& settings, const std::vector<CppRevision>& code) {
  std::error_code ec;
  if (!fs::is_directory(settings.script_location, ec)) {
    throw ConfigError(
        fmt::format("Path doesn't exist: '{}'. Please use the 'init' command to create a new "
                    "scripts folder (settings: {})",
                    fs::absolute(settings.script_location, ec).string(), settings.origin));
  }
  // Headers only: the graph and checksums are all planning needs; the runner reads the SQL of
  // the revisions it executes.
  auto options_for = [&](const fs::path& dir) {
    LoadOptions options{.sections = false};
    if (settings.header_cache) options.cache = dir / HeaderCache::kDefaultName;
    return options;
  };
  const std::vector<fs::path> dirs = settings.versions_dirs();
  if (dirs.size() == 1 && code.empty()) {
    return load_revision_map(dirs.front(), options_for(dirs.front()));
  }
  std::vector<Revision> all;
  for (const fs::path& dir : dirs) {
    std::vector<Revision> part = load_revisions(dir, options_for(dir));
    std::move(part.begin(), part.end(), std::back_inserter(all));
  }
  append_cpp_revisions(all, code);
  return RevisionMap(std::move(all));
}

RevisionMap load_map_online(Database& db, const Settings& settings,
                            const std::vector<CppRevision>& code) {
  try {
    return load_map(settings, code);
  } catch (const MissingRevision& e) {
    rethrow_missing(db, settings, e);
  }
}

void rethrow_missing(Database& db, const Settings& settings, const MissingRevision& e) {
  const std::vector<HistoryRecord> history = read_history(db, settings);
  const auto applied = std::find_if(history.rbegin(), history.rend(), [&](const HistoryRecord& h) {
    return h.revision == e.revision() && (h.direction == kUpgrade || h.direction == kStamp);
  });
  if (applied == history.rend()) throw e;
  throw MissingRevision(
      e.file(), e.line(),
      fmt::format("applied revision {}: its file is missing (this database applied it from {}); "
                  "restore the file from version control ({})",
                  e.revision(), applied->script.empty() ? "an unknown file" : applied->script,
                  e.reason()),
      e.revision());
}

void require_known_rows(const RevisionMap& map, const std::vector<std::string>& rows,
                        const std::function<std::vector<HistoryRecord>()>& history) {
  if (std::all_of(rows.begin(), rows.end(),
                  [&](const std::string& row) { return map.find(row) != kNone; }))
    return;
  std::vector<ChecksumProblem> missing = find_checksum_problems(map, rows, history());
  std::erase_if(missing,
                [](const ChecksumProblem& p) { return p.kind != ChecksumProblem::Kind::missing; });
  std::string text = "the database is at a revision whose file is missing:";
  for (const ChecksumProblem& p : missing) text += "\n  applied revision " + describe(p);
  text +=
      "\nrestore the file from version control (or run the build of this tool that declares it)";
  throw ChecksumError(text, std::move(missing));
}

std::vector<HistoryRecord> read_history(Database& db, const Settings& settings) {
  PooledConnection c = db.connection();
  return VersionStore(settings, db.dialect()).read_history(*c);
}

std::vector<std::string> read_version_rows(Database& db, const Settings& settings) {
  PooledConnection c = db.connection();
  VersionStore store(settings, db.dialect());
  return store.read_rows(*c);
}

std::vector<ChecksumProblem> find_checksum_problems(const RevisionMap& map,
                                                    const std::vector<std::string>& rows,
                                                    const std::vector<HistoryRecord>& history) {
  // The checksum each revision was last applied (or stamped, or accepted) with.
  std::unordered_map<std::string, const HistoryRecord*> recorded;
  std::unordered_map<std::string, const HistoryRecord*> last_seen;
  for (const HistoryRecord& h : history) {
    last_seen[h.revision] = &h;
    if (h.direction == kUpgrade || h.direction == kStamp || h.direction == kAccept) {
      if (!h.checksum.empty()) {
        recorded[h.revision] = &h;
      } else {
        recorded.erase(h.revision);
      }
    } else {
      recorded.erase(h.revision);
    }
  }
  std::vector<ChecksumProblem> out;
  std::vector<RevIndex> known;
  for (const std::string& row : rows) {
    const RevIndex r = map.find(row);
    if (r >= 0) {
      known.push_back(r);
      continue;
    }
    ChecksumProblem p;
    p.kind = ChecksumProblem::Kind::missing;
    p.revision = row;
    if (auto it = last_seen.find(row); it != last_seen.end()) {
      p.file = it->second->script;
      p.recorded = it->second->checksum;
    }
    out.push_back(std::move(p));
  }
  if (recorded.empty() || known.empty()) return out;
  const std::vector<char> applied = map.ancestors(known, true);
  for (RevIndex r = 0; r < static_cast<RevIndex>(map.size()); ++r) {
    if (applied[static_cast<std::size_t>(r)] == 0) continue;
    const Revision& rev = map.revision(r);
    auto it = recorded.find(rev.id);
    if (it == recorded.end() || checksum_matches(it->second->checksum, rev)) continue;
    out.push_back({ChecksumProblem::Kind::modified, rev.id, rev.path, it->second->checksum,
                   rev.checksum, describe_checksum_change(it->second->checksum, rev)});
  }
  return out;
}

std::string describe(const ChecksumProblem& p) {
  if (p.kind == ChecksumProblem::Kind::missing) {
    return fmt::format(
        "{}: missing: the version table holds it but no revision file (nor C++ revision of this "
        "tool) declares it{}",
        p.revision, p.file.empty() ? "" : fmt::format(" (it was applied from {})", p.file));
  }
  return fmt::format("{}: modified: {}: {} (checksum {} when applied, {} now)", p.revision, p.file,
                     p.change, p.recorded, p.current);
}

std::string stamp_sql(Dialect dialect, const std::vector<std::string>& revisions,
                      const MigrateOptions& options) {
  const Settings settings = resolve_settings(options);
  const RevisionMap map = load_map(settings, options.revisions);
  std::vector<std::string> start;
  std::vector<std::string> targets;
  std::optional<std::string> start_text;
  for (const std::string& r : revisions) {
    const std::size_t colon = r.find(':');
    if (colon == std::string::npos) {
      targets.push_back(r);
      continue;
    }
    const std::string s = r.substr(0, colon);
    if (start_text && *start_text != s) {
      throw UsageError(
          "Stamp operation with --sql only supports a single starting revision at a time");
    }
    start_text = s;
    targets.push_back(r.substr(colon + 1));
  }
  if (start_text) start = parse_offline_range(map, *start_text + ":x", false, "stamp").start_rows;
  Plan plan = make_plan(map, [&] { return plan_stamp(map, start, targets); });
  return render_plan(map, plan, settings, dialect);
}

RunReport upgrade(Database& db, std::string_view target, const MigrateOptions& options) {
  if (target.find(':') != std::string_view::npos) throw UsageError("Range revision not allowed");
  return run_online(db, options, Mode::upgrade, {std::string(target)}, false);
}

RunReport downgrade(Database& db, std::string_view target, const MigrateOptions& options) {
  if (target.find(':') != std::string_view::npos) throw UsageError("Range revision not allowed");
  return run_online(db, options, Mode::downgrade, {std::string(target)}, false);
}

RunReport stamp(Database& db, const std::vector<std::string>& revisions,
                const MigrateOptions& options, bool purge) {
  return run_online(db, options, Mode::stamp, revisions, purge);
}

std::vector<std::string> current(Database& db, const MigrateOptions& options) {
  const Settings settings = resolve_settings(options);
  const RevisionMap map = load_map_online(db, settings, options.revisions);
  PooledConnection c = db.connection();
  VersionStore store(settings, db.dialect());
  const std::vector<std::string> rows = store.read_rows(*c);
  require_known_rows(map, rows, [&] { return store.read_history(*c); });
  return map.ids(all_current(map, rows));
}

std::vector<std::string> heads(const MigrateOptions& options) {
  const RevisionMap map = load_map(resolve_settings(options), options.revisions);
  return map.ids(map.heads());
}

std::vector<ChecksumProblem> verify(Database& db, const MigrateOptions& options) {
  const Settings settings = resolve_settings(options);
  const RevisionMap map = load_map_online(db, settings, options.revisions);
  PooledConnection c = db.connection();
  VersionStore store(settings, db.dialect());
  return find_checksum_problems(map, store.read_rows(*c), store.read_history(*c));
}

std::vector<std::string> accept_checksums(Database& db, const std::vector<std::string>& revisions,
                                          const MigrateOptions& options) {
  const Settings settings = resolve_settings(options);
  const RevisionMap map = load_map(settings, options.revisions);
  const LogFn log = make_log(options);
  std::unique_ptr<MigrationLock> lock = MigrationLock::acquire(db, settings, log);
  MigrationConnection conn(db, settings);
  VersionStore store(settings, db.dialect());
  store.ensure_tables(*conn, false);
  const std::vector<ChecksumProblem> problems =
      find_checksum_problems(map, store.read_rows(*conn), store.read_history(*conn));
  return accept(*conn, store, map, problems, revisions, true);
}

std::string upgrade_sql(Dialect dialect, std::string_view range, const MigrateOptions& options) {
  const Settings settings = resolve_settings(options);
  const RevisionMap map = load_map(settings, options.revisions);
  const OfflineRange r = parse_offline_range(map, range, false, "upgrade");
  Plan plan = make_plan(map, [&] { return plan_upgrade(map, r.start_rows, r.end); });
  return render_plan(map, plan, settings, dialect);
}

std::string downgrade_sql(Dialect dialect, std::string_view range, const MigrateOptions& options) {
  const Settings settings = resolve_settings(options);
  const RevisionMap map = load_map(settings, options.revisions);
  const OfflineRange r = parse_offline_range(map, range, true, "downgrade");
  Plan plan = make_plan(map, [&] { return plan_downgrade(map, r.start_rows, r.end); });
  return render_plan(map, plan, settings, dialect);
}

}  // namespace retort::migrate

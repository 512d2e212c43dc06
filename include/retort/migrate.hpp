// Schema migrations from an application: the `retort upgrade / downgrade / stamp / current /
// heads / verify` commands as functions, with the command line's semantics.
//
//   retort::Database db = retort::Database::open(url);
//   retort::migrate::upgrade(db, "head");          // at start-up: bring the schema up to date
//   for (const std::string& rev : retort::migrate::current(db)) { ... }
//
// The migration environment (where the revision files are, the version table's name, timeouts)
// comes from the [migrations] table of retort.toml, found as the command line finds it
// (RETORT_CONFIG, ./retort.toml); without one, retort's built-in migrations (the events schema)
// are used. MigrateOptions::settings replaces that lookup; MigrateOptions::revisions adds
// revisions written in C++. See docs/migrations.md and docs/cpp_migrations.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "retort/database.hpp"
#include "retort/error.hpp"
#include "retort/operations.hpp"

namespace retort::migrate {

// The [migrations] table of retort.toml.
struct Settings {
  // The migration environment: script.sql.tmpl (the revision template) and versions/.
  std::filesystem::path script_location;
  // Where revision files are read from; empty means script_location/versions.
  std::vector<std::filesystem::path> version_locations;
  // One row per current head. "alembic_version" takes over a database Alembic migrated.
  std::string version_table = "retort_version";
  // Append-only log of every applied, reverted, stamped or accepted revision (with checksums).
  std::string history_table = "retort_history";
  // Progress of non-transactional revisions (resume at the failed statement).
  std::string progress_table = "retort_progress";
  // true: each revision commits on its own, with its version-table change; false: one
  // transaction for the whole run (non-transactional revisions still run outside it).
  bool transaction_per_migration = true;
  // PostgreSQL session settings of the migrating connection; zero means no limit.
  std::chrono::milliseconds lock_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds statement_timeout{0};
  // How long a migrating process waits for another one to finish (then LockTimeout).
  std::chrono::milliseconds lock_wait_timeout{std::chrono::minutes(5)};
  // PostgreSQL advisory lock key; default: derived from the schema and the version table name.
  std::optional<std::int64_t> advisory_lock_id;
  // New revision files: Alembic's file_template (%(rev)s, %(slug)s, %(epoch)s, %(year)d, ...).
  std::string file_template = "%(rev)s_%(slug)s";
  int truncate_slug_length = 40;
  // The template for new revisions, relative to script_location.
  std::string revision_template = "script.sql.tmpl";
  // Refuse to upgrade or downgrade when an applied revision's file changed.
  bool verify_checksums = true;
  // Keep parsed revision headers in <versions dir>/.retort-cache, so that heads, history,
  // current and planning read only the files that changed since the last run (like Python's
  // __pycache__ for Alembic). Entries are checked against size, mtime, ctime and inode.
  bool header_cache = true;
  // Where these settings came from (a config file path, or "built-in"), for messages.
  std::string origin;

  // version_locations, or script_location/versions when empty.
  std::vector<std::filesystem::path> versions_dirs() const;
};

// Settings from the config file that applies (`config_file`, else $RETORT_CONFIG, else
// ./retort.toml); relative paths in the file are relative to the file's directory. Without a
// config file or without [migrations] script_location: builtin_settings(). Throws ConfigError
// ("FILE:LINE:COL: ...") for a malformed table.
Settings load_settings(const std::optional<std::filesystem::path>& config_file = std::nullopt);

// retort's own migrations (the events table), shipped in the source tree's migrations/ and
// installed to <prefix>/share/retort/migrations.
Settings builtin_settings();

struct MigrateOptions {
  // The environment; default: load_settings().
  std::optional<Settings> settings;
  // Revisions whose changed file is accepted: their new checksum is recorded before running.
  std::vector<std::string> accept_checksums;
  // Progress lines ("Running upgrade a1 -> b2, add users"); default: retort's logger, level info.
  std::function<void(std::string_view line)> on_log;
  // Called before each step of an online run: `done` steps of `total` are finished, `step` is
  // the one starting ("upgrade a1 -> b2, add users"). For progress displays; may be empty.
  std::function<void(std::size_t done, std::size_t total, std::string_view step)> on_step;
  // Back the database up into this directory before applying anything (upgrade and downgrade;
  // `--backup DIR`): pg_dump on PostgreSQL, SQLite's backup API on SQLite. The run is refused
  // (BackupError) when the backup fails; its path is recorded in the history table's `backup`
  // column. No backup is taken when there is nothing to apply. See docs/security.md.
  std::optional<std::filesystem::path> backup_dir;
  // Revisions written in C++ (retort/operations.hpp), in the same graph as the revision files.
  // An id used by both is an error naming both.
  std::vector<CppRevision> revisions;
};

// What a run did.
struct RunReport {
  std::vector<std::string> before;  // version-table rows before the run
  std::vector<std::string> after;   // and after
  std::vector<std::string> steps;   // "upgrade a1 -> b2, add users", one per step, in order
  std::optional<std::filesystem::path> backup;  // the backup file written before the run
};

// An identifier does not resolve, a plan cannot be made, or the revision graph is malformed
// (cycles, several heads where one is needed, a version table that disagrees with the files).
// kind() matches the exception class Alembic raises for the same situation (ResolutionError,
// MultipleHeads, RangeNotAncestorError, CycleDetected, ...); what() reads as `alembic` prints it.
enum class RevisionErrorKind {
  resolution,            // unknown or ambiguous identifier, not a member of a branch
  multiple_heads,        // "head" (or similar) names several revisions
  range,                 // target is not an ancestor/descendant of the current heads
  revision,              // any other refusal (ambiguous walk, relative step too far, ...)
  cycle,                 // down_revision cycle
  dependency_cycle,      // cycle through depends_on
  self_loop,             // a revision is its own down revision
  dependency_self_loop,  // a revision depends on itself
  version_table,         // the version table does not hold the rows the plan expects
  unsupported,           // Alembic fails with an internal error here; retort refuses cleanly
};

// "resolution", "multiple_heads", ...: the kind's name as written above.
std::string_view to_string(RevisionErrorKind kind) noexcept;

class RevisionError : public Error {
 public:
  // `argument`: the identifier at fault (Alembic's ResolutionError/MultipleHeads.argument),
  // which the command layer uses to phrase its message.
  RevisionError(RevisionErrorKind kind, const std::string& message, std::string argument = {})
      : Error(message), kind_(kind), argument_(std::move(argument)) {}
  RevisionErrorKind kind() const noexcept { return kind_; }
  const std::string& argument() const noexcept { return argument_; }

 private:
  RevisionErrorKind kind_;
  std::string argument_;
};

// A revision file (or versions directory) is malformed: nothing was run. what() reads
// "FILE:LINE: reason".
class ScriptError : public Error {
 public:
  ScriptError(std::string file, int line, const std::string& reason);
  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }  // 0 when the error is about the whole file
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_;
  int line_;
  std::string reason_;
};

// A revision names a down revision that no revision file (nor C++ revision) declares. Commands
// that reach a database say more when the database applied it: its file was deleted.
class MissingRevision : public ScriptError {
 public:
  MissingRevision(std::string file, int line, const std::string& reason, std::string revision)
      : ScriptError(std::move(file), line, reason), revision_(std::move(revision)) {}
  const std::string& revision() const noexcept { return revision_; }  // the id nothing declares

 private:
  std::string revision_;
};

// The backup requested with MigrateOptions::backup_dir could not be made (pg_dump failed, the
// directory is not writable, ...): nothing was migrated.
class BackupError : public Error {
 public:
  using Error::Error;
};

// A statement of a revision failed. The revision was rolled back (transactional revisions) or
// stopped at the failed statement (non-transactional ones, which resume there on the next run).
class MigrationError : public Error {
 public:
  struct Details {
    std::string revision;
    std::string file;
    int line = 0;           // of the failed statement's first token (0: not a statement)
    std::string statement;  // its text
    std::string sqlstate;   // the server's, when a DatabaseError caused it
    std::string server_message;
    std::string stays_at;  // the version rows the database is left at, "a1, b2" or "base"
    bool rolled_back = true;
  };
  MigrationError(const std::string& message, Details details)
      : Error(message), details_(std::move(details)) {}
  const Details& details() const noexcept { return details_; }

 private:
  Details details_;
};

// Another process held the migration lock for longer than lock_wait_timeout.
class LockTimeout : public Error {
 public:
  using Error::Error;
};

// An applied revision's file changed or went missing.
struct ChecksumProblem {
  enum class Kind { modified, missing };
  Kind kind = Kind::modified;
  std::string revision;
  std::string file;      // the file now (modified) or when applied (missing), if known
  std::string recorded;  // checksum in the history table
  std::string current;   // checksum of the file now (empty when missing)
  std::string change;    // modified: what kind of change ("its SQL changed", ...)
};

class ChecksumError : public Error {
 public:
  ChecksumError(const std::string& message, std::vector<ChecksumProblem> problems)
      : Error(message), problems_(std::move(problems)) {}
  const std::vector<ChecksumProblem>& problems() const noexcept { return problems_; }

 private:
  std::vector<ChecksumProblem> problems_;
};

// `retort upgrade TARGET`: "head", "heads", a revision, "+2", "label@head", ...
RunReport upgrade(Database& db, std::string_view target = "head",
                  const MigrateOptions& options = {});
// `retort downgrade TARGET`: "base", "-1", a revision, ...
RunReport downgrade(Database& db, std::string_view target, const MigrateOptions& options = {});
// `retort stamp REV...`: sets the version table without running SQL (purge: empties it first).
RunReport stamp(Database& db, const std::vector<std::string>& revisions,
                const MigrateOptions& options = {}, bool purge = false);
// `retort current`: the current revision(s) (Alembic's get_all_current).
std::vector<std::string> current(Database& db, const MigrateOptions& options = {});
// `retort heads`: the head revisions of the revision files (no database needed).
std::vector<std::string> heads(const MigrateOptions& options = {});
// `retort verify`: every applied revision whose file changed or is missing (empty: all good).
std::vector<ChecksumProblem> verify(Database& db, const MigrateOptions& options = {});
// `retort verify --accept REV...`: records the files' current checksums (all changed ones when
// `revisions` is empty). Returns the revisions accepted.
std::vector<std::string> accept_checksums(Database& db, const std::vector<std::string>& revisions,
                                          const MigrateOptions& options = {});

// `retort upgrade [START:]END --sql` and `retort downgrade START:END --sql`: the SQL a run would
// execute, version-table statements included, without connecting.
std::string upgrade_sql(Dialect dialect, std::string_view range,
                        const MigrateOptions& options = {});
std::string downgrade_sql(Dialect dialect, std::string_view range,
                          const MigrateOptions& options = {});

}  // namespace retort::migrate

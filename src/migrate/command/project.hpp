// What the public API (retort/migrate.hpp) and the CLI share: settings and revision files,
// version rows, checksum checks, offline stamps.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "migrate/graph/revision_map.hpp"
#include "migrate/runtime/version_store.hpp"
#include "retort/database.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

// options.settings, else load_settings().
Settings resolve_settings(const MigrateOptions& options);

// Every revision file of the settings' version locations, and the C++ revisions `code` (after
// the files, sorted by id). Throws ConfigError when the script location does not exist
// (suggesting `retort init`), ScriptError / RevisionError for bad files and ids used twice.
RevisionMap load_map(const Settings& settings, const std::vector<CppRevision>& code);

// load_map for commands that reach `db`: a MissingRevision is said better by rethrow_missing.
RevisionMap load_map_online(Database& db, const Settings& settings,
                            const std::vector<CppRevision>& code);

// Rethrows `e`, or, when `db`'s history shows the missing revision was applied, a
// MissingRevision that says its file was deleted and which file it was applied from.
[[noreturn]] void rethrow_missing(Database& db, const Settings& settings, const MissingRevision& e);

// Throws ChecksumError ("applied revision X: missing ...") when a version-table row names a
// revision no file declares; reads `history` only then.
void require_known_rows(const RevisionMap& map, const std::vector<std::string>& rows,
                        const std::function<std::vector<HistoryRecord>()>& history);

// The version table's rows (none when it does not exist); no lock, nothing created.
std::vector<std::string> read_version_rows(Database& db, const Settings& settings);

// The history table's records, oldest first (none when it does not exist).
std::vector<HistoryRecord> read_history(Database& db, const Settings& settings);

// Applied revisions (the rows and their ancestors) whose file changed since it was recorded,
// and rows no file declares.
std::vector<ChecksumProblem> find_checksum_problems(const RevisionMap& map,
                                                    const std::vector<std::string>& rows,
                                                    const std::vector<HistoryRecord>& history);
// One line per problem, for messages.
std::string describe(const ChecksumProblem& p);

// `stamp [START:]REV... --sql`.
std::string stamp_sql(Dialect dialect, const std::vector<std::string>& revisions,
                      const MigrateOptions& options);

}  // namespace retort::migrate

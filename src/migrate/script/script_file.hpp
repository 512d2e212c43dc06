// retort revision files: one revision per file, plain SQL, named <rev>_<slug>.sql.
//
//   -- retort revision
//   -- Revision: 1a2b3c4d5e6f
//   -- Down revision: none                 (or one id, or "a1, b2" for a merge)
//   -- Branch labels: billing              (optional, comma-separated)
//   -- Depends on: 0f0e0d0c0b0a            (optional, comma-separated ids or labels)
//   -- Message: add users table
//   -- Create date: 2026-11-21 05:40:00.123456
//   -- Transactional: true                 (optional; false = run outside a transaction)
//   -- SQLite foreign keys: off            (optional; on SQLite: enforcement off, checked before
//                                           commit - for table rebuilds)
//
//   -- +upgrade
//   CREATE TABLE users (id BIGINT PRIMARY KEY);
//
//   -- +downgrade
//   DROP TABLE users;
//
//   -- +upgrade postgresql                 (optional per-dialect sections: postgresql | sqlite)
//
// Header keys are case-insensitive; blank lines may separate header lines. Every other line
// belongs to a section.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/revision.hpp"
#include "migrate/graph/revision_map.hpp"
#include "migrate/script/checksum.hpp"

namespace retort::migrate {

// Parses one file's content. `file` names it in errors and becomes Revision::path.
// Throws ScriptError (file, line) for: a missing "-- retort revision" first line, a missing
// Revision header, an unknown or repeated header key, a malformed value, an unknown section
// marker or dialect, a repeated section, text outside any section. With keep_sql false the
// sections are described (direction, dialect, line) but their SQL is not kept.
Revision parse_revision(std::string_view content, const std::string& file, bool keep_sql = true);

// Throws ScriptError(file, line) at the first NUL byte or invalid UTF-8 of SQL text meant for a
// database ("<what> at byte N of the line: <what_must_be> must be UTF-8 text"): SQLite's
// statement preparation stops at a NUL, so the statements after it would silently never run.
void require_plain_text(std::string_view content, const std::string& file,
                        std::string_view what_must_be);

struct LoadOptions {
  // false: headers only (Section::sql stays empty) - all that heads, history and planning need;
  // the runner then calls load_sections() for the revisions it executes.
  bool sections = true;
  // Headers-only loads: a HeaderCache file (e.g. dir / HeaderCache::kDefaultName) that spares
  // re-reading unchanged files. Empty: no cache.
  std::filesystem::path cache{};
};

// Every *.sql file of `dir` (not recursive, hidden files skipped), in file-name order, parsed.
std::vector<Revision> load_revisions(const std::filesystem::path& dir,
                                     const LoadOptions& options = {});

// load_revisions + RevisionMap (which checks references, duplicates, labels and cycles).
RevisionMap load_revision_map(const std::filesystem::path& dir, const LoadOptions& options = {});

// Reads the SQL of a revision loaded headers-only. Throws ScriptError when the file changed
// since (its checksum differs) or no longer parses.
void load_sections(Revision& revision);

}  // namespace retort::migrate

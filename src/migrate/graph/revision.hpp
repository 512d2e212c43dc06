// One migration revision: what its file declares, plus its SQL sections.
//
// A Revision is plain data; graph facts (children, heads, propagated branch labels) live in
// RevisionMap, which owns the revisions once loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace retort::migrate {

struct CppRevision;  // retort/operations.hpp

enum class Direction { upgrade, downgrade };

// One `-- +upgrade [dialect]` / `-- +downgrade [dialect]` block of a revision file.
struct Section {
  Direction direction = Direction::upgrade;
  std::string dialect;  // empty: runs on every database; else "postgresql" or "sqlite"
  int line = 0;         // 1-based line of the first line after the marker
  std::string sql;      // the text up to the next marker (line structure kept)
};

// 1-based lines of the header fields, for error messages (0: not present / not from a file).
struct HeaderLines {
  int revision = 0;
  int down_revision = 0;
  int branch_labels = 0;
  int depends_on = 0;
};

struct Revision {
  std::string id;
  std::vector<std::string> down_revisions;  // empty: a root; several: a merge
  std::vector<std::string> branch_labels;   // as declared (RevisionMap adds inherited ones)
  std::vector<std::string> depends_on;      // revision ids or branch labels
  std::string message;
  std::string create_date;
  bool transactional = true;  // false: the runner executes it outside a transaction
  // `-- SQLite foreign keys: off`: on SQLite the revision runs with foreign-key enforcement off
  // (a table rebuild drops the old table, which must not cascade) and PRAGMA foreign_key_check
  // must find nothing before it commits.
  bool sqlite_foreign_keys_off = false;

  std::string path;  // the file it was read from (a C++ revision: the source declaring it)
  HeaderLines lines;
  std::vector<Section> sections;
  std::string checksum;     // "v2:..." (migrate/script/checksum.hpp; C++: "cpp1:...")
  std::string checksum_v1;  // the file's v1 checksum, to verify what was recorded as v1
  // A revision written in C++ (src/migrate/operations): its functions run instead of sections.
  std::shared_ptr<const CppRevision> code;

  // The sections to run for `direction` on `dialect`: the common one first, then the
  // dialect's own (either may be absent).
  std::vector<const Section*> sections_for(Direction direction, std::string_view dialect) const;
};

// The version table's column is VARCHAR(32), as Alembic's alembic_version.version_num is: a
// longer id could not be recorded (PostgreSQL refuses it, SQLite would store it).
inline constexpr std::size_t kMaxRevisionIdLength = 32;

// Why `id` is not usable as a revision identifier, or an empty string when it is. One rule for
// files, C++ revisions and `--rev-id`, on both backends. Alembic forbids '@', '-', '+' (they are
// identifier syntax) and, since 1.17, ':' (range syntax); retort also refuses whitespace, control
// characters, invalid UTF-8, ',' (list separator of the file format), more than
// kMaxRevisionIdLength characters, and the symbolic names head, heads, base and current, which
// would shadow the symbols. Every id Alembic generates (12 hex digits) passes.
std::string invalid_revision_id_reason(std::string_view id);

// Same for a branch label: no '@' (label@rev syntax), whitespace, control characters or ',',
// and not a symbol.
std::string invalid_branch_label_reason(std::string_view label);

// Why a one-line header value (a message, a create date) is not printable as it stands: a
// control character other than tab (an ESC would reach `history` output, a newline would end
// the header line), a C1 control or invalid UTF-8 (text::find_unprintable). Empty when it is
// fine.
std::string control_character_reason(std::string_view text);

}  // namespace retort::migrate

// Indexes left INVALID by non-transactional revisions (PostgreSQL).
//
// CREATE INDEX CONCURRENTLY that fails or is interrupted (a unique violation, a cancel, a
// terminated backend, a server restart) leaves its index behind, marked invalid
// (pg_index.indisvalid = false): never used by the planner, yet still maintained on every write.
// Run again, `IF NOT EXISTS` sees the name taken and skips, and the revision would be recorded as
// applied without its index. So the runner drops such a leftover before it runs the statement
// that creates it, and refuses to record a non-transactional revision after which an index it
// created (or any index that became invalid while it ran) is invalid.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/connection.hpp"

namespace retort::migrate {

// What a CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table statement
// names. nullopt for any other statement, and for an unnamed index (nothing to look for).
struct ConcurrentIndex {
  std::string name;   // as PostgreSQL stores it (unquoted names folded to lower case)
  std::string table;  // as written (maybe schema-qualified, quotes kept), for to_regclass
};
std::optional<ConcurrentIndex> concurrent_index_of(std::string_view statement);

// The schema-qualified, quoted name of index.name in the table's schema when it exists and is
// invalid; nullopt otherwise (also when the table does not exist).
std::optional<std::string> find_invalid_index(Connection& c, const ConcurrentIndex& index);

// Every invalid index in the schemas of the search_path, schema-qualified and quoted, sorted.
// (Not the whole database: another application's interrupted build elsewhere is not this
// revision's doing.)
std::vector<std::string> invalid_indexes(Connection& c);

}  // namespace retort::migrate

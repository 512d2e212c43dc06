// What the comparison's two halves share: operations sorted into dependency buckets, and the
// per-table comparison (compare_table.cpp) that the metadata-level one (compare.cpp) calls.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "retort/autogenerate.hpp"

namespace retort::autogenerate::detail {

// Where an operation goes in the upgrade. The order is what keeps each operation valid when it
// runs: enum types before the columns that use them, renames before anything that names the new
// names, constraint drops before the tables and columns they point at go, new tables before the
// columns and foreign keys that refer to them, foreign keys last.
enum Bucket : std::size_t {
  kEnumsCreated,        // create_enum, add_enum_value
  kRenames,             // rename_table, then rename_column
  kForeignKeysDropped,  // drop_foreign_key
  kConstraintsDropped,  // drop_index, drop_unique, drop_check
  kTablesCreated,       // create_table, referred tables first
  kColumnsAdded,        // add_column
  kColumnsAltered,      // alter_column, set_table_comment
  kColumnsDropped,      // drop_column
  kTablesDropped,       // drop_table, referring tables first
  kEnumsDropped,        // drop_enum_value, drop_enum
  kConstraintsAdded,    // create_index, add_unique, add_check
  kForeignKeysAdded,    // add_foreign_key
  kBucketCount,
};

struct Buckets {
  std::array<std::vector<Operation>, kBucketCount> ops;
  void add(Bucket bucket, Operation op) { ops[bucket].push_back(std::move(op)); }
};

// Compares one table of the database (already renamed where renames apply) with its model and
// adds the operations that turn the first into the second; differences retort does not change
// (primary keys, identity, generated expressions) go to notes.
void compare_table(const schema::Table& database, const schema::Table& model, Dialect dialect,
                   Buckets& buckets, std::vector<std::string>& notes);

// The key that decides whether a dropped and an added object may be the same one renamed: the
// column's type, or the table's columns and their types.
std::string column_signature(const schema::Column& column, Dialect dialect);
std::string table_signature(const schema::Table& table, Dialect dialect);

}  // namespace retort::autogenerate::detail

// Helpers for the C++ revision tests: the seed's two example revisions, and SQL revisions around
// them.
#pragma once

#include <string>
#include <vector>

#include "migrate/runtime/runner_support.hpp"
#include "retort/operations.hpp"

namespace retort::migrate::runner_testing {

namespace types = schema::types;

// r000 (SQL): the seed's old_table(id, old_data) with three rows, and old_table_name.
inline void write_old_tables(const Environment& env) {
  RevisionFile f;
  f.id = "r000";
  f.message = "old tables";
  f.upgrade =
      "CREATE TABLE old_table (id INTEGER PRIMARY KEY, old_data TEXT);\n"
      "INSERT INTO old_table (id, old_data) VALUES (1, 'one'), (2, 'two'), (3, NULL);\n"
      "CREATE TABLE old_table_name (id INTEGER PRIMARY KEY);";
  f.downgrade = "DROP TABLE old_table_name;\nDROP TABLE old_table;";
  env.write(f);
}

// The seed's data migration (003, "Migration with data processing"): create a new table, copy
// the data, drop the old table, rename the new one. The downgrade is the same way back.
inline CppRevision seed_data_migration(std::string id, std::vector<std::string> down) {
  return {
      .id = std::move(id),
      .down_revisions = std::move(down),
      .message = "copy old_table into new_table",
      .upgrade =
          [](Operations& op) {
            op.create_table(
                {.name = "new_table",
                 .columns = {{.name = "id", .type = types::integer(), .nullable = false},
                             {.name = "data", .type = types::text()}},
                 .primary_key = {.columns = {"id"}}});
            op.execute("INSERT INTO new_table (id, data) SELECT id, old_data FROM old_table");
            op.drop_table("old_table");
            op.rename_table("new_table", "old_table");
          },
      .downgrade =
          [](Operations& op) {
            op.create_table(
                {.name = "previous_table",
                 .columns = {{.name = "id", .type = types::integer(), .nullable = false},
                             {.name = "old_data", .type = types::text()}},
                 .primary_key = {.columns = {"id"}}});
            op.execute("INSERT INTO previous_table (id, old_data) SELECT id, data FROM old_table");
            op.drop_table("old_table");
            op.rename_table("previous_table", "old_table");
          },
  };
}

// The seed's conditional migration (003, "Conditional migration"): drop a table only if it
// exists, which the inspector tells.
inline CppRevision seed_conditional_migration(std::string id, std::vector<std::string> down) {
  return {
      .id = std::move(id),
      .down_revisions = std::move(down),
      .message = "drop old_table_name if it exists",
      .upgrade =
          [](Operations& op) {
            if (op.inspector().has_table("old_table_name")) op.drop_table("old_table_name");
          },
  };
}

}  // namespace retort::migrate::runner_testing

// Which models `revision --autogenerate` and `check` compare the database with: the C++ models
// the tool was built with, retort.toml's [models] (SQL in a file, a folder, or printed by a
// program), and the tool's built-in models when the project's revision graph holds their
// revisions.
#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "retort/migrate.hpp"
#include "retort/schema.hpp"

namespace retort::cli {

struct ComparedModels {
  schema::MetaData metadata;
  // The built-in models alone: the database's other tables are left out of the comparison.
  bool model_tables_only = false;
  // Where they came from, for the log: "C++ models (2 tables)", "schema.sql (3 tables)".
  std::vector<std::string> sources;
};

// The models for a comparison against a `dialect` database in the project `settings` describe.
// Throws CommandLineError (exit code 2) saying how to declare models when there are none;
// ConfigError for unreadable schema files, a failing [models] command (with its stderr), SQL
// that fails (file and line), and a table declared twice with different definitions.
ComparedModels compared_models(Context& context, Dialect dialect,
                               const migrate::Settings& settings);

}  // namespace retort::cli

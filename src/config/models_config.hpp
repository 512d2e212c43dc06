// The [models] table of retort.toml: the desired schema for `revision --autogenerate` and
// `check` when it is not (only) in C++ models.
//
//   [models]
//   schema = "schema.sql"              # a file, or a folder of *.sql files read in name order
//   command = "python3 dump_models.py" # or: a program that prints that SQL on stdout
//   dev_url = "postgresql://dev@localhost/postgres"   # PostgreSQL targets: where the scratch
//                                                     # database is created (env:, file:, vault:)
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "config/reference.hpp"
#include "retort/settings.hpp"

namespace retort::config {

struct ModelsConfig {
  std::filesystem::path file;                   // the retort.toml it was read from
  std::filesystem::path directory;              // the project's: the file's folder
  std::optional<std::filesystem::path> schema;  // relative paths resolved against directory
  std::optional<std::string> command;           // run by /bin/sh in directory
  std::optional<DatabaseUrl> dev_url;           // a PostgreSQL server for the scratch database
  std::string dev_url_origin;                   // "FILE:LINE:COL: models.dev_url"
};

// Reads [models] of `file`. nullopt when the file has none. Throws ConfigError starting
// "FILE:LINE:COL: " for a syntax error, an unknown key, a value of the wrong type, an empty
// schema or command, an unresolvable reference or a dev_url that is not a PostgreSQL URL. A
// table that names neither schema nor command is an error too: it would declare no models.
std::optional<ModelsConfig> read_models_config(const std::filesystem::path& file,
                                               const EnvLookup& env, ReferenceLog* log = nullptr);

}  // namespace retort::config

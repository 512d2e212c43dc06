// The migration environment: the [migrations] table of retort.toml, and where retort's own
// files (built-in migrations, init templates) are.
//
//   [migrations]
//   script_location = "migrations"          # relative to the config file's directory
//   version_locations = ["migrations/versions", "shared/versions"]   # default:
//   <script_location>/versions version_table = "retort_version"        # "alembic_version" takes
//   over an Alembic database history_table = "retort_history" progress_table = "retort_progress"
//   transaction_per_migration = true        # false: one transaction for the whole run
//   lock_timeout = "5s"                     # PostgreSQL SET lock_timeout; "0" = none
//   statement_timeout = "0"                 # PostgreSQL SET statement_timeout; "0" = none
//   lock_wait_timeout = "5min"              # waiting for another migrating process
//   advisory_lock_id = 4242                 # default: derived from schema + version table
//   file_template = "%(rev)s_%(slug)s"
//   truncate_slug_length = 40
//   revision_template = "script.sql.tmpl"   # relative to script_location
//   verify_checksums = true
//   header_cache = true                      # <versions>/.retort-cache of parsed headers
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "retort/migrate.hpp"

namespace retort::migrate {

// Reads [migrations] of `file`. nullopt when the file has no [migrations] table or it sets no
// script_location. Throws ConfigError "FILE:LINE:COL: ..." for unknown keys and bad values.
std::optional<Settings> read_migrations_config(const std::filesystem::path& file);

// Where retort's shared files are (holds migrations/ and templates/), for a migration tool
// whose executable is not installed next to them (retort::cli::Tool::data_dir). Looked in
// first; empty clears it. Call before any command runs (not thread-safe).
void set_shared_dir(const std::filesystem::path& dir);

// The directory of retort's built-in migrations (holds versions/): set_shared_dir's, else
// <exe>/../share/retort/migrations, else the source tree's migrations/, else the configured
// install prefix's share/retort/migrations. Throws ConfigError if none exists.
std::filesystem::path builtin_migrations_dir();

// The directory holding the `init` templates (one sub-directory each): <exe>/../share/retort/
// templates, else the source tree's templates/. Throws ConfigError if neither exists.
std::filesystem::path templates_dir();

// Is `name` usable unquoted in SQL (lowercase letters, digits, '_', not starting with a digit)?
bool is_plain_identifier(std::string_view name);
// `name` as it goes into SQL: as is when plain, else double-quoted.
std::string sql_identifier(std::string_view name);

}  // namespace retort::migrate

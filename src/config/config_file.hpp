// The [database] table of retort.toml.
#pragma once

#include <filesystem>
#include <optional>

#include "config/reference.hpp"
#include "retort/settings.hpp"

namespace retort::config {

// The database the file's [database] table names, either as `url = "..."` or as the components
// user, password, host, port, name; the TLS settings sslmode, sslrootcert, sslcert, sslkey,
// sslpassword may accompany either. Every string may be a reference (env:, file:, vault:;
// followed references are appended to `log`). nullopt when the file has no (or an empty)
// [database] table; other tables ([migrations], ...) belong to other readers and are ignored.
// Throws ConfigError starting "FILE:LINE:COL: " for a syntax error, an unknown key, a value of
// the wrong type, an unresolvable reference or a malformed URL.
std::optional<DatabaseUrl> read_database_config(const std::filesystem::path& file,
                                                const EnvLookup& env, ReferenceLog* log = nullptr);

// The [database] settings that accompany the URL.
struct RoleConfig {
  std::optional<DatabaseUrl> replica;    // replica_url
  std::optional<DatabaseUrl> migration;  // migration_url
  std::optional<PoolMode> pool_mode;     // pool_mode
};

// Reads replica_url, migration_url (URLs or references) and pool_mode from the file's
// [database] table, checked against the dialect of the database URL they accompany (`main`).
// nullopt without a [database] table. Throws ConfigError starting "FILE:LINE:COL: ".
std::optional<RoleConfig> read_role_config(const std::filesystem::path& file, Dialect main,
                                           const EnvLookup& env, ReferenceLog* log = nullptr);

// Throws ConfigError (naming `setting`) unless url is a PostgreSQL URL beside a PostgreSQL
// database URL: replicas and migration URLs are PostgreSQL's.
void check_role_url(const DatabaseUrl& url, Dialect main, std::string_view setting);

// "session" or "transaction" (PgBouncer's pool_mode words); "transaction" only beside a
// PostgreSQL URL. Throws ConfigError naming `setting` otherwise.
PoolMode parse_pool_mode(std::string_view text, Dialect main, std::string_view setting);

}  // namespace retort::config

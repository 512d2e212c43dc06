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

}  // namespace retort::config

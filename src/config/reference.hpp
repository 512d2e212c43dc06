// Settings that point elsewhere instead of holding the value:
//
//   env:NAME                  the environment variable NAME
//   file:/run/secrets/db_pw   the file's content, trailing newlines removed (container secrets)
//   vault:secret/data/app/db#password
//                             field `password` of the Vault secret at that API path (KV version
//                             2 paths include data/; "?version=N" may follow the path)
//   literal:TEXT              TEXT itself (for a value that starts like a reference)
//
// All indirection goes through resolve_reference: every setting (URL, user, password, TLS
// files...) accepts every form. Vault answers are cached per process (secret_cache.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::config {

// Environment lookup; nullopt when the variable is unset or empty (an empty variable, as
// docker-compose leaves behind for `DB_PORT=`, means "not set").
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// Which forms resolve_reference follows. `local` leaves out Vault, for the settings that
// configure Vault itself (VAULT_SECRET_ID=file:...).
enum class ReferenceKinds { all, local };

// Where resolved references came from, for `retort settings`: "DB_PASSWORD <- file:/x".
// References name places, never values, so these lines are safe to print.
using ReferenceLog = std::vector<std::string>;

// True if value is one of the forms above.
bool is_reference(std::string_view value) noexcept;

// The value a setting stands for: the resolved reference, or value itself when it is not one.
// Throws ConfigError naming `setting` (e.g. "DB_PASSWORD", "database.url") and the reference,
// never the resolved value. Appends a line to `log` for each reference followed.
std::string resolve_reference(std::string_view value, const EnvLookup& env,
                              std::string_view setting, ReferenceLog* log = nullptr,
                              ReferenceKinds kinds = ReferenceKinds::all);

// A secret file's content without trailing CR/LF. Throws ConfigError naming `setting` and the
// path when it is missing, unreadable, empty or larger than 64 KiB.
std::string read_secret_file(const std::string& path, std::string_view setting);

}  // namespace retort::config

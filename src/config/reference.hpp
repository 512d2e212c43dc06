// Settings that point elsewhere instead of holding the value: "env:NAME".
//
// All indirection goes through resolve_reference so that later forms (file:, vault:) are added
// in one place.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace retort::config {

// Environment lookup; nullopt when the variable is unset or empty (an empty variable, as
// docker-compose leaves behind for `DB_PORT=`, means "not set").
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The value a setting stands for: "env:NAME" is the value of NAME; anything else is itself.
// Throws ConfigError (without the setting's location, which the caller adds) when the reference
// cannot be resolved. `setting` names the setting for the message, e.g. "database.url".
std::string resolve_reference(std::string_view value, const EnvLookup& env,
                              std::string_view setting);

}  // namespace retort::config

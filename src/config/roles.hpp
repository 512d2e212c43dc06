// The settings that accompany the database URL (replica, migration URL, pool mode).
#pragma once

#include <filesystem>
#include <optional>

#include "config/reference.hpp"
#include "retort/settings.hpp"

namespace retort::config {

// Fills resolved.replica, .migration and .pool_mode from the place resolved.url came from: the
// environment (RETORT_REPLICA_URL, RETORT_MIGRATION_URL, RETORT_POOL_MODE) for a URL from the
// environment, config_file's [database] for one from the file, nothing for an explicit URL or
// the default. Then, without a replica, derives one from a multi-host URL that targets the
// primary (target_session_attrs=read-write or primary). References followed are appended to
// resolved.references. Throws ConfigError naming the setting.
void resolve_roles(ResolvedUrl& resolved, const EnvLookup& env,
                   const std::optional<std::filesystem::path>& config_file);

}  // namespace retort::config

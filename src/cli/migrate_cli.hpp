// What the migration commands (migrate_commands.cpp, migrate_info_commands.cpp) share.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "cli/context.hpp"
#include "retort/migrate.hpp"

namespace retort::cli {

// The [migrations] settings for this invocation (-c/--config, $RETORT_CONFIG, ./retort.toml,
// else retort's built-in migrations).
migrate::Settings migrate_settings(Context& context);

// Options for the API: settings, and progress lines on stderr as Alembic logs them
// ("INFO  [retort.runtime.migration] Running upgrade a1 -> b2, message"), unless --quiet.
migrate::MigrateOptions migrate_options(Context& context);

// "INFO  [retort.runtime.migration] <line>" on stderr (not with --quiet).
void info_line(Context& context, std::string_view line);

void add_migrate_info_commands(CLI::App& app, Context& context, Command& run);

}  // namespace retort::cli

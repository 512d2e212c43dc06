// What the migration commands (migrate_commands.cpp, migrate_info_commands.cpp) share.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "cli/context.hpp"
#include "migrate/script/scaffold.hpp"
#include "retort/migrate.hpp"

namespace retort::cli {

// The [migrations] settings for this invocation (-c/--config, $RETORT_CONFIG, ./retort.toml,
// else retort's built-in migrations).
migrate::Settings migrate_settings(Context& context);

// Options for the API: settings, and progress lines on stderr as Alembic logs them
// ("INFO  [retort.runtime.migration] Running upgrade a1 -> b2, message"), unless --quiet.
migrate::MigrateOptions migrate_options(Context& context);

// "INFO  [retort.runtime.migration] <line>" on stderr (not with --quiet; a JSON object with
// --log-format json).
void info_line(Context& context, std::string_view line);

// Whether to draw progress: stderr is a terminal, no --quiet, text logs.
bool progress_on_terminal(const Context& context);

void add_migrate_info_commands(CLI::App& app, Context& context, Command& run);

// `revision --autogenerate` and `check` options (autogenerate_commands.cpp).
struct AutogenerateFlags {
  bool autogenerate = false;
  bool sql = false;                 // print the file(s) instead of writing
  bool renames = false;             // every probable rename as RENAME
  std::vector<std::string> rename;  // "table.old:new" or "old_table:new_table"
  bool plain = false;               // PostgreSQL DDL without the online-safe forms
  std::vector<std::string> exclude_tables;
  std::string schema;
};
void add_autogenerate_options(CLI::App& revision, AutogenerateFlags& flags);

// Compares the database with context.models and writes (or with --sql prints) the revision
// file(s) for `request` (message, head, rev id); prints what was detected.
int run_autogenerate(Context& context, const migrate::RevisionRequest& request,
                     const AutogenerateFlags& flags);

}  // namespace retort::cli

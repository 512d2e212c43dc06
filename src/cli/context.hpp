// What every command shares: the global options and the database they select.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "retort/database.hpp"
#include "retort/operations.hpp"
#include "retort/schema.hpp"
#include "retort/settings.hpp"

namespace CLI {
class App;
}

namespace retort::cli {

struct GlobalOptions {
  std::optional<std::string> url;
  std::optional<std::string> config;
  bool verbose = false;
  bool quiet = false;
  std::string log_format = "text";  // text | json (--log-format)
};

class Context {
 public:
  GlobalOptions options;
  // What `revision --autogenerate` and `check` compare the database with (retort::cli::main's;
  // [models] of retort.toml adds to them: cli/declared_models.hpp).
  const schema::MetaData* models = nullptr;
  // Tool::builtin_models and builtin_revision: models for the tables of a revision chain, built
  // on demand.
  std::function<schema::MetaData()> builtin_models;
  std::string builtin_revision;
  // Revisions written in C++ that join the environment's revision files (retort::cli::Tool's).
  const std::vector<migrate::CppRevision>* revisions = nullptr;

  // The C++ revisions (none when the tool has none).
  const std::vector<migrate::CppRevision>& cpp_revisions() const;

  // Resolves the database (once); with --verbose, says on stderr which setting decided it.
  const ResolvedUrl& resolved();
  // The selected database for a command that stores or reads anything in it. Throws
  // UsageError for "sqlite://" / "sqlite:///": an in-memory database the URL did not spell out
  // would silently lose what the command stores when retort exits.
  const DatabaseUrl& lasting_url();
  // Opens lasting_url() with a small pool; behind a transaction pooler (pool_mode) every
  // statement is sent unnamed, as such a pooler requires.
  Database open_database();
  // For reads that may be slightly stale (events list/find/stats, history): the replica when the
  // settings name one (docs/replicas.md), else open_database().
  Database open_read_database();
  // For migrations, which hold a session-level advisory lock: the migration URL when the
  // settings name one. Throws ConfigError when the database URL goes through a transaction
  // pooler (pool_mode = transaction) and no migration URL is set.
  Database open_migration_database();

 private:
  std::optional<ResolvedUrl> resolved_;
};

using Command = std::function<int()>;

// Each registers a subcommand on app; when it is chosen, parsing stores its action in `run`.
void add_settings_command(CLI::App& app, Context& context, Command& run);
void add_ping_command(CLI::App& app, Context& context, Command& run);
void add_sql_command(CLI::App& app, Context& context, Command& run);
void add_demo_command(CLI::App& app, Context& context, Command& run);
// init, revision, merge, upgrade, downgrade, stamp (migrate_commands.cpp); current, heads,
// history... are add_migrate_info_commands (migrate_cli.hpp).
void add_migrate_commands(CLI::App& app, Context& context, Command& run);
void add_check_command(CLI::App& app, Context& context, Command& run);  // autogenerate_commands.cpp
void add_events_command(CLI::App& app, Context& context, Command& run);  // events_command.cpp
// `events work|stats|retry|patch|backfill` under the events group (processing_commands.cpp).
void add_processing_commands(CLI::App& events_group, Context& context, Command& run);
// `events partitions|retain` under the events group (partition_commands.cpp).
void add_partition_commands(CLI::App& events_group, Context& context, Command& run);
void add_grants_command(CLI::App& app, Context& context, Command& run);  // security_commands.cpp
// `completion bash|zsh|fish` and the hidden `__complete-revisions` (completion_command.cpp).
void add_completion_command(CLI::App& app, Context& context, Command& run);
void add_import_command(CLI::App& app, Context& context, Command& run);  // import_command.cpp
// Hidden: crashes on purpose (redaction tests of the terminate handler).
void add_crash_check_command(CLI::App& app, Context& context, Command& run);

}  // namespace retort::cli

// retort::cli::main: the command line, for the stock binary and for users' own migration tools.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string_view>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/migrate_cli.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "migrate/script/environment.hpp"
#include "retort/cli.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/processing.hpp"
#include "retort/repository.hpp"

namespace retort::cli {

const ResolvedUrl& Context::resolved() {
  if (!resolved_) {
    SettingsInputs inputs;
    inputs.explicit_url = options.url;
    if (options.config) inputs.config_path = *options.config;
    resolved_ = resolve_database_url(inputs);
    if (options.verbose) {
      std::cerr << "database: " << resolved_->url.redacted() << " (from " << resolved_->origin
                << ")\n";
    }
  }
  return *resolved_;
}

const std::vector<migrate::CppRevision>& Context::cpp_revisions() const {
  static const std::vector<migrate::CppRevision> none;
  return revisions != nullptr ? *revisions : none;
}

const DatabaseUrl& Context::lasting_url() {
  const ResolvedUrl& r = resolved();
  if (r.url.memory_implied()) {
    throw UsageError(fmt::format(
        "the database URL (from {}) names an in-memory SQLite database, which is gone when "
        "retort exits: write sqlite:///file.db for a file, or sqlite://:memory: if an in-memory "
        "database is really meant",
        r.origin));
  }
  return r.url;
}

namespace {

DatabaseOptions cli_database_options(PoolMode mode) {
  DatabaseOptions db_options;
  db_options.pool.max_size = 4;
  // A transaction pooler hands each transaction another server session, which does not have
  // this connection's prepared statements (or has another client's of the same name).
  db_options.connection.prepared_statements = mode != PoolMode::transaction;
  return db_options;
}

}  // namespace

Database Context::open_database() {
  const DatabaseUrl& url = lasting_url();
  return Database(url, cli_database_options(resolved().pool_mode));
}

Database Context::open_read_database() {
  const ResolvedUrl& r = resolved();
  if (!r.replica) return open_database();
  lasting_url();  // the same refusal as every command's
  // A replica is reached directly: pool_mode describes the database URL's path only.
  return Database(r.replica->url, cli_database_options(PoolMode::session));
}

Database Context::open_migration_database() {
  const ResolvedUrl& r = resolved();
  if (r.migration) {
    lasting_url();
    return Database(r.migration->url, cli_database_options(PoolMode::session));
  }
  if (r.pool_mode == PoolMode::transaction) {
    throw ConfigError(fmt::format(
        "migrations hold a session-level advisory lock, and the database URL goes through a "
        "transaction pooler (pool_mode = transaction, from {}): set a direct URL for them "
        "(RETORT_MIGRATION_URL, or migration_url in [database]; docs/replicas.md)",
        r.pool_mode_origin));
  }
  return open_database();
}

namespace {

// What a crash prints: the exception that reached std::terminate (from a thread, a noexcept
// function, a destructor), scrubbed like every other message, then abort for a core dump.
[[noreturn]] void on_terminate() noexcept {
  std::string what = "unknown cause";
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
  }
  const std::string line = "retort: fatal: " + redact::scrub(what) + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

// Masks what a message may quote of the command line: registered secrets, and URL passwords too
// short for scrub().
std::string scrubbed(std::string_view message) {
  return redact::scrub(redact::mask_url_passwords(message));
}

// "retort: error: ..." on stderr: red on a terminal (unless NO_COLOR), a JSON object with
// --log-format json. Messages are scrubbed once more: a secret must not leak even from an
// unexpected path.
void print_error(std::string_view kind, const std::string& message) {
  const std::string text = scrubbed(message);
  if (log::format() == log::Format::json) {
    std::cerr << log::json_line(log::Level::error, fmt::format("{}: {}", kind, text));
  } else if (log::stderr_is_colour_terminal()) {
    std::cerr << "\033[1;31mretort: " << kind << ":\033[0m " << text << '\n';
  } else {
    std::cerr << "retort: " << kind << ": " << text << '\n';
  }
}

// One line saying what is wrong, one saying where to look: exit code 2. The message passes
// through redaction (an unexpected argument may be a URL with a password).
int usage_error(const CLI::App& app, const std::string& what) {
  const CLI::App* command = &app;
  while (true) {
    const auto chosen = command->get_subcommands();
    if (chosen.empty()) break;
    command = chosen.front();
  }
  std::string path;
  for (const CLI::App* c = command; c != nullptr && c->get_parent() != nullptr;
       c = c->get_parent()) {
    path = " " + c->get_name() + path;
  }
  print_error("usage error", what);
  std::cerr << "hint: run 'retort" << path << " --help' for the options\n";
  return kUsage;
}

// The top-level subcommands, in the order --help lists them, with the function that adds each
// group. Building the whole tree (about fifty commands and their options, validators and help
// text) took about a third of retort's start-up (docs/benchmarks.md "Start-up"), so run_cli
// adds only the group of the command on the command line.
struct CommandGroup {
  std::initializer_list<std::string_view> names;
  void (*add)(CLI::App& app, Context& context, Command& run);
};
const std::initializer_list<CommandGroup> kCommandGroups = {
    {{"settings"}, add_settings_command},
    {{"ping"}, add_ping_command},
    {{"sql"}, add_sql_command},
    {{"demo"}, add_demo_command},
    {{"init", "revision", "merge", "upgrade", "downgrade", "stamp"}, add_migrate_commands},
    {{"current", "history", "heads", "branches", "show", "edit", "verify", "list_templates",
      "graph"},
     add_migrate_info_commands},
    {{"check"}, add_check_command},
    {{"events"}, add_events_command},
    {{"grants"}, add_grants_command},
    {{"internal-crash-check"}, add_crash_check_command},
    {{"completion", "__complete-revisions"}, add_completion_command},
    {{"import"}, add_import_command},
};

// The subcommand named on the command line: the first argument that is neither an option nor
// the value of one of app's (global) options. Empty when there is none.
std::string_view chosen_command(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return {};
    if (arg.empty() || arg.front() != '-' || arg == "-") return arg;
    if (arg.find('=') != std::string_view::npos) continue;  // --url=VALUE
    const CLI::Option* option = app.get_option_no_throw(std::string(arg));
    if (option != nullptr && option->get_type_size() > 0) ++i;  // its value follows
  }
  return {};
}

bool has_subcommand(CLI::App& app, std::string_view name) {
  return !app.get_subcommands([name](CLI::App* c) { return c->check_name(std::string(name)); })
              .empty();
}

bool asks_for_version_only(int argc, char** argv) {
  bool version = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help" || arg == "--help-all") return false;
    version = version || arg == "--version";
  }
  return version;
}

// Adds the group of the chosen command; every group when the command line names none (--help
// lists them all), when it names one no group has (CLI11 then reports it as before), and for
// `completion`, which is generated from the whole tree. `--version` alone needs none.
void add_commands(CLI::App& app, Context& context, Command& run, int argc, char** argv) {
  const std::string_view chosen = chosen_command(app, argc, argv);
  if (chosen.empty() && asks_for_version_only(argc, argv)) return;
  const bool everything = chosen.empty() || chosen == "completion";
  bool added = false;
  if (!everything) {
    for (const CommandGroup& group : kCommandGroups) {
      if (std::find(group.names.begin(), group.names.end(), chosen) == group.names.end()) continue;
      group.add(app, context, run);
      added = has_subcommand(app, chosen);
      break;
    }
  }
  if (added) return;
  for (const CommandGroup& group : kCommandGroups) {
    if (!everything &&
        std::find(group.names.begin(), group.names.end(), chosen) != group.names.end()) {
      continue;  // added above, without the command: the table is out of date; add the rest
    }
    group.add(app, context, run);
  }
}

int run_cli(int argc, char** argv, const Tool& tool) {
  CLI::App app{
      "retort: schema migrations, a typed data layer and an event store for PostgreSQL and "
      "SQLite.\nWith no database configured, retort uses the SQLite file retort.db here."};
  app.set_version_flag("--version", std::string(RETORT_VERSION));
  Context context;
  context.models = &tool.models;
  context.revisions = &tool.revisions;
  context.builtin_models = tool.builtin_models;
  context.builtin_revision = tool.builtin_revision;
  app.add_option("--url", context.options.url,
                 "Database URL (postgresql://user@host/db, sqlite:///file.db, ...); overrides "
                 "RETORT_DATABASE_URL, DATABASE_URL, DB_* variables and the config file");
  app.add_option("-c,--config", context.options.config,
                 "Config file (default: $RETORT_CONFIG, else ./retort.toml if present)");
  app.add_flag("-v,--verbose", context.options.verbose,
               "Say which setting chose the database; log each step");
  app.add_flag("-q,--quiet", context.options.quiet, "Print errors only");
  app.add_option("--log-format", context.options.log_format,
                 "Log lines on stderr as text, or as JSON objects (one per line) for a collector")
      ->check(CLI::IsMember({"text", "json"}))
      ->option_text("text|json");
  app.require_subcommand(1);
  // Global options anywhere: `retort upgrade head -q` as well as `retort -q upgrade head`. A
  // subcommand's own option of the same name (`current -v`) is matched first, as in Alembic.
  // Set before the subcommands are added: they inherit it.
  app.fallthrough();

  Command run;
  add_commands(app, context, run, argc, argv);

  // Before parsing: a password in any argument is known even when parsing fails.
  for (int i = 1; i < argc; ++i) redact::register_secrets_in(argv[i]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  }
  log::set_format(context.options.log_format == "json" ? log::Format::json : log::Format::text);
  log::set_level(context.options.quiet     ? log::Level::error
                 : context.options.verbose ? log::Level::info
                                           : log::Level::warn);
  return run();
}

}  // namespace

int main(int argc, char** argv, const Tool& tool) {
  std::set_terminate(on_terminate);
  try {
    if (!tool.data_dir.empty()) migrate::set_shared_dir(tool.data_dir);
    return run_cli(argc, argv, tool);
  } catch (const CommandLineError& e) {
    print_error("usage error", e.what());
    return kUsage;
  } catch (const Error& e) {
    print_error("error", e.what());
    return kError;
  } catch (const std::exception& e) {
    print_error(
        "internal error",
        std::string(e.what()) +
            "\n(this is a bug in retort: please report it with the command that caused it)");
    return kInternal;
  }
}

int main(int argc, char** argv, const schema::MetaData& models) {
  Tool tool;
  tool.models = models;
  return main(argc, argv, tool);
}

schema::MetaData builtin_models() {
  return events::builtin_schema();
}

Tool stock_tool() {
  Tool tool;
  tool.builtin_models = builtin_models;
  tool.builtin_revision = "4f3c2a1b9d07";  // migrations/versions: create events table
  return tool;
}

}  // namespace retort::cli

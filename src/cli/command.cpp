// retort::cli::main: the command line, for the stock binary and for users' own migration tools.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/context.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "migrate/environment.hpp"
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

Database Context::open_database() {
  DatabaseOptions db_options;
  db_options.pool.max_size = 4;
  return Database(resolved().url, db_options);
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

int run_cli(int argc, char** argv, const Tool& tool) {
  CLI::App app{
      "retort: schema migrations, a typed data layer and an event store for PostgreSQL and "
      "SQLite.\nWith no database configured, retort uses the SQLite file retort.db here."};
  app.set_version_flag("--version", std::string(RETORT_VERSION));
  Context context;
  context.models = &tool.models;
  context.revisions = &tool.revisions;
  app.add_option("--url", context.options.url,
                 "Database URL (postgresql://user@host/db, sqlite:///file.db, ...); overrides "
                 "RETORT_DATABASE_URL, DATABASE_URL, DB_* variables and the config file");
  app.add_option("-c,--config", context.options.config,
                 "Config file (default: $RETORT_CONFIG, else ./retort.toml if present)");
  app.add_flag("-v,--verbose", context.options.verbose,
               "Say which setting chose the database; log each step");
  app.add_flag("-q,--quiet", context.options.quiet, "Print errors only");
  app.require_subcommand(1);

  Command run;
  add_settings_command(app, context, run);
  add_ping_command(app, context, run);
  add_sql_command(app, context, run);
  add_demo_command(app, context, run);
  add_migrate_commands(app, context, run);
  add_events_command(app, context, run);
  add_grants_command(app, context, run);
  add_crash_check_command(app, context, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
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
  } catch (const Error& e) {
    // Messages are scrubbed once more: a secret must not leak even from an unexpected path.
    std::cerr << "retort: error: " << redact::scrub(e.what()) << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "retort: internal error: " << redact::scrub(e.what()) << '\n';
    return 3;
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

}  // namespace retort::cli

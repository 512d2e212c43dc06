#include "cli/declared_models.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/exit_code.hpp"
#include "cli/subprocess.hpp"
#include "config/models_config.hpp"
#include "migrate/command/declared_schema.hpp"
#include "migrate/command/project.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHowToDeclare =
    "Declare the models the database should match in retort.toml: [models] schema = "
    "\"schema.sql\" (the desired schema in SQL, a file or a folder of .sql files), or [models] "
    "command = \"python3 dump_models.py\" (a program that prints that SQL, e.g. SQLAlchemy's "
    "CreateTable for each model), or build a migration tool with C++ models "
    "(retort::cli::main, docs/autogenerate.md)";

std::optional<std::string> getenv_value(const char* name) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return std::nullopt;
  return std::string(raw);
}

std::optional<config::ModelsConfig> models_config(const Context& context) {
  SettingsInputs inputs;
  if (context.options.config) inputs.config_path = *context.options.config;
  const std::optional<fs::path> file = find_config_file(inputs);
  if (!file) return std::nullopt;
  return config::read_models_config(*file, getenv_value);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the models' SQL", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The schema file, or the .sql files of the folder in name order.
std::vector<autogenerate::SqlSource> schema_sources(const config::ModelsConfig& config) {
  const fs::path& path = *config.schema;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw ConfigError(
        fmt::format("{}: models.schema: '{}' not found", config.file.string(), path.string()));
  }
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(path)) {
      if (entry.is_regular_file() && entry.path().extension() == ".sql") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw ConfigError(fmt::format("{}: models.schema: the folder '{}' has no .sql files",
                                    config.file.string(), path.string()));
    }
  } else {
    files.push_back(path);
  }
  std::vector<autogenerate::SqlSource> out;
  for (const fs::path& f : files) out.push_back({f.string(), read_text(f)});
  return out;
}

autogenerate::SqlSource command_output(Context& context, const config::ModelsConfig& config,
                                       Dialect dialect) {
  const std::string& command = *config.command;
  ProgramOptions options;
  options.working_directory =
      fs::absolute(config.directory.empty() ? fs::path(".") : config.directory).lexically_normal();
  options.environment = {{"RETORT_DIALECT", std::string(dialect_name(dialect))}};
  const Finished done = run_program({"/bin/sh", "-c", command}, options);
  const std::string where = fmt::format("[models] command `{}` (in {}, from {})", command,
                                        options.working_directory.string(), config.file.string());
  if (done.exit_code != 0) {
    throw ConfigError(fmt::format("{} failed with exit code {}{}", where, done.exit_code,
                                  done.err.empty() ? "" : ":\n" + done.err));
  }
  if (done.out.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw ConfigError(fmt::format("{} printed no SQL on stdout{}", where,
                                  done.err.empty() ? "" : " (stderr: " + done.err + ")"));
  }
  if (!done.err.empty() && !context.options.quiet) {
    std::cerr << "WARNING [retort.autogenerate] " << where << " wrote on stderr:\n"
              << done.err << '\n';
  }
  return {"output of `" + command + "`", done.out};
}

std::string count(const schema::MetaData& m) {
  return fmt::format("{} table{}", m.tables.size(), m.tables.size() == 1 ? "" : "s");
}

// Adds `more`'s tables and enum types to `into`; a name both declare is a ConfigError unless
// `keep_existing` (the built-in models give way to the project's).
void merge(schema::MetaData& into, const schema::MetaData& more, std::string_view what,
           bool keep_existing) {
  for (const schema::Table& t : more.tables) {
    if (into.find_table(t.name) == nullptr) {
      into.tables.push_back(t);
    } else if (!keep_existing) {
      throw ConfigError(fmt::format(
          "the table {} is declared twice: by {} and by the models before it; declare each "
          "table once",
          t.name, what));
    }
  }
  for (const schema::EnumType& e : more.enums) {
    if (into.find_enum(e.name) == nullptr) into.enums.push_back(e);
  }
}

bool graph_holds(const Context& context, const migrate::Settings& settings,
                 const std::string& revision) {
  const migrate::RevisionMap map = migrate::load_map(settings, context.cpp_revisions());
  return map.find(revision) != migrate::kNone;
}

}  // namespace

ComparedModels compared_models(Context& context, Dialect dialect,
                               const migrate::Settings& settings) {
  ComparedModels out;
  if (context.models != nullptr &&
      (!context.models->tables.empty() || !context.models->enums.empty())) {
    out.metadata = *context.models;
    out.sources.push_back("C++ models (" + count(out.metadata) + ")");
  }
  if (const std::optional<config::ModelsConfig> config = models_config(context)) {
    std::vector<autogenerate::SqlSource> sources;
    if (config->schema) sources = schema_sources(*config);
    if (config->command) sources.push_back(command_output(context, *config, dialect));
    std::optional<autogenerate::DevServer> dev;
    if (config->dev_url) dev = autogenerate::DevServer{*config->dev_url, config->dev_url_origin};
    const schema::MetaData declared = autogenerate::reflect_declared_schema(sources, dialect, dev);
    std::string names;
    for (const autogenerate::SqlSource& s : sources) names += (names.empty() ? "" : ", ") + s.name;
    merge(out.metadata, declared, "[models] of " + config->file.string(), false);
    out.sources.push_back(names + " (" + count(declared) + ")");
  }
  if (context.builtin_models && graph_holds(context, settings, context.builtin_revision)) {
    const bool alone = out.sources.empty();
    const schema::MetaData builtin = context.builtin_models();
    merge(out.metadata, builtin, "retort's built-in models", true);
    out.model_tables_only = alone;
    out.sources.push_back(
        fmt::format("retort's built-in events models ({}; revision {} is in "
                    "the graph{})",
                    count(builtin), context.builtin_revision, alone ? ", their tables only" : ""));
  }
  if (out.sources.empty()) {
    throw CommandLineError(fmt::format(
        "no models to compare the database with: this project declares none, and retort "
        "never compares against an empty model (it would propose dropping every table). {}",
        kHowToDeclare));
  }
  return out;
}

}  // namespace retort::cli

// `retort import alembic`: moving an Alembic project over (docs/adopting.md).
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/import_alembic.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;

enum class Format { text, json, jsonl };

std::string sections_text(const std::vector<IncompleteSection>& sections) {
  std::string out;
  for (const IncompleteSection& s : sections) {
    out += fmt::format("\n    {} on {}: {}", s.direction, s.dialect, s.reason);
  }
  return out;
}

void print_text(const AlembicImport& result) {
  std::size_t incomplete = 0;
  for (const ImportedRevision& rev : result.revisions) {
    if (!rev.incomplete.empty()) ++incomplete;
    std::cout << fmt::format("{} <- {}: {}{}\n", rev.file.string(),
                             rev.alembic_file.filename().string(), rev.message,
                             rev.incomplete.empty() ? "" : " (INCOMPLETE)");
  }
  std::string dialects;
  for (const std::string& d : result.dialects) dialects += (dialects.empty() ? "" : ", ") + d;
  std::cout << fmt::format(
      "Imported {} revision(s) for {} (Alembic {}); wrote {} with version_table = \"{}\"\n",
      result.revisions.size(), dialects, result.alembic_version, result.config.string(),
      result.version_table);
  for (const std::string& warning : result.warnings) std::cerr << "warning: " << warning << '\n';
  if (incomplete == 0) return;
  std::cerr << fmt::format(
      "{} revision(s) could not be rendered by Alembic without reading the database; their files "
      "refuse to run until you write the missing SQL (see the comments in each):\n",
      incomplete);
  for (const ImportedRevision& rev : result.revisions) {
    if (rev.incomplete.empty()) continue;
    std::error_code ec;
    fs::path alembic_file = fs::proximate(rev.alembic_file, ec);
    if (ec) alembic_file = rev.alembic_file;
    std::cerr << fmt::format("  {} ({}, from {}){}\n", rev.id, rev.file.string(),
                             alembic_file.string(), sections_text(rev.incomplete));
  }
}

nlohmann::json revision_json(const ImportedRevision& rev) {
  nlohmann::json incomplete = nlohmann::json::array();
  for (const IncompleteSection& s : rev.incomplete) {
    incomplete.push_back(
        {{"direction", s.direction}, {"dialect", s.dialect}, {"reason", s.reason}});
  }
  return {{"revision", rev.id},
          {"message", rev.message},
          {"file", rev.file.string()},
          {"alembic_file", rev.alembic_file.string()},
          {"incomplete", incomplete}};
}

void print_json(const AlembicImport& result, Format format) {
  constexpr auto replace = nlohmann::json::error_handler_t::replace;
  nlohmann::json revisions = nlohmann::json::array();
  for (const ImportedRevision& rev : result.revisions) revisions.push_back(revision_json(rev));
  if (format == Format::jsonl) {
    for (const nlohmann::json& rev : revisions)
      std::cout << rev.dump(-1, ' ', false, replace) << '\n';
    return;
  }
  const nlohmann::json document = {{"alembic", result.alembic_version},
                                   {"sqlalchemy", result.sqlalchemy_version},
                                   {"dialects", result.dialects},
                                   {"config", result.config.string()},
                                   {"version_table", result.version_table},
                                   {"warnings", result.warnings},
                                   {"revisions", revisions}};
  std::cout << document.dump(-1, ' ', false, replace) << '\n';
}

void add_import_alembic(CLI::App& import, Context& context, Command& run) {
  CLI::App* cmd = import.add_subcommand(
      "alembic",
      "Convert every revision of an Alembic project into a retort revision file (the SQL comes "
      "from Alembic, run by --python) and write a retort.toml that continues Alembic's version "
      "table");
  struct Options {
    AlembicImportOptions import;
    Format format = Format::text;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("-c,--config", o->import.alembic_ini, "The Alembic configuration file")
      ->capture_default_str();
  cmd->add_option("--dialect", o->import.dialects,
                  "Dialect to render (repeatable; default: the dialect of alembic.ini's "
                  "sqlalchemy.url, else both)")
      ->check(CLI::IsMember({"postgresql", "sqlite"}));
  cmd->add_option("--python", o->import.python,
                  "Python interpreter that can import Alembic, the project's env.py and its "
                  "dependencies")
      ->capture_default_str();
  cmd->add_option("--output", o->import.output,
                  "The retort migration environment to create (its versions/ gets the files)")
      ->capture_default_str();
  const std::map<std::string, Format> formats{
      {"text", Format::text}, {"json", Format::json}, {"jsonl", Format::jsonl}};
  cmd->add_option("--format", o->format,
                  "Output: text (for people), json (one document), jsonl (one object per line)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->option_text("text|json|jsonl");
  cmd->callback([&, o] {
    run = [&, o] {
      // The global -c/--config (before `import`) names the retort.toml to write.
      o->import.config =
          context.options.config ? fs::path(*context.options.config) : fs::path("retort.toml");
      const std::string document = run_alembic_export(o->import);
      const AlembicImport result = write_alembic_import(document, o->import);
      if (o->format == Format::text) {
        print_text(result);
      } else {
        print_json(result, o->format);
      }
      for (const ImportedRevision& rev : result.revisions) {
        if (!rev.incomplete.empty()) return int{kPartial};
      }
      return 0;
    };
  });
}

}  // namespace

void add_import_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* import =
      app.add_subcommand("import", "Take over a project from another migration tool");
  import->require_subcommand(1);
  add_import_alembic(*import, context, run);
}

}  // namespace retort::cli

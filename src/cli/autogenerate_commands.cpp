// `retort revision --autogenerate` and `retort check`: the models (retort::cli::main's, [models]
// of retort.toml, the built-in ones: cli/declared_models.hpp) against the database.
#include <CLI/CLI.hpp>

#include <iostream>

#include <fmt/format.h>

#include "cli/declared_models.hpp"
#include "cli/exit_code.hpp"
#include "cli/migrate_cli.hpp"
#include "cli/printable.hpp"
#include "cli/structured_output.hpp"
#include "retort/autogenerate.hpp"

namespace retort::cli {
namespace {

autogenerate::DatabaseCompareOptions database_options(const AutogenerateFlags& flags,
                                                      const ComparedModels& models) {
  autogenerate::DatabaseCompareOptions options;
  options.model_tables_only = models.model_tables_only;
  options.schema = flags.schema;
  options.exclude_tables = flags.exclude_tables;
  options.compare.apply_renames = flags.renames;
  options.compare.renames = flags.rename;
  return options;
}

void log_line(Context& context, std::string_view line) {
  if (!context.options.quiet) std::cerr << "INFO  [retort.autogenerate] " << line << '\n';
}

ComparedModels models_for(Context& context, Database& db) {
  ComparedModels models = compared_models(context, db.dialect(), migrate_settings(context));
  for (const std::string& source : models.sources) log_line(context, "Models: " + source);
  return models;
}

// What the comparison found, as log lines: operations, rename hints, notes, and the cost.
void report(Context& context, const autogenerate::Diff& diff, const ComparedModels& models) {
  for (const autogenerate::Operation& op : diff.operations) {
    log_line(context, "Detected " + autogenerate::describe(op));
  }
  for (const autogenerate::RenameHint& hint : diff.renames) {
    log_line(context, fmt::format("{} rename: {}", hint.applied ? "Applied" : "Probable",
                                  autogenerate::describe(hint)));
  }
  for (const std::string& note : diff.notes) log_line(context, "Not changed: " + note);
  log_line(context, fmt::format("Compared {} tables of the database with {} of the models in {} "
                                "catalog queries",
                                diff.before.tables.size(), models.metadata.tables.size(),
                                diff.catalog_queries));
}

void add_flag_options(CLI::App& cmd, AutogenerateFlags& flags) {
  cmd.add_flag("--renames", flags.renames,
               "Render every probable rename (a dropped and an added column or table of the same "
               "type) as RENAME instead of drop + add");
  cmd.add_option("--rename", flags.rename,
                 "Render this probable rename as RENAME: TABLE.OLD:NEW for a column, OLD:NEW for a "
                 "table (repeatable)")
      ->check(printable());
  cmd.add_option("--exclude-table", flags.exclude_tables,
                 "Leave this table out of the comparison (repeatable)")
      ->check(printable());
  cmd.add_option("--schema", flags.schema,
                 "PostgreSQL schema to compare (default: the connection's current schema)")
      ->check(printable());
}

}  // namespace

void add_autogenerate_options(CLI::App& revision, AutogenerateFlags& flags) {
  revision.add_flag("--autogenerate", flags.autogenerate,
                    "Compare the models with the database and write the changes as the revision");
  revision.add_flag("--sql", flags.sql,
                    "With --autogenerate: print the revision file(s) instead of writing them");
  revision.add_flag("--plain", flags.plain,
                    "With --autogenerate: plain PostgreSQL DDL in one transactional revision, "
                    "without the online-safe forms (CONCURRENTLY, NOT VALID + VALIDATE)");
  add_flag_options(revision, flags);
}

int run_autogenerate(Context& context, const migrate::RevisionRequest& request,
                     const AutogenerateFlags& flags) {
  autogenerate::RevisionOptions options;
  options.message = request.message;
  options.head = request.heads.front();
  options.splice = request.splice;
  options.rev_id = request.rev_id;
  options.branch_labels = request.branch_labels;
  options.depends_on = request.depends_on;
  options.version_path = request.version_path;
  options.write = !flags.sql;
  options.migrate = migrate_options(context);
  options.render.online = !flags.plain;
  Database db = context.open_database();
  const ComparedModels models = models_for(context, db);
  options.database = database_options(flags, models);
  const autogenerate::GeneratedRevisions generated =
      autogenerate::revision(db, models.metadata, options);
  report(context, generated.diff, models);
  if (generated.revisions.empty()) {
    std::cout << "No changes in schema detected; no revision written.\n";
    return 0;
  }
  for (const autogenerate::GeneratedRevision& r : generated.revisions) {
    if (flags.sql) {
      std::cout << "-- " << r.path.string() << " (not written)\n" << r.content << '\n';
    } else {
      std::cout << "Generating " << r.path.string() << " ...  done\n";
    }
  }
  return 0;
}

void add_check_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Compare the models with the database: exit code 5 and the pending operations when they "
      "differ, 4 when the database is not at head, 1 when they could not be compared");
  struct Options {
    AutogenerateFlags flags;
    OutputFormat format = OutputFormat::text;
  };
  auto o = std::make_shared<Options>();
  add_flag_options(*cmd, o->flags);
  add_format_option(*cmd, o->format);
  cmd->callback([&, o] {
    run = [&, o] {
      Database db = context.open_database();
      const ComparedModels models = models_for(context, db);
      autogenerate::Diff diff;
      // --format json|jsonl: {"status": ..., "operations": [{"operation": ...}]}, jsonl the
      // operations only.
      auto print = [&](std::string_view status) {
        nlohmann::json operations = nlohmann::json::array();
        for (const autogenerate::Operation& op : diff.operations) {
          operations.push_back({{"operation", autogenerate::describe(op)}});
        }
        print_items(std::cout, o->format, "operations", operations, {{"status", status}});
      };
      try {
        diff = autogenerate::check(db, models.metadata, migrate_options(context),
                                   database_options(o->flags, models));
      } catch (const autogenerate::NotAtHead& e) {
        std::cerr << "retort: check: " << e.what() << '\n';
        if (o->format == OutputFormat::json) print("not_at_head");
        return kNotAtHead;
      }
      report(context, diff, models);
      if (o->format != OutputFormat::text) {
        print(diff.empty() ? "up_to_date" : "changes_pending");
        return diff.empty() ? kSuccess : kDifferencesFound;
      }
      if (diff.empty()) {
        std::cout << "No new upgrade operations detected.\n";
        return kSuccess;
      }
      std::cout << "New upgrade operations detected:\n";
      for (const autogenerate::Operation& op : diff.operations) {
        std::cout << "  " << autogenerate::describe(op) << '\n';
      }
      return kDifferencesFound;
    };
  });
}

}  // namespace retort::cli

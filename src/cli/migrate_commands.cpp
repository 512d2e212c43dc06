// Migration commands that change things: init, revision, merge, upgrade, downgrade, stamp.
// (current, history, heads, branches, show, edit, verify, list_templates:
// migrate_info_commands.cpp)
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/exit_code.hpp"
#include "cli/migrate_cli.hpp"
#include "cli/printable.hpp"
#include "cli/progress.hpp"
#include "cli/structured_output.hpp"
#include "core/log.hpp"
#include "migrate/command/project.hpp"
#include "migrate/script/scaffold.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;

// Alembic's util.status.
void status(const std::string& what, const std::function<void()>& action) {
  std::cout << what << " ..." << std::flush;
  try {
    action();
  } catch (...) {
    std::cout << "  FAILED\n" << std::flush;
    throw;
  }
  std::cout << "  done\n" << std::flush;
}

// Comma-separated values given once or repeated: "--depends-on a,b --depends-on c".
std::vector<std::string> split_list(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const std::string& g : given) {
    std::size_t start = 0;
    while (start <= g.size()) {
      std::size_t end = g.find(',', start);
      if (end == std::string::npos) end = g.size();
      std::string item = g.substr(start, end - start);
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) out.push_back(item);
      start = end + 1;
    }
  }
  return out;
}

void generate(Context& context, const migrate::RevisionRequest& request) {
  const migrate::Settings settings = migrate_settings(context);
  if (settings.origin.rfind("built-in", 0) == 0) {
    throw ConfigError(
        "no migration environment is configured (retort.toml has no [migrations] script_location): "
        "create one "
        "with `retort init migrations`");
  }
  const migrate::RevisionMap map = migrate::load_map(settings, context.cpp_revisions());
  const migrate::NewRevision rev = migrate::prepare_revision(settings, map, request);
  status(fmt::format("Generating {}", rev.path.string()),
         [&] { migrate::write_new_file(rev.path, rev.content); });
}

void add_init(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd =
      app.add_subcommand("init",
                         "Create a migration environment: DIR/versions/, DIR/script.sql.tmpl "
                         "and ./retort.toml pointing at DIR");
  struct Options {
    std::string directory;
    std::string template_name = "generic";
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("directory", o->directory, "Where the migration scripts go (e.g. migrations)")
      ->required()
      ->check(printable());
  cmd->add_option("-t,--template", o->template_name, "Template to start from (see list_templates)")
      ->capture_default_str()
      ->check(printable());
  cmd->callback([&, o] {
    run = [&, o] {
      const fs::path config =
          context.options.config ? fs::path(*context.options.config) : fs::path("retort.toml");
      migrate::init_environment(o->directory, o->template_name, config, status,
                                [](const std::string& text) { std::cout << text << '\n'; });
      return 0;
    };
  });
}

void add_revision(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("revision", "Create a new revision file");
  struct Options {
    std::string message;
    std::string head = "head";
    bool splice = false;
    std::vector<std::string> branch_labels;
    std::vector<std::string> depends_on;
    std::string rev_id;
    std::string version_path;
    AutogenerateFlags autogenerate;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("-m,--message", o->message, "Message of the revision (also its file name's slug)")
      ->check(printable("\n"));
  add_autogenerate_options(*cmd, o->autogenerate);
  cmd->add_option("--head", o->head,
                  "Revision to base the new one on (needed when there are several heads)")
      ->capture_default_str()
      ->check(printable());
  cmd->add_flag("--splice", o->splice,
                "Allow a --head that is not a head: starts a new branch there");
  cmd->add_option("--branch-label", o->branch_labels,
                  "Branch label of the new revision (repeatable)")
      ->check(printable());
  cmd->add_option("--depends-on", o->depends_on,
                  "Revisions or labels the new revision depends on (repeatable)")
      ->check(printable());
  cmd->add_option("--rev-id", o->rev_id, "Revision id to use instead of 12 random hex digits")
      ->check(printable());
  cmd->add_option("--version-path", o->version_path,
                  "Version location to write to (one of version_locations)");
  cmd->callback([&, o] {
    run = [&, o] {
      migrate::RevisionRequest r;
      r.message = o->message;
      r.heads = {o->head};
      r.splice = o->splice;
      r.branch_labels = split_list(o->branch_labels);
      r.depends_on = split_list(o->depends_on);
      if (!o->rev_id.empty()) r.rev_id = o->rev_id;
      if (!o->version_path.empty()) r.version_path = o->version_path;
      if (o->autogenerate.autogenerate) return run_autogenerate(context, r, o->autogenerate);
      if (o->autogenerate.sql)
        throw CommandLineError("revision --sql previews an --autogenerate revision");
      generate(context, r);
      return 0;
    };
  });
}

void add_merge(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd =
      app.add_subcommand("merge", "Create a revision that merges several heads into one");
  struct Options {
    std::vector<std::string> revisions;
    std::string message;
    std::vector<std::string> branch_labels;
    std::string rev_id;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("revisions", o->revisions, "The revisions to merge (e.g. heads, or two ids)")
      ->required()
      ->check(printable());
  cmd->add_option("-m,--message", o->message, "Message of the merge revision")
      ->check(printable("\n"));
  cmd->add_option("--branch-label", o->branch_labels, "Branch label of the merge revision")
      ->check(printable());
  cmd->add_option("--rev-id", o->rev_id, "Revision id to use instead of 12 random hex digits")
      ->check(printable());
  cmd->callback([&, o] {
    run = [&, o] {
      migrate::RevisionRequest r;
      r.message = o->message;
      r.heads = o->revisions;
      r.branch_labels = split_list(o->branch_labels);
      if (!o->rev_id.empty()) r.rev_id = o->rev_id;
      generate(context, r);
      return 0;
    };
  });
}

struct RunOptions {
  std::string target;
  std::vector<std::string> targets;
  bool sql = false;
  bool purge = false;
  std::vector<std::string> accept;
  std::string backup;
  OutputFormat format = OutputFormat::text;
};

// upgrade/downgrade --format json|jsonl: what the run did (the log lines stay on stderr).
void print_run_report(const migrate::RunReport& report, OutputFormat format) {
  nlohmann::json steps = nlohmann::json::array();
  for (const std::string& step : report.steps) steps.push_back({{"step", step}});
  print_items(std::cout, format, "steps", steps,
              {{"before", report.before},
               {"after", report.after},
               {"backup", report.backup ? nlohmann::json(report.backup->string()) : nullptr}});
}

void add_upgrade(CLI::App& app, Context& context, Command& run, bool up) {
  CLI::App* cmd =
      up ? app.add_subcommand("upgrade", "Upgrade the database to a later revision (default: head)")
         : app.add_subcommand("downgrade", "Revert the database to an earlier revision");
  auto o = std::make_shared<RunOptions>();
  if (up) {
    o->target = "head";
    cmd->add_option("revision", o->target,
                    "Target: head, heads, a revision, +N, label@head; START:END with --sql")
        ->capture_default_str()
        ->check(printable());
  } else {
    cmd->add_option("revision", o->target, "Target: base, -N, a revision; START:END with --sql")
        ->required()
        ->check(printable());
  }
  cmd->add_flag("--sql", o->sql,
                "Print the SQL instead of running it (no connection; dialect from the URL)");
  cmd->add_option(
      "--accept-checksum", o->accept,
      "Accept the changed file of this applied revision (records its new checksum; repeatable)");
  cmd->add_option("--backup", o->backup,
                  "Back the database up into DIR first (pg_dump, or SQLite's backup API); refuse "
                  "to migrate if that fails. The file is recorded in the history table")
      ->type_name("DIR");
  add_format_option(*cmd, o->format);
  cmd->callback([&, o, up] {
    run = [&, o, up] {
      migrate::MigrateOptions options = migrate_options(context);
      if (o->sql && !o->backup.empty()) {
        throw CommandLineError("--backup applies to online runs: --sql applies nothing");
      }
      if (o->sql && o->format != OutputFormat::text) {
        throw CommandLineError("--format applies to online runs: --sql prints SQL");
      }
      if (!o->backup.empty()) options.backup_dir = o->backup;
      if (o->sql) {
        const Dialect dialect = context.resolved().url.dialect();
        std::cout << (up ? migrate::upgrade_sql(dialect, o->target, options)
                         : migrate::downgrade_sql(dialect, o->target, options))
                  << std::flush;
        return 0;
      }
      options.accept_checksums = o->accept;
      // On a terminal: "[3/12] upgrade a1 -> b2, ..." rewritten in place below the log lines.
      auto status = std::make_shared<StatusLine>(progress_on_terminal(context));
      if (status->enabled()) {
        options.on_log = [status](std::string_view line) {
          status->print_line(fmt::format("INFO  [retort.runtime.migration] {}", line));
        };
        options.on_step = [status](std::size_t done, std::size_t total, std::string_view step) {
          status->show(fmt::format("[{}/{}] {}", done + 1, total, step));
        };
      }
      Database db = context.open_migration_database();
      const migrate::RunReport report = up ? migrate::upgrade(db, o->target, options)
                                           : migrate::downgrade(db, o->target, options);
      status->clear();
      if (o->format != OutputFormat::text) print_run_report(report, o->format);
      return 0;
    };
  });
}

void add_stamp(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "stamp", "Set the version table to the given revision(s) without running SQL");
  auto o = std::make_shared<RunOptions>();
  cmd->add_option("revisions", o->targets,
                  "Revision(s) to stamp (several: one per branch); base empties it")
      ->required()
      ->check(printable());
  cmd->add_flag("--sql", o->sql, "Print the SQL instead of running it ([START:]REV)");
  cmd->add_flag("--purge", o->purge, "Delete every row of the version table first");
  cmd->callback([&, o] {
    run = [&, o] {
      migrate::MigrateOptions options = migrate_options(context);
      if (o->sql) {
        if (o->purge) throw CommandLineError("Can't use --purge with --sql mode");
        std::cout << migrate::stamp_sql(context.resolved().url.dialect(), o->targets, options)
                  << std::flush;
        return 0;
      }
      Database db = context.open_migration_database();
      migrate::stamp(db, o->targets, options, o->purge);
      return 0;
    };
  });
}

}  // namespace

migrate::Settings migrate_settings(Context& context) {
  std::optional<fs::path> config;
  if (context.options.config) config = fs::path(*context.options.config);
  return migrate::load_settings(config);
}

bool progress_on_terminal(const Context& context) {
  return !context.options.quiet && log::format() == log::Format::text && isatty(STDERR_FILENO) == 1;
}

void info_line(Context& context, std::string_view line) {
  if (context.options.quiet) return;
  if (log::format() == log::Format::json) {
    std::cerr << log::json_line(log::Level::info,
                                fmt::format("[retort.runtime.migration] {}", line));
  } else {
    std::cerr << "INFO  [retort.runtime.migration] " << line << '\n';
  }
}

migrate::MigrateOptions migrate_options(Context& context) {
  migrate::MigrateOptions options;
  options.settings = migrate_settings(context);
  options.on_log = [&context](std::string_view line) { info_line(context, line); };
  options.revisions = context.cpp_revisions();
  return options;
}

void add_migrate_commands(CLI::App& app, Context& context, Command& run) {
  add_init(app, context, run);
  add_revision(app, context, run);
  add_merge(app, context, run);
  add_upgrade(app, context, run, true);
  add_upgrade(app, context, run, false);
  add_stamp(app, context, run);
}

}  // namespace retort::cli

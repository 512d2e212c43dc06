// Migration commands that look: current, history, heads, branches, show, edit, verify,
// list_templates. Output as Alembic prints it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/exit_code.hpp"
#include "cli/graph_drawing.hpp"
#include "cli/migrate_cli.hpp"
#include "cli/printable.hpp"
#include "cli/structured_output.hpp"
#include "migrate/command/project.hpp"
#include "migrate/script/format.hpp"
#include "migrate/script/scaffold.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;
using migrate::RevIndex;

struct InfoOptions {
  bool verbose = false;
  bool indicate_current = false;
  bool resolve_dependencies = false;
  bool accept = false;
  bool graph = false;
  std::string range;
  std::string revision;
  std::vector<std::string> revisions;
  OutputFormat format = OutputFormat::text;
};

// The revisions as --format json|jsonl prints them (key "revisions").
void print_revisions(const migrate::RevisionMap& map, const std::vector<RevIndex>& revisions,
                     OutputFormat format, const std::vector<std::string>* rows = nullptr) {
  nlohmann::json items = nlohmann::json::array();
  for (RevIndex r : revisions) {
    if (r >= 0) items.push_back(revision_json(map, r, rows));
  }
  print_items(std::cout, format, "revisions", items);
}

bool verbose(Context& context, const InfoOptions& o) {
  return o.verbose || context.options.verbose;
}

void add_verbose(CLI::App* cmd, InfoOptions& o) {
  cmd->add_flag("-v,--verbose", o.verbose, "Use more verbose output");
}

// `stale_ok`: the rows may come from a replica (history's marks), not from the primary.
std::vector<std::string> version_rows(Context& context, const migrate::Settings& settings,
                                      bool stale_ok = false) {
  Database db = stale_ok ? context.open_read_database() : context.open_database();
  return migrate::read_version_rows(db, settings);
}

void add_current(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("current", "Show the current revision(s) of the database");
  auto o = std::make_shared<InfoOptions>();
  add_verbose(cmd, *o);
  add_format_option(*cmd, o->format);
  cmd->callback([&, o] {
    run = [&, o] {
      const DatabaseUrl url = context.lasting_url();  // before the files: the URL may be refused
      const migrate::Settings settings = migrate_settings(context);
      // Connecting (a TLS or SCRAM handshake) and reading the revision files overlap.
      std::future<std::vector<std::string>> rows_future =
          std::async(std::launch::async, [&settings, url] {
            Database db(url);
            return migrate::read_version_rows(db, settings);
          });
      const migrate::RevisionMap map = [&] {
        try {
          return migrate::load_map(settings, context.cpp_revisions());
        } catch (const migrate::MissingRevision& e) {
          rows_future.wait();
          Database db(url);
          migrate::rethrow_missing(db, settings, e);
        }
      }();
      const std::vector<std::string> rows = rows_future.get();
      migrate::require_known_rows(map, rows, [&] {
        Database db(url);
        return migrate::read_history(db, settings);
      });
      if (o->format != OutputFormat::text) {
        print_revisions(map, migrate::all_current(map, rows), o->format, &rows);
        return 0;
      }
      const bool v = verbose(context, *o);
      if (v) std::cout << "Current revision(s) for " << url.redacted() << ":\n";
      std::string out;
      for (RevIndex r : migrate::all_current(map, rows)) {
        out += migrate::cmd_format(map, r, v, {}) + "\n";
      }
      std::cout << out << std::flush;
      return 0;
    };
  });
}

void add_history(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd =
      app.add_subcommand("history", "List revisions in chronological order (newest first)");
  auto o = std::make_shared<InfoOptions>();
  cmd->add_option("-r,--rev-range", o->range, "Range [start]:[end], [start]:, or :[end]")
      ->check(printable());
  add_verbose(cmd, *o);
  cmd->add_flag("-i,--indicate-current", o->indicate_current, "Indicate the current revision");
  cmd->add_flag("--graph", o->graph,
                "Draw branches and merges beside the revisions, as `git log --graph` does");
  add_format_option(*cmd, o->format);
  cmd->callback([&, o] {
    run = [&, o] {
      std::string base, head;
      if (!o->range.empty()) {
        const std::size_t colon = o->range.find(':');
        if (colon == std::string::npos) {
          throw CommandLineError("History range requires [start]:[end], [start]:, or :[end]");
        }
        base = o->range.substr(0, colon);
        head = o->range.substr(colon + 1);
      }
      const migrate::Settings settings = migrate_settings(context);
      const migrate::RevisionMap map = migrate::load_map(settings, context.cpp_revisions());
      std::vector<std::string> rows;
      if (o->indicate_current || base == "current" || head == "current")
        rows = version_rows(context, settings, true);
      if (o->format != OutputFormat::text) {
        print_revisions(map, migrate::history(map, rows, base, head), o->format,
                        o->indicate_current ? &rows : nullptr);
        return 0;
      }
      if (o->graph) {
        std::vector<RevIndex> revisions;
        std::vector<std::string> labels;
        for (RevIndex r : migrate::history(map, rows, base, head)) {
          if (r < 0) continue;
          // The same line as plain `history` (Alembic's "down -> rev"), lanes to its left.
          migrate::FormatFlags f{
              .include_branches = true, .include_doc = true, .include_parents = true};
          f.current =
              o->indicate_current && std::find(rows.begin(), rows.end(), map.id(r)) != rows.end();
          revisions.push_back(r);
          labels.push_back(migrate::cmd_format(map, r, false, f));
        }
        std::cout << draw_history_graph(map, revisions, labels) << std::flush;
        return 0;
      }
      const bool v = verbose(context, *o);
      std::string out;
      for (RevIndex r : migrate::history(map, rows, base, head)) {
        if (r < 0) continue;
        migrate::FormatFlags f{
            .include_branches = true, .include_doc = true, .include_parents = true};
        f.current =
            o->indicate_current && std::find(rows.begin(), rows.end(), map.id(r)) != rows.end();
        out += migrate::cmd_format(map, r, v, f) + "\n";
      }
      std::cout << out << std::flush;
      return 0;
    };
  });
}

void add_heads(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("heads", "Show the head revisions of the revision files");
  auto o = std::make_shared<InfoOptions>();
  add_verbose(cmd, *o);
  cmd->add_flag("--resolve-dependencies", o->resolve_dependencies,
                "Treat dependencies as down revisions");
  add_format_option(*cmd, o->format);
  cmd->callback([&, o] {
    run = [&, o] {
      const migrate::RevisionMap map =
          migrate::load_map(migrate_settings(context), context.cpp_revisions());
      const std::vector<RevIndex> heads =
          o->resolve_dependencies ? migrate::show_revisions(map, {}, "heads") : map.heads();
      if (o->format != OutputFormat::text) {
        print_revisions(map, heads, o->format);
        return 0;
      }
      std::string out;
      for (RevIndex r : heads) {
        if (r < 0) continue;
        out += migrate::cmd_format(map, r, verbose(context, *o),
                                   {.include_branches = true, .tree_indicators = false}) +
               "\n";
      }
      std::cout << out << std::flush;
      return 0;
    };
  });
}

void add_branches(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("branches", "Show the branch points");
  auto o = std::make_shared<InfoOptions>();
  add_verbose(cmd, *o);
  add_format_option(*cmd, o->format);
  cmd->callback([&, o] {
    run = [&, o] {
      const migrate::RevisionMap map =
          migrate::load_map(migrate_settings(context), context.cpp_revisions());
      if (o->format != OutputFormat::text) {
        std::vector<RevIndex> points;
        for (RevIndex r : migrate::history(map, {}, "", "")) {
          if (r >= 0 && map.children(r).size() >= 2) points.push_back(r);
        }
        nlohmann::json items = nlohmann::json::array();
        for (RevIndex r : points) {
          nlohmann::json item = revision_json(map, r);
          item["children"] = map.ids(map.children(r));
          items.push_back(std::move(item));
        }
        print_items(std::cout, o->format, "revisions", items);
        return 0;
      }
      const bool v = verbose(context, *o);
      for (RevIndex r : migrate::history(map, {}, "", "")) {
        if (r < 0 || map.children(r).size() < 2) continue;
        std::cout << migrate::cmd_format(map, r, v, {.include_branches = true}) << '\n';
        const std::string pad(map.id(r).size(), ' ');
        for (std::size_t i = 0; i < map.children(r).size(); ++i) {
          if (i > 0) std::cout << '\n';
          std::cout << pad << " -> "
                    << migrate::cmd_format(map, map.children(r)[i], false,
                                           {.include_branches = true, .include_doc = v});
        }
        std::cout << "\n\n";
      }
      std::cout << std::flush;
      return 0;
    };
  });
}

std::vector<RevIndex> revisions_named(Context& context, const migrate::Settings& settings,
                                      const migrate::RevisionMap& map,
                                      const std::string& identifier) {
  std::vector<std::string> rows;
  if (identifier == "current") rows = version_rows(context, settings);
  std::vector<RevIndex> out;
  for (RevIndex r : migrate::show_revisions(map, rows, identifier)) {
    if (r >= 0) out.push_back(r);
  }
  return out;
}

void add_show(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "show", "Show the revision(s) an identifier names (e.g. head, current, a1b2)");
  auto o = std::make_shared<InfoOptions>();
#include "cli/printable.hpp"
  cmd->add_option("rev", o->revision, "Revision identifier")->required();
  add_format_option(*cmd, o->format);
  cmd->callback([&, o] {
    run = [&, o] {
      const migrate::Settings settings = migrate_settings(context);
      const migrate::RevisionMap map = migrate::load_map(settings, context.cpp_revisions());
      if (o->format != OutputFormat::text) {
        print_revisions(map, revisions_named(context, settings, map, o->revision), o->format);
        return 0;
      }
      for (RevIndex r : revisions_named(context, settings, map, o->revision)) {
        std::cout << migrate::log_entry(map, r, false) << '\n';
      }
      std::cout << std::flush;
      return 0;
    };
  });
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::string find_editor() {
  for (const char* var : {"EDITOR", "VISUAL"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (const char* candidate : {"sensible-editor", "editor", "nano", "vim", "vi"}) {
    std::size_t start = 0;
    while (start <= dirs.size()) {
      std::size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      const fs::path p = fs::path(dirs.substr(start, end - start)) / candidate;
      std::error_code ec;
      if (!p.parent_path().empty() && fs::exists(p, ec)) return p.string();
      start = end + 1;
    }
  }
  throw ConfigError(
      "No suitable editor found. Please set the 'EDITOR' or 'VISUAL' environment variables");
}

void add_edit(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd =
      app.add_subcommand("edit", "Open the revision file(s) an identifier names in $EDITOR");
  auto o = std::make_shared<InfoOptions>();
  cmd->add_option("rev", o->revision, "Revision identifier")->required()->check(printable());
  cmd->callback([&, o] {
    run = [&, o] {
      const migrate::Settings settings = migrate_settings(context);
      const migrate::RevisionMap map = migrate::load_map(settings, context.cpp_revisions());
      const std::vector<RevIndex> revs = revisions_named(context, settings, map, o->revision);
      if (revs.empty()) {
        throw UsageError(
            o->revision == "current"
                ? std::string("No current revisions")
                : fmt::format("No revision files indicated by symbol '{}'", o->revision));
      }
      const std::string editor = find_editor();
      for (RevIndex r : revs) {
        const std::string command = editor + " " + shell_quote(map.revision(r).path);
        const int status = std::system(command.c_str());
        if (status != 0)
          throw Error(fmt::format("the editor failed (exit status {}): {}", status, command));
      }
      return 0;
    };
  });
}

void add_verify(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Check that every applied revision's file is unchanged (checksums in the history table)");
  auto o = std::make_shared<InfoOptions>();
  cmd->add_flag(
      "--accept", o->accept,
      "Accept the changed files: record their new checksums (all, or the revisions given)");
  cmd->add_option("revisions", o->revisions, "With --accept: only these revisions")
      ->check(printable());
  cmd->callback([&, o] {
    run = [&, o] {
      if (!o->revisions.empty() && !o->accept)
        throw CommandLineError("revisions are given only with --accept");
      migrate::MigrateOptions options = migrate_options(context);
      // --accept takes the migration lock: it needs the session a migration does.
      Database db = o->accept ? context.open_migration_database() : context.open_database();
      if (o->accept) {
        const migrate::RevisionMap map = migrate::load_map(*options.settings, options.revisions);
        for (const std::string& id : migrate::accept_checksums(db, o->revisions, options)) {
          std::cout << "accepted " << id << " (" << map.revision(map.find(id)).path << ")\n";
        }
      }
      const std::vector<migrate::ChecksumProblem> problems = migrate::verify(db, options);
      for (const migrate::ChecksumProblem& p : problems) std::cout << migrate::describe(p) << '\n';
      if (problems.empty() && !context.options.quiet) {
        std::cout << "ok: every applied revision matches its file\n";
      }
      std::cout << std::flush;
      return problems.empty() ? kSuccess : kDifferencesFound;
    };
  });
}

// `retort graph`: the revision graph as Graphviz DOT, or SVG through Graphviz's `dot`.
void add_graph(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "graph",
      "Write the revision graph (heads, branch labels, merges, dependencies, the database's "
      "current revisions) as Graphviz DOT or SVG");
  struct Options {
    std::string format = "dot";
    std::string output;
    bool offline = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--format", o->format, "dot (text) or svg (needs Graphviz's dot)")
      ->check(CLI::IsMember({"dot", "svg"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Write to FILE instead of stdout")->type_name("FILE");
  cmd->add_flag("--offline", o->offline,
                "Do not connect: the database's current revisions are not marked");
  cmd->callback([&, o] {
    run = [&, o] {
      const migrate::Settings settings = migrate_settings(context);
      const migrate::RevisionMap map = migrate::load_map(settings, context.cpp_revisions());
      const std::vector<std::string> rows =
          o->offline ? std::vector<std::string>{} : version_rows(context, settings);
      const std::string dot = graph_dot(map, rows);
      std::string result = dot;
      if (o->format == "svg") {
        std::optional<std::string> svg = render_svg(dot);
        if (!svg) {
          std::cerr << "retort: graph: Graphviz's `dot` is not installed (apt-get install "
                       "graphviz): writing the DOT text instead\n";
        } else {
          result = std::move(*svg);
        }
      }
      if (o->output.empty()) {
        std::cout << result << std::flush;
      } else {
        std::ofstream file(o->output, std::ios::binary | std::ios::trunc);
        if (!(file << result) || !file.flush()) {
          throw ConfigError(fmt::format("graph: cannot write {}", o->output));
        }
      }
      return 0;
    };
  });
}

void add_list_templates(CLI::App& app, Context& /*context*/, Command& run) {
  CLI::App* cmd =
      app.add_subcommand("list_templates", "List the templates `retort init` can start from");
  cmd->callback([&] {
    run = [] {
      std::cout << "Available templates:\n\n";
      for (const migrate::TemplateInfo& t : migrate::list_templates()) {
        std::cout << t.name << " - " << t.synopsis << '\n';
      }
      std::cout << "\nTemplates are used via the 'init' command, e.g.:\n\n  retort init --template "
                   "generic "
                   "./migrations\n";
      return 0;
    };
  });
}

}  // namespace

void add_migrate_info_commands(CLI::App& app, Context& context, Command& run) {
  add_current(app, context, run);
  add_history(app, context, run);
  add_heads(app, context, run);
  add_branches(app, context, run);
  add_show(app, context, run);
  add_edit(app, context, run);
  add_verify(app, context, run);
  add_list_templates(app, context, run);
  add_graph(app, context, run);
}

}  // namespace retort::cli

// grants: the least-privilege GRANT statements for an application role (docs/security.md).
// Also the hidden crash check the redaction tests use.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "cli/context.hpp"
#include "cli/printable.hpp"
#include "events/grants.hpp"
#include "retort/error.hpp"

namespace retort::cli {

void add_grants_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "grants",
      "Print the GRANT statements an application role needs for the event store (PostgreSQL): "
      "USAGE on the schema, row privileges on the tables, no DDL");
  struct Options {
    events::GrantOptions grants;
    std::string schema;
    std::vector<std::string> tables;
    bool offline = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("role", o->grants.role, "The application role")->required()->check(printable());
  cmd->add_option("--schema", o->schema,
                  "Schema of the tables (default: the connection's current schema; public with "
                  "--offline)")
      ->check(printable());
  cmd->add_option("--table", o->tables,
                  "A table the application uses (repeatable; default: events)")
      ->check(printable());
  cmd->add_flag("--read-only", o->grants.read_only, "SELECT only (e.g. a reporting role)");
  cmd->add_flag("--worker", o->grants.worker,
                "A worker role (retort events work): SELECT and UPDATE on events, its row in "
                "retort_workers; no INSERT or DELETE on events");
  cmd->add_flag("--version-read", o->grants.version_read,
                "Also SELECT on the version table (to check the schema revision at start-up)");
  cmd->add_flag("--offline", o->offline,
                "Do not connect: print for the given schema and tables without checking them");
  cmd->callback([&, o] {
    run = [&, o] {
      events::GrantOptions& g = o->grants;
      if (!o->tables.empty()) g.tables = o->tables;
      if (!o->schema.empty()) g.schema = o->schema;
      if (!o->offline) {
        if (context.resolved().url.dialect() != Dialect::postgresql) {
          throw UsageError(
              "retort grants: SQLite has no roles or GRANT: its access control is the database "
              "file's permissions (chmod 600). Use --offline to print PostgreSQL's statements");
        }
        Database db = context.open_database();
        PooledConnection c = db.connection();
        if (o->schema.empty()) {
          g.schema = c->execute("SELECT current_schema()").at(0)[0].as_text();
        }
        events::inspect_grants(*c, g);
      }
      std::cout << events::grant_script(g);
      return 0;
    };
  });
}

// Hidden from --help: an exception escaping a thread reaches std::terminate, the path a crash
// takes. The redaction tests check that the terminate handler's message masks secrets.
void add_crash_check_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("internal-crash-check", "");
  cmd->group("");
  cmd->callback([&] {
    run = [&]() -> int {
      const DatabaseUrl& url = context.resolved().url;
      const std::string password = url.param("password").value_or("");
      std::thread([password] {
        throw std::runtime_error("simulated crash while holding the password " + password);
      }).join();
      return 0;
    };
  });
}

}  // namespace retort::cli

// settings, ping, sql: look at where retort points and talk to it.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "cli/structured_output.hpp"

namespace retort::cli {
namespace {

std::string server_version(Connection& connection) {
  const char* sql = connection.dialect() == Dialect::postgresql
                        ? "SELECT current_setting('server_version')"
                        : "SELECT 'SQLite ' || sqlite_version()";
  return connection.execute(sql).at(0)[0].to_display();
}

// PostgreSQL: "TLS TLSv1.3" or "no TLS" for this session; empty for SQLite.
std::string transport(Connection& connection) {
  if (connection.dialect() != Dialect::postgresql) return "";
  const Result r = connection.execute(
      "SELECT coalesce(max(version), '') FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl");
  const std::string version = r.at(0)[0].to_display();
  return version.empty() ? ", no TLS" : ", TLS " + version;
}

nlohmann::json role_json(const std::optional<RoleUrl>& role) {
  if (!role) return nullptr;
  return {{"url", role->url.redacted()}, {"origin", role->origin}};
}

std::string role_text(const std::optional<RoleUrl>& role) {
  if (!role) return "the database URL";
  return role->url.redacted() + " (" + role->origin + ")";
}

// Where each kind of work goes: shown for PostgreSQL, where replicas and poolers exist.
void print_routing(const ResolvedUrl& r) {
  std::cout << "reads:   " << role_text(r.replica) << '\n'
            << "migrate: " << role_text(r.migration) << '\n'
            << "pooling: " << pool_mode_name(r.pool_mode) << " ("
            << (r.pool_mode_origin.empty() ? std::string("default") : r.pool_mode_origin) << ")";
  if (r.pool_mode == PoolMode::transaction) {
    std::cout << ": statements unnamed, workers poll instead of LISTEN, migrations "
              << (r.migration ? "use the migrate URL" : "refused without a migration URL");
  }
  std::cout << '\n';
}

}  // namespace

void add_settings_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("settings", "Show which database retort would use and why");
  auto format = std::make_shared<OutputFormat>(OutputFormat::text);
  add_format_option(*cmd, *format);
  cmd->callback([&, format] {
    run = [&, format] {
      const ResolvedUrl& r = context.resolved();
      if (*format != OutputFormat::text) {
        // One object: the same in json and jsonl (a stream of one).
        const nlohmann::json settings = {{"url", r.url.redacted()},
                                         {"dialect", dialect_name(r.url.dialect())},
                                         {"source", url_source_name(r.source)},
                                         {"origin", r.origin},
                                         {"secrets", r.references},
                                         {"replica", role_json(r.replica)},
                                         {"migration", role_json(r.migration)},
                                         {"pool_mode", pool_mode_name(r.pool_mode)},
                                         {"pool_mode_origin", r.pool_mode_origin}};
        std::cout << settings.dump() << '\n';
        return 0;
      }
      std::cout << "url:     " << r.url.redacted() << '\n'
                << "dialect: " << dialect_name(r.url.dialect()) << '\n'
                << "source:  " << url_source_name(r.source) << " (" << r.origin << ")\n";
      if (r.url.dialect() == Dialect::postgresql) print_routing(r);
      // Where referenced values came from (places, never the values).
      for (const std::string& reference : r.references) {
        std::cout << "secret:  " << reference << '\n';
      }
      return 0;
    };
  });
}

void add_ping_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand("ping", "Connect to the database and report its version");
  cmd->callback([&] {
    run = [&] {
      const auto start = std::chrono::steady_clock::now();
      Database db = context.open_database();
      PooledConnection connection = db.connection();
      const std::string version = server_version(*connection) + transport(*connection);
      const auto elapsed =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
      std::cout << "ok: " << db.url().redacted() << " answered (" << version << ") in "
                << static_cast<long>(elapsed.count()) << " ms\n";
      return 0;
    };
  });
}

void add_sql_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "sql", "Run one SQL statement, parameters bound as $1, $2, ... (in one transaction)");
  struct Options {
    std::string sql;
    std::vector<std::string> params;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("statement", opts->sql, "The SQL statement")->required();
  cmd->add_option("-p,--param", opts->params, "A parameter value (text; repeat for $1, $2, ...)");
  cmd->add_flag("--json", opts->json, "Print rows as JSON Lines instead of a table");
  cmd->callback([&, opts] {
    run = [&, opts] {
      Database db = context.open_database();
      std::vector<Value> values(opts->params.begin(), opts->params.end());
      Result result = db.transaction([&](Session& s) { return s.execute(opts->sql, values); });
      if (opts->json) {
        print_json_lines(std::cout, result);
      } else if (!result.columns().empty()) {
        print_table(std::cout, result);
      } else if (!context.options.quiet) {
        std::cout << "ok (" << result.affected_rows() << " rows affected)\n";
      }
      return 0;
    };
  });
}

}  // namespace retort::cli

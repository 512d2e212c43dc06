// `retort demo`: what retort does today, end to end, on the embedded default (a SQLite file).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "retort/error.hpp"

namespace retort::cli {
namespace {

constexpr const char* kCreateTable = R"(CREATE TABLE IF NOT EXISTS demo_events (
  id UUID PRIMARY KEY,
  kind TEXT NOT NULL,
  data JSON NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
))";

struct DemoEvent {
  const char* kind;
  const char* json;
};

constexpr DemoEvent kEvents[] = {
    {"ticket.opened", R"({"ticket":1042,"customer":"ACME GmbH","subject":"Printer on fire"})"},
    {"ticket.assigned", R"({"ticket":1042,"agent":"mira"})"},
    {"ticket.opened", R"({"ticket":1043,"customer":"O'Brien & Sons","subject":"Login fails"})"},
    {"ticket.commented", R"({"ticket":1043,"text":"Tried \"reset password\"; no luck"})"},
    {"ticket.closed", R"({"ticket":1042,"resolution":"extinguished"})"},
};

void step(int number, const std::string& text) { std::cout << number << ". " << text << '\n'; }

}  // namespace

void add_demo_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "demo", "Show retort at work on the configured database (by default ./retort.db)");
  cmd->callback([&] {
    run = [&] {
      const ResolvedUrl& where = context.resolved();
      std::cout << "retort demo: typed values, transactions and errors on "
                << dialect_name(where.url.dialect()) << "\n"
                << "database: " << where.url.redacted() << "  (" << where.origin << ")\n\n";
      Database db = context.open_database();
      {
        PooledConnection c = db.connection();
        const char* version_sql = db.dialect() == Dialect::sqlite
                                      ? "SELECT 'SQLite ' || sqlite_version()"
                                      : "SELECT 'PostgreSQL ' || current_setting('server_version')";
        step(1, "connected: " + c->execute(version_sql).at(0)[0].to_display());
        c->execute_script(kCreateTable);
      }
      step(2, "table demo_events is ready (id UUID primary key, kind, data JSON, created_at)");

      // One transaction: all five rows or none. Values travel as bound parameters.
      std::vector<Uuid> ids;
      db.transaction([&](Session& s) {
        for (const DemoEvent& e : kEvents) {
          ids.push_back(Uuid::v7());
          s.execute("INSERT INTO demo_events (id, kind, data, created_at) VALUES ($1, $2, $3, $4)",
                    {ids.back(), e.kind, JsonText{e.json}, Timestamp::now()});
        }
      });
      step(3, fmt::format("wrote {} events in one transaction (time-ordered UUIDv7 ids)",
                          std::size(kEvents)));

      // A transaction that fails half-way leaves nothing behind.
      try {
        db.transaction([&](Session& s) {
          s.execute("INSERT INTO demo_events (id, kind, data, created_at) VALUES ($1, $2, $3, $4)",
                    {Uuid::v7(), "ticket.reopened", JsonText{R"({"ticket":1042})"},
                     Timestamp::now()});
          s.execute("INSERT INTO demo_events (id, kind, data, created_at) VALUES ($1, $2, $3, $4)",
                    {ids.front(), "duplicate", JsonText{"{}"}, Timestamp::now()});
        });
      } catch (const UniqueViolation& e) {
        step(4, fmt::format("a transaction reusing an id failed with UniqueViolation (SQLSTATE "
                            "{}) and was rolled back whole",
                            e.sqlstate()));
      }

      // A nested scope is a savepoint: undoing it keeps the outer work.
      db.transaction([&](Session& s) {
        s.execute("UPDATE demo_events SET kind = $1 WHERE id = $2", {"ticket.escalated", ids[1]});
        try {
          s.transaction([&](Session& inner) {
            inner.execute("DELETE FROM demo_events");
            throw std::runtime_error("changed my mind");
          });
        } catch (const std::runtime_error&) {
        }
      });
      step(5, "a nested scope (savepoint) deleted every row, then was undone; the outer update kept");

      Result rows = db.connection()->execute(
          "SELECT id, kind, data, created_at FROM demo_events ORDER BY id DESC LIMIT 5");
      step(6, "the newest events, read back as typed values:");
      print_table(std::cout, rows, 48);
      const std::int64_t total =
          db.connection()->execute("SELECT count(*) FROM demo_events").at(0)[0].as_int64();
      std::cout << "\n" << total << " events in demo_events. Look at them with:\n"
                << "  retort sql \"SELECT kind, count(*) FROM demo_events GROUP BY kind\"\n";
      return 0;
    };
  });
}

}  // namespace retort::cli

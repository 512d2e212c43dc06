// `retort demo`: what retort does today, end to end, on the embedded default (a SQLite file).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"

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

void step(int number, const std::string& text) {
  std::cout << number << ". " << text << '\n';
}

// What `retort upgrade head` does without a retort.toml: retort's built-in migrations (the events
// schema), applied under the migration lock and recorded in retort_version / retort_history.
std::string migrate_builtin_schema(Database& db) {
  migrate::MigrateOptions options;
  options.settings = migrate::builtin_settings();
  options.on_log = [](std::string_view) {};
  migrate::RunReport r;
  try {
    r = migrate::upgrade(db, "head", options);
  } catch (const Error& e) {
    // A database migrated by another project's revisions: the event store creates its table.
    return std::string("schema: retort's built-in migrations were not applied: ") + e.what();
  }
  const std::string at = r.after.empty() ? std::string("base") : r.after.front();
  if (r.steps.empty()) {
    return "schema: retort upgrade head found nothing to do (already at " + at + ")";
  }
  return fmt::format("schema: retort upgrade head applied {} built-in revision(s) ({}); now at {}",
                     r.steps.size(), r.steps.front(), at);
}

// The demo's processing step: classifies an event by its type and summarises its payload.
std::string process_event(const events::Event& e) {
  const nlohmann::json data = nlohmann::json::parse(e.data.text, nullptr, false);
  nlohmann::json context = nlohmann::json::object();
  const std::string type = data.is_object() && data.contains("type") && data["type"].is_string()
                               ? data["type"].get<std::string>()
                               : "unknown";
  const std::string family = type.substr(0, type.find('.'));
  std::string classification = "other";
  std::string urgency = "normal";
  std::string summary = type;
  auto text_at = [&](const nlohmann::json::json_pointer& p) -> std::string {
    if (!data.contains(p)) return "?";
    const nlohmann::json& v = data.at(p);
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  if (family == "ticket") {
    classification = "support";
    if (type == "ticket.created") {
      summary = "ticket " + text_at("/ticket/id"_json_pointer) + " from " +
                text_at("/ticket/customer/name"_json_pointer) + ": " +
                text_at("/ticket/subject"_json_pointer);
      const nlohmann::json priority =
          data.value("/ticket/priority"_json_pointer, nlohmann::json(0));
      if (priority.is_number() && priority.get<int>() >= 2) urgency = "high";
    } else if (type == "ticket.commented") {
      summary = "comment by " + text_at("/comment/author"_json_pointer) + " on ticket " +
                text_at("/ticket/id"_json_pointer);
    } else {
      summary = "ticket " + text_at("/ticket/id"_json_pointer) +
                " closed: " + text_at("/ticket/resolution"_json_pointer);
    }
  } else if (family == "order") {
    classification = "fulfilment";
    summary = "order " + text_at("/order/id"_json_pointer) + " shipped by " +
              text_at("/order/carrier"_json_pointer) + " to " +
              text_at("/order/address/city"_json_pointer);
  } else if (family == "payment") {
    classification = "billing";
    urgency = "high";
    summary = "payment for order " + text_at("/payment/order_id"_json_pointer) +
              " failed: " + text_at("/payment/reason"_json_pointer);
  } else if (family == "user") {
    classification = "growth";
    summary = "new " + text_at("/user/plan"_json_pointer) + " user " +
              text_at("/user/email"_json_pointer);
  }
  context["classification"] = classification;
  context["urgency"] = urgency;
  context["summary"] = summary;
  context["processed_by"] = "retort demo classifier v1";
  return context.dump();
}

// Where the shipped examples are: ./examples (./dev demo copies them there), else next to the
// binary's parent (build/retort -> examples/).
std::filesystem::path find_example(const std::string& name) {
  std::filesystem::path here = std::filesystem::path("examples") / name;
  if (std::filesystem::exists(here)) return here;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (std::filesystem::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "examples" / name)) return dir / "examples" / name;
    }
  }
  return here;
}

// Steps 7 on: the event store on the same database.
void run_events_demo(Database& db) {
  std::cout << "\nThe event store\n";
  db.transaction([](Session& s) { events::create_schema(s); });
  step(7, "table events is ready (UUIDv7 id, JSON data and task_context, created_at/updated_at)");

  const std::filesystem::path file = find_example("events.jsonl");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("cannot open " + file.string());
  events::IngestReport report = events::ingest(db, in);
  step(8, fmt::format("ingested {}: {} events accepted, {} lines rejected and skipped:",
                      file.string(), report.accepted, report.rejected));
  for (const events::RejectedLine& r : report.rejections) {
    std::cout << fmt::format("     line {}: {} (at byte {})\n", r.line, r.reason, r.offset);
  }

  std::size_t processed = 0;
  db.transaction([&](Session& s) {
    events::EventRepository repo(s);
    for (const events::Event& e : repo.find_unprocessed()) {
      repo.merge_task_context(e.id, process_event(e));
      ++processed;
    }
  });
  step(9, fmt::format("processed {} unprocessed events: a classifier merged a task_context into "
                      "each (JSON merge patch, applied in the database)",
                      processed));

  std::vector<events::Event> latest = db.transaction([](Session& s) {
    events::EventFilter f;
    f.contains = R"({"type": "payment.failed"})";
    f.processed = true;
    f.limit = 3;
    f.newest_first = true;
    return events::EventRepository(s).find(f);
  });
  std::vector<std::string> columns = {"id", "data", "task_context"};
  std::vector<Value> cells;
  for (const events::Event& e : latest) {
    cells.emplace_back(e.id);
    cells.emplace_back(e.data);
    cells.emplace_back(e.task_context);
  }
  Result rows(std::move(columns), std::move(cells), static_cast<std::int64_t>(latest.size()));
  step(10,
       "the newest failed payments (find --contains '{\"type\":\"payment.failed\"}'), "
       "with their task_context:");
  print_table(std::cout, rows, 70);
  std::cout << "\nMore: retort events list | retort events find --contains "
               "'{\"type\":\"ticket.created\"}' --limit 5 | retort events show ID\n";
}

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
      step(0, migrate_builtin_schema(db));  // the migration engine's step: retort upgrade head
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
          s.execute(
              "INSERT INTO demo_events (id, kind, data, created_at) VALUES ($1, $2, $3, $4)",
              {Uuid::v7(), "ticket.reopened", JsonText{R"({"ticket":1042})"}, Timestamp::now()});
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
      step(5,
           "a nested scope (savepoint) deleted every row, then was undone; the outer update kept");

      Result rows = db.connection()->execute(
          "SELECT id, kind, data, created_at FROM demo_events ORDER BY id DESC LIMIT 5");
      step(6, "the newest events, read back as typed values:");
      print_table(std::cout, rows, 48);
      const std::int64_t total =
          db.connection()->execute("SELECT count(*) FROM demo_events").at(0)[0].as_int64();
      std::cout << "\n"
                << total << " events in demo_events. Look at them with:\n"
                << "  retort sql \"SELECT kind, count(*) FROM demo_events GROUP BY kind\"\n";
      run_events_demo(db);
      return 0;
    };
  });
}

}  // namespace retort::cli

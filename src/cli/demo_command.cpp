// `retort demo`: what retort does today, end to end, on the embedded default (a SQLite file).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "cli/output.hpp"
#include "migrate/command/project.hpp"
#include "migrate/script/environment.hpp"
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

// Numbered one after another, whatever the path through the demo.
void step(const std::string& text) {
  static int number = 0;
  std::cout << ++number << ". " << text << '\n';
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
    // A database migrated by another project's revisions: the event store steps are skipped
    // unless that project's revisions made the events table (run_events_demo checks).
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
  const nlohmann::json data = nlohmann::json::parse(e.data.text(), nullptr, false);
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

// Where the shipped examples are: ./examples (./dev demo copies them there), else beside retort's
// shared files (installed: <prefix>/share/retort/examples; a build: the source tree's examples/),
// else next to the binary's parent (build/retort -> examples/).
std::filesystem::path find_example(const std::string& name) {
  std::filesystem::path here = std::filesystem::path("examples") / name;
  if (std::filesystem::exists(here)) return here;
  std::error_code ec;
  try {
    const std::filesystem::path shared =
        migrate::builtin_migrations_dir().parent_path() / "examples" / name;
    if (std::filesystem::exists(shared, ec)) return shared;
  } catch (const ConfigError&) {
    // No shared files either: the walk up from the binary below is the last resort.
  }
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (std::filesystem::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "examples" / name)) return dir / "examples" / name;
    }
  }
  return here;
}

bool has_ingest_ledger(Database& db) {
  try {
    db.transaction([](Session& s) { events::require_schema(s, true); });
    return true;
  } catch (const UsageError&) {
    return false;
  }
}

// The migration engine both ways, on a scratch SQLite file: the configured database is never
// downgraded by a demo.
void run_migration_demo() {
  std::cout << "The migration engine (on a scratch database)\n";
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     fmt::format("retort-demo-{}.db", Uuid::v7().to_string());
  struct Remove {
    std::filesystem::path file;
    ~Remove() {
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(file.string() + suffix, ec);
      }
    }
  } remove{file};
  Database scratch = Database::open("sqlite:///" + file.string());
  migrate::MigrateOptions options;
  options.settings = migrate::builtin_settings();
  options.on_log = [](std::string_view) {};
  const auto show_steps = [](const migrate::RunReport& r) {
    for (const std::string& s : r.steps) std::cout << "     " << s << '\n';
  };
  migrate::RunReport r = migrate::upgrade(scratch, "head", options);
  step(fmt::format("retort upgrade head: {} built-in revision(s), base to {}", r.steps.size(),
                   r.after.empty() ? std::string("base") : r.after.front()));
  show_steps(r);
  r = migrate::downgrade(scratch, "-1", options);
  step("retort downgrade -1: the newest revision's downgrade section, in one transaction");
  show_steps(r);
  r = migrate::upgrade(scratch, "head", options);
  step("retort upgrade head: back at " + (r.after.empty() ? std::string("base") : r.after.front()));
  const std::vector<migrate::HistoryRecord> history =
      migrate::read_history(scratch, *options.settings);
  step(
      fmt::format("the history table (retort_history): {} records, each with the checksum of "
                  "the file it ran; the last three:",
                  history.size()));
  for (std::size_t i = history.size() > 3 ? history.size() - 3 : 0; i < history.size(); ++i) {
    std::cout << fmt::format("     {:<9} {}\n", history[i].direction, history[i].revision);
  }
  std::cout << '\n';
}

// The event store on the configured database.
void run_events_demo(Database& db) {
  std::cout << "\nThe event store\n";
  try {
    db.transaction([](Session& s) { events::require_schema(s); });
  } catch (const UsageError& e) {
    step(std::string("skipped: ") + e.what());
    return;
  }
  step(
      "table events is there, made by retort upgrade head above (UUIDv7 id, JSON data and "
      "task_context, created_at/updated_at)");

  const std::filesystem::path file = find_example("events.jsonl");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("cannot open " + file.string());
  events::IngestOptions options;
  // Through the ingest ledger, as `retort events ingest FILE` does: a second demo stores nothing
  // twice.
  if (has_ingest_ledger(db)) options.source = events::identify_ingest_source(file.string());
  events::IngestReport report = events::ingest(db, in, options);
  if (report.already_complete) {
    step(
        fmt::format("{} was ingested by an earlier run: the ingest ledger knows the file (its "
                    "size and a digest of its head), so nothing was stored twice",
                    file.string()));
  } else {
    step(fmt::format("ingested {}: {} events accepted, {} lines rejected and skipped:",
                     file.string(), report.accepted, report.rejected));
  }
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
  step(
      fmt::format("processed {} unprocessed events: a classifier merged a task_context into "
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
  step(
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
      std::cout << "retort demo: migrations, typed values, transactions and the event store on "
                << dialect_name(where.url.dialect()) << "\n"
                << "database: " << where.url.redacted() << "  (" << where.origin << ")\n\n";
      run_migration_demo();
      std::cout << "Typed values, transactions and errors (on " << where.url.redacted() << ")\n";
      Database db = context.open_database();
      step(migrate_builtin_schema(db));  // the migration engine's step: retort upgrade head
      {
        PooledConnection c = db.connection();
        const char* version_sql = db.dialect() == Dialect::sqlite
                                      ? "SELECT 'SQLite ' || sqlite_version()"
                                      : "SELECT 'PostgreSQL ' || current_setting('server_version')";
        step("connected: " + c->execute(version_sql).at(0)[0].to_display());
        c->execute_script(kCreateTable);
        // Each demo starts from an empty table: run twice, it shows the same five events.
        c->execute("DELETE FROM demo_events");
      }
      step("table demo_events is ready (id UUID primary key, kind, data JSON, created_at)");

      // One transaction: all five rows or none. Values travel as bound parameters.
      std::vector<Uuid> ids;
      db.transaction([&](Session& s) {
        for (const DemoEvent& e : kEvents) {
          ids.push_back(Uuid::v7());
          s.execute("INSERT INTO demo_events (id, kind, data, created_at) VALUES ($1, $2, $3, $4)",
                    {ids.back(), e.kind, JsonText{e.json}, Timestamp::now()});
        }
      });
      step(fmt::format("wrote {} events in one transaction (time-ordered UUIDv7 ids)",
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
        step(
            fmt::format("a transaction reusing an id failed with UniqueViolation (SQLSTATE "
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
      step("a nested scope (savepoint) deleted every row, then was undone; the outer update kept");

      Result rows = db.connection()->execute(
          "SELECT id, kind, data, created_at FROM demo_events ORDER BY id DESC LIMIT 5");
      step("the newest events, read back as typed values:");
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

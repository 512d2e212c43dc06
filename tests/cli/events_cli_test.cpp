// `retort events ...` as a user runs it, on a SQLite file and on PostgreSQL.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <array>
#include <cstdio>
#include <fstream>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "retort/database.hpp"
#include "retort/error.hpp"

#include "support/test_db.hpp"

namespace retort {
namespace {

struct EventsCliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

EventsCliRun run_events_cli(const std::string& args, const std::filesystem::path& dir) {
  const std::string command =
      "cd '" + dir.string() +
      "' && env -u RETORT_DATABASE_URL -u DATABASE_URL -u DB_USER -u DB_HOST "
      "-u DB_NAME -u DB_PASSWORD -u RETORT_CONFIG '" RETORT_BINARY_DIR "/retort' " +
      args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string output;
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return EventsCliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Lines 1..n, each {"n": i}, except every 97th, which is not JSON.
std::string numbered_lines(std::size_t n) {
  std::string text;
  for (std::size_t i = 1; i <= n; ++i) {
    text += i % 97 == 0 ? "not json " + std::to_string(i) : "{\"n\": " + std::to_string(i) + "}";
    text += '\n';
  }
  return text;
}

// Every stored marker n must be there exactly once; returns how many there are.
std::size_t distinct_markers_stored_once(Database& db) {
  std::map<std::int64_t, int> seen;
  for (const Row& row : db.connection()->execute("SELECT data FROM events")) {
    ++seen[nlohmann::json::parse(row[0].as_text())["n"].get<std::int64_t>()];
  }
  for (const auto& [n, count] : seen)
    EXPECT_EQ(count, 1) << "line " << n << " stored " << count << " times";
  return seen.size();
}

class EventsCliTest : public ::testing::TestWithParam<Dialect> {
 protected:
  EventsCliTest() {
    if (GetParam() == Dialect::postgresql) {
      schema_ = std::make_unique<testing::PgSchema>();
      url_ = schema_->url_text();
    } else {
      url_ = "sqlite:///" + (dir_ / "events.db").string();
    }
  }
  EventsCliRun run(const std::string& args) {
    return run_events_cli("--url '" + url_ + "' " + args, dir_.path());
  }
  // The schema, made the one way it is made: the built-in migrations.
  void upgrade() {
    const EventsCliRun r = run("upgrade head");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  DatabaseUrl url() const {
    return schema_ ? schema_->url() : DatabaseUrl::sqlite((dir_ / "events.db").string());
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::PgSchema> schema_;
  std::string url_;
};

TEST_P(EventsCliTest, WithoutTheMigrationsEveryEventsCommandSaysToUpgradeAndCreatesNothing) {
  write("in.jsonl", "{\"a\":1}\n");
  for (const char* command :
       {"events ingest in.jsonl", "events ingest - < in.jsonl", "events list",
        "events find --contains '{}'", "events show 0190a4c2-0000-7000-8000-000000000000"}) {
    const EventsCliRun r = run(command);
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.output;
    EXPECT_NE(r.output.find("no events table: run `retort upgrade head`"), std::string::npos)
        << command << ": " << r.output;
  }
  Database db(url());
  EXPECT_THROW(db.connection()->execute("SELECT 1 FROM events"), DatabaseError);
}

TEST_P(EventsCliTest, InterruptedIngestReportsWhereItStoppedAndResumesWithoutDuplicates) {
  upgrade();
  write("in.jsonl", numbered_lines(500));
  Database db(url());
  // A failure at the third batch (lines 203..303): the ledger update refuses it.
  db.connection()->execute_script(
      GetParam() == Dialect::sqlite
          ? "CREATE TRIGGER ingest_fault BEFORE UPDATE ON events_ingest_ledger "
            "WHEN NEW.last_line > 250 BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;"
          : "CREATE FUNCTION ingest_fault() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
            "IF NEW.last_line > 250 THEN RAISE EXCEPTION 'simulated failure'; END IF; "
            "RETURN NEW; END $f$; CREATE TRIGGER ingest_fault BEFORE UPDATE ON "
            "events_ingest_ledger FOR EACH ROW EXECUTE FUNCTION ingest_fault();");
  EventsCliRun r = run("events ingest --batch-size 100 in.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("simulated failure"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("accepted 200, rejected 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("stored: lines 1..202 of in.jsonl"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("retort events ingest --resume in.jsonl"), std::string::npos) << r.output;
  EXPECT_EQ(distinct_markers_stored_once(db), 200u);

  // A rerun without --resume is refused (reported in JSON too), and stores nothing.
  r = run("events ingest --batch-size 100 --json in.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const nlohmann::json refused = nlohmann::json::parse(r.output.substr(0, r.output.find('\n')));
  EXPECT_EQ(refused["committed_line"], 202);
  EXPECT_EQ(refused["accepted"], 0);
  EXPECT_NE(refused["error"].get<std::string>().find("--resume"), std::string::npos) << r.output;
  EXPECT_NE(refused["error"].get<std::string>().find("--restart"), std::string::npos) << r.output;
  EXPECT_EQ(distinct_markers_stored_once(db), 200u);

  db.connection()->execute(
      "DROP TRIGGER ingest_fault" +
      std::string(GetParam() == Dialect::sqlite ? "" : " ON events_ingest_ledger"));
  r = run("events ingest --resume --batch-size 100 in.jsonl");
  EXPECT_EQ(r.exit_code, 6) << r.output;  // lines were rejected (by this run: 291 on)
  EXPECT_NE(r.output.find("lines 1..202 skipped"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("stored: lines 1..500 of in.jsonl (complete)"), std::string::npos)
      << r.output;
  EXPECT_EQ(distinct_markers_stored_once(db), 500u - 5u);
  EXPECT_EQ(db.connection()->execute("SELECT count(*) FROM events").at(0)[0].as_int64(), 495);

  // A complete file: a no-op that says so.
  r = run("events ingest in.jsonl");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("in.jsonl is already ingested (lines 1..500): nothing to do"),
            std::string::npos)
      << r.output;
  r = run("events ingest --json --resume in.jsonl");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["already_complete"], true) << r.output;
  EXPECT_EQ(db.connection()->execute("SELECT count(*) FROM events").at(0)[0].as_int64(), 495);

  r = run("events ingest --resume - < in.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--resume and --restart need a FILE"), std::string::npos) << r.output;
}

TEST_P(EventsCliTest, IngestReportsRejectedLinesAndStoresTheRest) {
  upgrade();
  write("in.jsonl",
        "{\"type\":\"x\",\"n\":1}\n{\"type\":\"x\",\"n\":2,}\n{\"type\":\"y\",\"q\":\"it's "
        "\\\"quoted\\\"\"}\n");
  EventsCliRun r = run("events ingest in.jsonl");
  EXPECT_EQ(r.exit_code, 6) << r.output;  // done, some lines rejected
  EXPECT_NE(r.output.find("accepted 2, rejected 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 2: rejected: malformed JSON"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("byte 18"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("lines read"), std::string::npos) << "no progress line off a terminal";

  r = run("events list --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 2u) << r.output;

  r = run("events find --contains '{\"type\":\"x\"}' --since 2020-01-01 --limit 20 --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 1u) << r.output;

  r = run("events find --path q='it'\"'\"'s \"quoted\"' --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 1u) << r.output;

  r = run("events find --contains '{\"type\":\"x\"}' --until 2020-01-01");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(0 events)"), std::string::npos) << r.output;

  r = run("events list");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("task_context"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(2 events)"), std::string::npos) << r.output;
}

TEST_P(EventsCliTest, StrictStoresNothingOnABadLineAndShowPrintsOneEvent) {
  upgrade();
  write("in.jsonl", "{\"a\":1}\nnope\n");
  EventsCliRun r = run("events ingest --strict in.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // nothing stored: an error
  EXPECT_NE(r.output.find("nothing stored"), std::string::npos) << r.output;
  r = run("events list --json");
  EXPECT_EQ(occurrences(r.output, "\"id\":"), 0u) << r.output;

  r = run_events_cli("--url '" + url_ + "' events ingest - < in.jsonl", dir_.path());
  EXPECT_NE(r.output.find("accepted 1, rejected 1"), std::string::npos) << r.output;
  r = run("events list --json");
  const std::size_t at = r.output.find("\"id\":\"");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string id = r.output.substr(at + 6, 36);
  r = run("events show " + id);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("id:           " + id), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NULL (not processed)"), std::string::npos) << r.output;
  r = run("events show 0190a4c2-0000-7000-8000-000000000000");
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

// The ingesting backend terminated from another connection mid-run: once with --retries 0 (the
// ingest stops, says where, and --resume completes it), once with retries (it mends itself).
TEST(EventsCliPg, TerminatedBackendMidRunThenResumeStoresEveryLineOnce) {
  testing::TempDir dir;
  testing::PgSchema schema;
  const std::string url = schema.url_text();
  const auto run = [&](const std::string& args) {
    return run_events_cli("--url '" + url + "' " + args, dir.path());
  };
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  Database admin(schema.url());
  // From the batch that would move the ledger past line 250, the ingest waits for an advisory
  // lock this test holds: a deterministic moment to terminate it, between COPY and COMMIT.
  const std::int64_t key =
      700000 + static_cast<std::int64_t>(std::hash<std::string>{}(schema.name()) % 100000);
  admin.connection()->execute_script(fmt::format(
      "CREATE FUNCTION ingest_gate() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
      "IF NEW.last_line > 250 THEN PERFORM pg_advisory_xact_lock({}); END IF; RETURN NEW; "
      "END $f$; CREATE TRIGGER ingest_gate BEFORE UPDATE ON events_ingest_ledger FOR EACH ROW "
      "EXECUTE FUNCTION ingest_gate();",
      key));
  const auto ingest_terminated_mid_run = [&](const std::string& args) {
    PooledConnection gate = admin.connection();
    gate->execute("SELECT pg_advisory_lock($1)", {Value(key)});
    std::future<EventsCliRun> ingest = std::async(std::launch::async, [&] { return run(args); });
    try {
      std::int64_t pid = 0;
      for (int i = 0; i < 1200 && pid == 0; ++i) {  // at most a minute for the ingest to block
        Result waiting = admin.connection()->execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid::bigint = $1",
            {Value(key)});
        if (!waiting.empty()) {
          pid = waiting.at(0)[0].as_int64();
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
      EXPECT_NE(pid, 0) << "the ingest never reached the third batch";
      if (pid != 0) {
        EXPECT_TRUE(admin.connection()
                        ->execute("SELECT pg_terminate_backend($1::int, 5000)", {Value(pid)})
                        .at(0)[0]
                        .as_bool());
      }
    } catch (...) {
      // The ingest waits for the lock: release it, or the future's destructor waits forever.
      gate->execute("SELECT pg_advisory_unlock($1)", {Value(key)});
      throw;
    }
    gate->execute("SELECT pg_advisory_unlock($1)", {Value(key)});
    return ingest.get();
  };
  const auto count = [&](const char* what) {
    return admin.connection()
        ->execute(std::string("SELECT count(") + what + ") FROM events")
        .at(0)[0]
        .as_int64();
  };

  std::ofstream(dir / "a.jsonl", std::ios::binary) << numbered_lines(1000);
  EventsCliRun r = ingest_terminated_mid_run("events ingest --retries 0 --batch-size 100 a.jsonl");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // The client sees the termination as the server's notice or as a closed socket (timing).
  EXPECT_TRUE(r.output.find("terminating connection") != std::string::npos ||
              r.output.find("08006") != std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("ingest of a.jsonl stopped: lines 203..303 were not stored"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("stored: lines 1..202 of a.jsonl"), std::string::npos) << r.output;
  EXPECT_EQ(count("*"), 200);
  r = run("events ingest --resume --batch-size 100 a.jsonl");
  EXPECT_EQ(r.exit_code, 6) << r.output;
  EXPECT_NE(r.output.find("stored: lines 1..1000 of a.jsonl (complete)"), std::string::npos)
      << r.output;
  EXPECT_EQ(count("*"), 990);
  EXPECT_EQ(count("DISTINCT data"), 990);
  r = run("events ingest a.jsonl");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("already ingested"), std::string::npos) << r.output;
  EXPECT_EQ(count("*"), 990);

  // With retries (the default), the interrupted batch is stored on a new connection.
  std::ofstream(dir / "b.jsonl", std::ios::binary) << numbered_lines(400);
  r = ingest_terminated_mid_run("events ingest --batch-size 100 b.jsonl");
  EXPECT_EQ(r.exit_code, 6) << r.output;  // lines 97, 194, ... are not JSON
  EXPECT_NE(r.output.find("1 batch retries"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("stored: lines 1..400 of b.jsonl (complete)"), std::string::npos)
      << r.output;
  EXPECT_EQ(count("*"), 990 + 396);
  EXPECT_EQ(count("DISTINCT data"), 990);  // b's lines repeat a's markers 1..400
}

TEST(EventsCliDemo, DemoIngestsTheExamplesAndProcessesThem) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "examples");
  std::filesystem::copy_file(std::filesystem::path(RETORT_SOURCE_DIR) / "examples" / "events.jsonl",
                             dir / "examples" / "events.jsonl");
  EventsCliRun r = run_events_cli("demo", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("50 events accepted, 2 lines rejected"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 18:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("line 39:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("processed 50 unprocessed events"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("billing"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsCliTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort

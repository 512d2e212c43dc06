// The Worker in process, `retort events work --exec` with handlers that fail in every way, and
// worker processes killed with SIGKILL while they run (at-least-once execution, exactly one
// committed result per event).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "events/processing_fixture.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"
#include "support/process.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

using Json = nlohmann::json;
using retort::testing::TempDir;

using WorkerInProcess = ProcessingDb;

TEST_P(WorkerInProcess, HandlersPerRoutingKeyRetriesAndDeadLetters) {
  std::vector<Json> docs;
  for (int i = 0; i < 60; ++i)
    docs.push_back({{"type", i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c"}, {"n", i}});
  store(docs);
  WorkerOptions o;
  o.slots = 4;
  o.batch_size = 7;
  o.once = true;
  o.default_max_attempts = 2;
  o.backoff = {
      .base = std::chrono::milliseconds(0), .max = std::chrono::milliseconds(0), .jitter = 0};
  o.listen = GetParam() == Dialect::postgresql;
  Worker w(*db_, o);
  std::atomic<int> calls{0};
  w.handle("a", [&](const ClaimedEvent& e) {
    ++calls;
    return HandlerResult{Json{{"h", "a"}, {"n", Json::parse(e.data.text())["n"]}}.dump()};
  });
  w.handle("b", [&](const ClaimedEvent& e) -> HandlerResult {
    ++calls;
    if (Json::parse(e.data.text())["n"].get<int>() % 2 == 1) throw std::runtime_error("odd b");
    return {R"({"h": "b"})", ContextWrite::merge_patch};
  });
  w.run();
  const WorkerCounters c = w.counters();
  // a: 20 done; b: 10 even done, 10 odd fail twice (dead); c: no handler, fail twice (dead).
  EXPECT_EQ(c.done, 30);
  EXPECT_EQ(c.dead, 30);
  EXPECT_EQ(c.failed, 60);
  EXPECT_EQ(c.lease_lost, 0);
  EXPECT_EQ(calls.load(), 20 + 10 + 20);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'done'"), 30);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'dead' AND last_error = 'odd b'"),
            10);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'dead' AND last_error = "
                   "'no handler for workflow ''c'''"),
            20);
  EXPECT_EQ(scalar("SELECT count(*) FROM retort_workers"), 0) << "the worker row outlived run()";
}

TEST_P(WorkerInProcess, StopGivesBackWhatWasNotStarted) {
  std::vector<Json> docs(20, Json{{"type", "slow"}});
  store(docs);
  WorkerOptions o;
  o.slots = 1;
  o.batch_size = 20;
  o.listen = false;
  Worker w(*db_, o);
  w.handle("slow", [&](const ClaimedEvent&) {
    w.stop();  // the first event asks the worker to stop: the other 19 go back
    return HandlerResult{"{}"};
  });
  w.run();
  EXPECT_EQ(w.counters().done, 1);
  EXPECT_EQ(w.counters().released, 19);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'pending' AND attempts = 0"), 19);
}

// --exec: each way a handler can go wrong is one failed attempt with a clear last_error.
using ExecHandler = ProcessingDb;

struct ExecCase {
  const char* name;
  const char* command;
  const char* options;
  const char* error;  // expected inside last_error
};

TEST_P(ExecHandler, EveryFailureIsRecordedAndTheWorkerCarriesOn) {
  const std::vector<ExecCase> cases = {
      {"error", R"(while read l; do echo '{"error": "upstream said no"}'; done)", "",
       "upstream said no"},
      {"exit", "read l; echo 'bad things' >&2; exit 3", "",
       "the handler exited with status 3; stderr: bad things"},
      {"timeout", "read l; sleep 30", "--timeout 1s --start-timeout 0 --lease 5s",
       "the handler took longer than 1000 ms (killed)"},
      {"not-json", "while read l; do echo 'hello there'; done", "",
       "the handler's answer is not JSON: hello there"},
      {"not-object", "while read l; do echo '[1]'; done", "",
       "the handler's answer is not a JSON object"},
      {"signal", "read l; kill -9 $$", "", "killed by signal 9 (SIGKILL)"},
      {"per-event-exit", "cat >/dev/null; echo oops >&2; exit 2", "--per-event",
       "the handler exited with status 2; stderr: oops"},
      {"start-timeout", "read l; sleep 30", "--timeout 1s --start-timeout 1s --lease 5s",
       "the handler took longer than 2000 ms, 1000 ms of them allowed for its start-up (killed)"},
  };
  for (const ExecCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Uuid id = store({Json{{"type", c.name}}}).at(0);
    const auto r = cli(fmt::format("events work --once --max-attempts 1 --workflow {} {} --exec {}",
                                   c.name, c.options, retort::testing::shell_quote(c.command)));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const Result row = db_->transaction([&](Session& s) {
      return s.execute("SELECT status, last_error FROM events WHERE id = $1", {id});
    });
    EXPECT_EQ(row.at(0)[0].as_text(), "dead");
    EXPECT_NE(row.at(0)[1].as_text().find(c.error), std::string::npos) << row.at(0)[1].as_text();
  }
}

TEST_P(ExecHandler, PythonHandlerStreamsAndPerEventWorks) {
  write("handler.py",
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    event = json.loads(line)\n"
        "    print(json.dumps({'seen': event['data']['n'], 'attempt': event['attempt']}),"
        " flush=True)\n");
  std::vector<Json> docs;
  for (int i = 0; i < 50; ++i) docs.push_back({{"type", "py"}, {"n", i}});
  store(docs);
  auto r =
      cli("events work --once --concurrency 3 --batch-size 4 --exec 'python3 handler.py' "
          "--format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Json::parse(r.output.substr(r.output.rfind("{\"")))["done"], 50) << r.output;
  const Result done = rows("SELECT data, task_context FROM events WHERE status = 'done'");
  ASSERT_EQ(done.size(), 50u);
  for (const Row& row : done) {
    EXPECT_EQ(Json::parse(json_text(row[1]))["seen"], Json::parse(json_text(row[0]))["n"]);
  }
  // events find over task_context: one event's result says seen 7; a missing key matches none.
  r = cli("events find --context-path seen=7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_EQ(Json::parse(r.output.substr(0, r.output.find('\n')))["data"]["n"], 7) << r.output;
  r = cli("events find --context-contains '{\"seen\": 8}' --path n=8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  r = cli("events find --context-path nothing.here --json");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << r.output;
  store({Json{{"type", "one"}, {"n", 7}}});
  write("once.py",
        "import json, sys\n"
        "event = json.load(sys.stdin)\n"
        "print(json.dumps({'per_event': event['data']['n']}))\n");
  r = cli("events work --once --per-event --exec 'python3 once.py'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'done'"), 51);
}

// A handler's start-up is not its event's handling: a process that takes 1.5 s to start and
// then answers at once finishes its first event under --timeout 500ms, because a new process
// gets --start-timeout on top; with --start-timeout 0 the same start fails the event, and once
// started, a slow answer is still held to --timeout.
TEST_P(ExecHandler, StartUpIsAllowedForBeforeTheTimeoutCounts) {
  const std::string slow_start = "sleep 1.5; while read l; do echo '{}'; done";
  const auto work = [&](const std::string& workflow, const std::string& options,
                        const std::string& command) {
    const auto r = cli(fmt::format(
        "events work --once --max-attempts 1 --batch-size 1 --workflow {} --timeout 500ms {} "
        "--exec {}",
        workflow, options, retort::testing::shell_quote(command)));
    EXPECT_EQ(r.exit_code, 0) << r.output;
  };
  const auto status_of = [&](const Uuid& id) {
    return db_->transaction([&](Session& s) {
      return s.execute("SELECT status, last_error FROM events WHERE id = $1", {id});
    });
  };

  const std::vector<Uuid> started =
      store({Json{{"type", "slow-start"}}, Json{{"type", "slow-start"}}});
  work("slow-start", "--start-timeout 5s", slow_start);
  for (const Uuid& id : started) EXPECT_EQ(status_of(id).at(0)[0].as_text(), "done");

  const Uuid no_allowance = store({Json{{"type", "no-allowance"}}}).at(0);
  work("no-allowance", "--start-timeout 0", slow_start);
  const Result failed = status_of(no_allowance);
  EXPECT_EQ(failed.at(0)[0].as_text(), "dead");
  EXPECT_EQ(failed.at(0)[1].as_text(), "the handler took longer than 500 ms (killed)");

  const Uuid per_event = store({Json{{"type", "per-event"}}}).at(0);
  work("per-event", "--per-event --start-timeout 5s", "sleep 1.5; cat >/dev/null; echo '{}'");
  EXPECT_EQ(status_of(per_event).at(0)[0].as_text(), "done");

  // Started quickly, then slow on its second event: the allowance was the first event's only.
  const std::vector<Uuid> later =
      store({Json{{"type", "slow-later"}}, Json{{"type", "slow-later"}}});
  work("slow-later", "--start-timeout 5s",
       "read l; echo '{}'; read l; sleep 2; echo '{}'; while read l; do echo '{}'; done");
  const Result first = status_of(later[0]);
  const Result second = status_of(later[1]);
  EXPECT_EQ(first.at(0)[0].as_text(), "done");
  EXPECT_EQ(second.at(0)[0].as_text(), "dead");
  EXPECT_EQ(second.at(0)[1].as_text(), "the handler took longer than 500 ms (killed)");
}

TEST_P(ExecHandler, BadOptionsAreRefusedClearly) {
  auto r = cli("events work --exec true --timeout 0s");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--timeout: '0s' is not a positive duration"), std::string::npos)
      << r.output;
  r = cli("events work --exec true --start-timeout=-1s");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--start-timeout: '-1s' is not a non-negative duration"),
            std::string::npos)
      << r.output;
  r = cli("events work --exec true --lease soon");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--lease: 'soon' is not a positive duration"), std::string::npos)
      << r.output;
  r = cli("events work --exec true --concurrency 0");
  EXPECT_NE(r.exit_code, 0);
  r = cli("events retry --status sleeping");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown status 'sleeping'"), std::string::npos) << r.output;
  r = cli("events retry");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("say which events"), std::string::npos) << r.output;
  const Uuid id = store({Json{{"type", "x"}}}).at(0);
  r = cli("events patch " + id.to_string() + " '[1, 2]'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("must be a JSON object"), std::string::npos) << r.output;
  r = cli("events patch " + id.to_string() + " '{\"a\": {\"b\": 1}}'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = cli("events stats --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Json::parse(r.output).contains("counts")) << r.output;
}

// Worker processes killed with SIGKILL at random moments: every event ends done with exactly one
// committed result, from its last claim; every handler execution was recorded.
// The last lines each worker wrote (for a failure message).
std::string worker_logs(const TempDir& dir) {
  std::string out;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".log" || entry.path().filename().string().starts_with("exec"))
      continue;
    std::ifstream in(entry.path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    out += entry.path().filename().string() + ":\n";
    for (std::size_t i = lines.size() > 5 ? lines.size() - 5 : 0; i < lines.size(); ++i)
      out += "  " + lines[i] + "\n";
  }
  return out;
}

class KillTrial : public ::testing::Test {
 protected:
  retort::testing::PgSchema schema_;
  TempDir dir_;
};

TEST_F(KillTrial, KilledWorkersLoseNothingAndCommitOneResultPerEvent) {
  const int trials =
      std::getenv("RETORT_KILL_TRIALS") ? std::atoi(std::getenv("RETORT_KILL_TRIALS")) : 3;
  const int workers = 8;
  const int events = 10000;
  const std::string url = schema_.url_text();
  Database db(parse_database_url(url));
  migrate::upgrade(db, "head", quiet_builtin());
  std::ofstream(dir_ / "handler.py")
      << "import json, os, sys\n"
         "log = open(sys.argv[1], 'a')\n"
         "for line in sys.stdin:\n"
         "    e = json.loads(line)\n"
         "    log.write('%s %d %d\\n' % (e['id'], e['attempt'], os.getpid()))\n"
         "    log.flush()\n"
         "    print(json.dumps({'exec_%d_%d' % (os.getpid(), e['attempt']): e['attempt']}),"
         " flush=True)\n";
  std::mt19937 rng(12345);
  for (int trial = 0; trial < trials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    db.transaction([](Session& s) { s.execute("DELETE FROM events"); });
    const std::filesystem::path log = dir_ / ("executions_" + std::to_string(trial) + ".log");
    std::vector<std::string> docs;
    for (int i = 0; i < events; ++i) docs.push_back(Json{{"type", "t"}, {"n", i}}.dump());
    db.transaction([&](Session& s) { EventRepository(s).record_many(docs); });
    // A restarted handler's start-up is covered by --start-timeout (default 10s), not --timeout:
    // before it existed, --timeout 1s on a machine where python3 took over a second to start
    // finished no event at all.
    const std::string command =
        "env -u RETORT_CONFIG '" RETORT_BINARY_DIR "/retort' --url " +
        retort::testing::shell_quote(url) +
        " events work --concurrency 2 --batch-size 10 --lease 2s --timeout 10s "
        "--poll-interval 200ms --exec " +
        retort::testing::shell_quote("python3 " + (dir_ / "handler.py").string() + " " +
                                     log.string());
    std::vector<pid_t> pids;
    for (int w = 0; w < workers; ++w) {
      pids.push_back(
          retort::testing::spawn_shell(command, dir_ / ("worker" + std::to_string(w) + ".log")));
    }
    // Kill a random worker every so often and start a new one, a few times.
    for (int kill = 0; kill < 6; ++kill) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
      const std::size_t victim = rng() % pids.size();
      ::kill(pids[victim], SIGKILL);
      waitpid(pids[victim], nullptr, 0);
      pids[victim] = retort::testing::spawn_shell(command, dir_ / "restarted.log");
    }
    // Wait for the queue to drain (a bound, not a timing assertion).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(4);
    auto done = [&] {
      return db.transaction([](Session& s) {
        return s.execute("SELECT count(*) FROM events WHERE status = 'done'").at(0)[0].as_int64();
      });
    };
    while (done() < events && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (pid_t p : pids) retort::testing::stop_process(p);
    ASSERT_EQ(done(), events) << "not every event was processed; the workers said:\n"
                              << worker_logs(dir_);
    // Exactly one committed result, from the claim that was current when it was written.
    const Result all = db.transaction(
        [](Session& s) { return s.execute("SELECT id, attempts, task_context FROM events"); });
    std::map<std::string, std::set<int>> executions;
    std::ifstream in(log);
    std::string id;
    int attempt = 0;
    long pid = 0;
    while (in >> id >> attempt >> pid) executions[id].insert(attempt);
    for (const Row& row : all) {
      const Json result = Json::parse(json_text(row[2]));
      ASSERT_EQ(result.size(), 1u) << "more than one committed result: " << result.dump();
      const int committed = result.begin().value().get<int>();
      EXPECT_EQ(committed, row[1].as_int64()) << "a result from an earlier claim was committed";
      const auto seen = executions.find(row[0].as_uuid().to_string());
      ASSERT_NE(seen, executions.end()) << "an event was done but its handler never ran";
      EXPECT_TRUE(seen->second.contains(committed));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dialects, WorkerInProcess,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());
INSTANTIATE_TEST_SUITE_P(Dialects, ExecHandler,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::events

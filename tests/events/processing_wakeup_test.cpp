// The worker's life around the edges: woken by NOTIFY rather than by polling, stopped by
// SIGTERM (the event in hand finished, the rest given back), carrying on when the server
// terminates its connections mid-run, several processes sharing one SQLite file. Bounds on waiting
// only; no timing assertions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>

#include "events/processing_fixture.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"

namespace retort::events {
namespace {

using WakeUp = ProcessingDb;

// The poll interval is ten minutes: an event stored while the worker idles is processed within
// the bound only because its NOTIFY woke the worker.
TEST_P(WakeUp, IdleWorkerIsWokenByTheNotifyOfACommittedEvent) {
  WorkerOptions o;
  o.slots = 1;
  o.listen = true;
  o.poll_interval = std::chrono::minutes(10);
  Worker w(*db_, o);
  std::mutex m;
  std::condition_variable cv;
  std::set<std::string> handled;
  w.handle_any([&](const ClaimedEvent& e) {
    std::lock_guard lock(m);
    handled.insert(e.id.to_string());
    cv.notify_all();
    return HandlerResult{R"({"woken": true})"};
  });
  std::thread runner([&] { w.run(); });
  // Listening (the worker row is written after LISTEN) and idle (one empty claim made).
  const bool idle = eventually([&] {
    return w.counters().claims >= 1 && scalar("SELECT count(*) FROM retort_workers") == 1;
  });
  // Rolled back: never processed (and its NOTIFY is never delivered).
  EXPECT_THROW(db_->transaction([&](Session& s) {
    EventRepository(s).record(R"({"type": "ghost"})");
    throw std::runtime_error("roll back");
  }),
               std::runtime_error);
  const Uuid id = store({Json{{"type", "t"}}}).at(0);
  bool woken = false;
  {
    std::unique_lock lock(m);
    woken = cv.wait_for(lock, std::chrono::seconds(60),
                        [&] { return handled.contains(id.to_string()); });
  }
  w.stop();
  runner.join();
  ASSERT_TRUE(idle) << "the worker never became idle";
  EXPECT_TRUE(woken) << "the worker was not woken by the event's NOTIFY";
  EXPECT_EQ(handled.size(), 1u) << "the rolled-back event was processed";
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'done'"), 1);
}

using GracefulStop = ProcessingDb;

// SIGTERM while a handler works on the first event of a batch of three: that event is
// finished and written, the other two go back unstarted, the worker exits 0 and removes its
// row.
TEST_P(GracefulStop, SigtermFinishesTheEventInHandAndGivesBackTheRest) {
  store({Json{{"type", "s"}, {"n", 1}}, Json{{"type", "s"}, {"n", 2}},
         Json{{"type", "s"}, {"n", 3}}});
  const std::filesystem::path started = dir_ / "started";
  const std::string handler =
      "while read l; do touch " + started.string() + "; sleep 1; echo '{\"finished\": true}'; done";
  const pid_t pid = retort::testing::spawn_shell(
      "env -u RETORT_CONFIG '" RETORT_BINARY_DIR "/retort' --url " +
          retort::testing::shell_quote(url_) +
          " events work --batch-size 3 --poll-interval 100ms --grace 30s --exec " +
          retort::testing::shell_quote(handler),
      dir_ / "worker.log");
  const bool in_hand = eventually([&] { return std::filesystem::exists(started); });
  ::kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(in_hand) << "the handler never started";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'done'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'pending' AND attempts = 0"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM retort_workers"), 0);
}

using Reconnect = ProcessingDb;

// Every connection of the worker (slots, listener) is terminated by the server several times
// while it works: it reconnects, and every event ends done with one result.
TEST_P(Reconnect, WorkerCarriesOnWhenTheServerTerminatesItsConnections) {
  const std::string app = "retort_reconnect_" + std::to_string(getpid());
  Database worker_db(parse_database_url(url_ + "&application_name=" + app));
  std::vector<Json> docs;
  for (int i = 0; i < 400; ++i) docs.push_back({{"type", "r"}, {"n", i}});
  store(docs);
  WorkerOptions o;
  o.slots = 2;
  o.batch_size = 5;
  o.lease = std::chrono::seconds(2);
  o.poll_interval = std::chrono::milliseconds(100);
  Worker w(worker_db, o);
  std::atomic<int> executions{0};
  w.handle_any([&](const ClaimedEvent& e) {
    ++executions;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return HandlerResult{Json{{"n", Json::parse(e.data.text())["n"]}}.dump()};
  });
  std::thread runner([&] { w.run(); });
  std::int64_t terminated = 0;
  for (int round = 0; round < 5; ++round) {
    eventually([&] { return executions.load() >= 40 * (round + 1); });
    terminated += scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
        "application_name = '" +
        app + "') AS t");
  }
  const bool drained =
      eventually([&] { return scalar("SELECT count(*) FROM events WHERE status = 'done'") == 400; },
                 std::chrono::seconds(120));
  w.stop();
  runner.join();
  EXPECT_GT(terminated, 0) << "no connection of the worker was terminated";
  EXPECT_TRUE(drained) << scalar("SELECT count(*) FROM events WHERE status = 'done'")
                       << " of 400 done";
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE task_context ->> 'n' = data ->> 'n'"), 400);
}

using SharedFile = ProcessingDb;

// Several worker processes on one SQLite file (claims under BEGIN IMMEDIATE): every event done
// once, and no "database is locked" from any of them.
TEST_P(SharedFile, SeveralWorkerProcessesDrainOneSqliteFile) {
  std::vector<Json> docs;
  for (int i = 0; i < 600; ++i) docs.push_back({{"type", "f"}, {"n", i}});
  store(docs);
  write("handler.py",
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    print(json.dumps({'n': json.loads(line)['data']['n']}), flush=True)\n");
  std::vector<pid_t> pids;
  for (int w = 0; w < 4; ++w) {
    pids.push_back(retort::testing::spawn_shell(
        "env -u RETORT_CONFIG '" RETORT_BINARY_DIR "/retort' --url " +
            retort::testing::shell_quote(url_) +
            " events work --once --concurrency 2 --batch-size 5 --exec " +
            retort::testing::shell_quote("python3 " + (dir_ / "handler.py").string()),
        dir_ / ("worker" + std::to_string(w) + ".log")));
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  std::string logs;
  for (int w = 0; w < 4; ++w) {
    std::ifstream in(dir_ / ("worker" + std::to_string(w) + ".log"));
    logs += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(logs.find("locked"), std::string::npos) << logs;
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'done' AND attempts = 1 AND "
                   "json_extract(task_context, '$.n') = json_extract(data, '$.n')"),
            600)
      << logs;
}

INSTANTIATE_TEST_SUITE_P(Dialects, SharedFile, ::testing::Values(Dialect::sqlite),
                         retort::testing::DialectName());
INSTANTIATE_TEST_SUITE_P(Dialects, WakeUp, ::testing::Values(Dialect::postgresql),
                         retort::testing::DialectName());
INSTANTIATE_TEST_SUITE_P(Dialects, GracefulStop,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());
INSTANTIATE_TEST_SUITE_P(Dialects, Reconnect, ::testing::Values(Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::events

// A full PostgreSQL restart (pg_ctl restart: every session ended, the listener's included) while
// two workers drain the queue, on a cluster of the test's own so that no other test sees it:
// the workers reconnect and finish, nothing is lost, and each event's one committed result is
// the one of its current claim. Bounds on waiting only; no timing assertions.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "events/processing_fixture.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"
#include "support/scratch_cluster.hpp"

namespace retort::events {
namespace {

constexpr int kEvents = 1500;

// Every execution of the handler: event id -> attempts it ran for.
class Executions {
 public:
  void record(const ClaimedEvent& e) {
    std::lock_guard lock(mutex_);
    runs_[e.id.to_string()].push_back(e.attempt);
    ++total_;
  }
  int total() const { return total_.load(); }
  std::map<std::string, std::vector<int>> runs() const {
    std::lock_guard lock(mutex_);
    return runs_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<int>> runs_;
  std::atomic<int> total_{0};
};

class ServerRestart : public ::testing::Test {
 protected:
  ServerRestart() : cluster_(options()), url_(cluster_url()) {
    Database db(parse_database_url(url_));
    migrate::upgrade(db, "head", quiet_builtin());
    std::vector<std::string> docs;
    for (int i = 0; i < kEvents; ++i) docs.push_back(Json{{"type", "r"}, {"n", i}}.dump());
    db.transaction([&](Session& s) { EventRepository(s).record_many(docs); });
  }
  static retort::testing::ScratchClusterOptions options() {
    retort::testing::ScratchClusterOptions o;
    o.hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n";
    return o;
  }
  std::string cluster_url() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(cluster_.port()) + "/postgres";
  }
  // A query on a fresh connection; nullopt while the server is not accepting connections.
  std::optional<Result> query(const std::string& sql) {
    try {
      Database db(parse_database_url(url_));
      return db.connection()->execute(sql);
    } catch (const Error&) {
      return std::nullopt;
    }
  }
  std::int64_t count(const std::string& where) {
    const auto r = query("SELECT count(*) FROM events WHERE " + where);
    return r ? r->at(0)[0].as_int64() : -1;
  }
  std::string started_at() {
    return query("SELECT pg_postmaster_start_time()::text")->at(0)[0].as_text();
  }

  retort::testing::ScratchCluster cluster_;
  std::string url_;
};

TEST_F(ServerRestart, WorkersReconnectFinishAndCommitOneResultPerEvent) {
  Executions executions;
  WorkerOptions o;
  o.slots = 2;
  o.batch_size = 5;
  o.lease = std::chrono::seconds(2);  // results lost in the restart are redone soon after
  o.poll_interval = std::chrono::milliseconds(100);
  std::vector<std::unique_ptr<Database>> pools;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> runners;
  for (int w = 0; w < 2; ++w) {
    pools.push_back(std::make_unique<Database>(parse_database_url(url_)));
    o.worker_id = "restart:" + std::to_string(w);
    workers.push_back(std::make_unique<Worker>(*pools.back(), o));
    workers.back()->handle_any([&](const ClaimedEvent& e) {
      executions.record(e);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return HandlerResult{
          Json{{"n", Json::parse(e.data.text())["n"]}, {"attempt", e.attempt}}.dump()};
    });
  }
  for (auto& w : workers) runners.emplace_back([&w] { w->run(); });

  // Two restarts, each once the workers have run a few hundred more handlers.
  std::vector<int> executed_at_restart;
  for (int restart = 0; restart < 2; ++restart) {
    const int floor = executions.total() + 300;
    ASSERT_TRUE(eventually([&] { return executions.total() >= floor; }, std::chrono::seconds(120)))
        << "the workers stalled at " << executions.total() << " executions";
    const std::string before = started_at();
    executed_at_restart.push_back(executions.total());
    cluster_.restart();
    EXPECT_NE(started_at(), before) << "the server did not restart";
  }
  ASSERT_LT(executed_at_restart.back(), kEvents) << "the queue drained before the last restart";
  const bool drained =
      eventually([&] { return count("status = 'done'") == kEvents; }, std::chrono::seconds(120));
  for (auto& w : workers) w->stop();
  for (auto& r : runners) r.join();

  ASSERT_TRUE(drained) << count("status = 'done'") << " of " << kEvents << " done";
  EXPECT_EQ(count("status <> 'done'"), 0);
  // The committed result is the one of the claim that was current: a handler that ran for an
  // earlier claim (its result lost in the restart, or refused) never overwrote it.
  EXPECT_EQ(count("(task_context ->> 'attempt')::int = attempts AND task_context ->> 'n' = data "
                  "->> 'n' AND locked_by IS NULL"),
            kEvents);
  const auto runs = executions.runs();
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(kEvents)) << "an event was never executed";
  const Result attempts = *query("SELECT id::text, attempts FROM events");
  int reexecuted = 0;
  for (const Row& row : attempts) {
    const auto found = runs.find(row[0].as_text());
    ASSERT_NE(found, runs.end()) << row[0].as_text() << " done without an execution";
    // The last execution is the current claim's; earlier ones are claims whose results were
    // lost with the restarted server.
    EXPECT_EQ(found->second.back(), row[1].as_int64()) << row[0].as_text();
    if (found->second.size() > 1) ++reexecuted;
  }
  // At most the events in the workers' hands at each restart run twice (2 workers x 2 slots x 5).
  EXPECT_LE(reexecuted, 2 * 2 * 2 * 5);
}

}  // namespace
}  // namespace retort::events

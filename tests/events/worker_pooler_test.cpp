// A worker whose URL goes through PgBouncer in transaction mode without being told: it finds out
// before it LISTENs (where notifications would never arrive), says so, and processes by polling.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "events/processing_fixture.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/worker.hpp"
#include "support/log_capture.hpp"
#include "support/pgbouncer.hpp"

namespace retort::events {
namespace {

using retort::testing::LogCapture;

TEST(WorkerBehindAPooler, AnUndeclaredTransactionPoolerMeansPollingNotListen) {
  retort::testing::PgBouncer bouncer("transaction");
  Database direct(parse_database_url(bouncer.direct_url()));
  migrate::upgrade(direct, "head", quiet_builtin());
  direct.transaction([](Session& s) {
    EventRepository repo(s);
    for (int i = 0; i < 3; ++i) repo.record(R"({"type": "t"})");
  });

  DatabaseOptions through;
  through.connection.prepared_statements = false;  // what the pooler allows
  Database pooled(parse_database_url(bouncer.url()), through);
  LogCapture log;
  WorkerOptions o;
  o.slots = 1;
  o.listen = true;  // not told about the pooler
  o.poll_interval = std::chrono::milliseconds(50);
  Worker w(pooled, o);
  std::atomic<int> done{0};
  w.handle("t", [&](const ClaimedEvent&) {
    ++done;
    return HandlerResult{R"({"ok": true})"};
  });
  std::thread stopper([&] {
    // Stop once the work is done and the worker has decided about LISTEN (bounded, not timed).
    for (int i = 0; i < 600; ++i) {
      if (done.load() == 3 && log.text().find("transaction pooler") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    w.stop();
  });
  w.run();
  stopper.join();

  EXPECT_EQ(done.load(), 3);
  EXPECT_NE(log.text().find("where LISTEN cannot work; polling every 50 ms"), std::string::npos)
      << log.text();
  const std::int64_t finished = direct.transaction([](Session& s) {
    return s.execute("SELECT count(*) FROM events WHERE status = 'done'").at(0)[0].as_int64();
  });
  EXPECT_EQ(finished, 3);
}

}  // namespace
}  // namespace retort::events

// The worker's wake-up connection (LISTEN) with a fault at its LISTEN and at a wait for
// notifications, each fault kind (tests/support/fault_injection.hpp): the worker says what
// failed, connects again, claims what was stored meanwhile, and is woken by NOTIFY afterwards.
// The poll interval is ten minutes, so every event done within the bound was claimed because the
// worker listened again, not because it polled. Every event ends done, handled once.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "events/processing_fixture.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

namespace retort::events {
namespace {

using retort::testing::Fault;
using retort::testing::FaultInjector;
using retort::testing::LogCapture;
using retort::testing::StepKind;

class ListenFaults : public ::testing::TestWithParam<std::tuple<StepKind, Fault>> {
 protected:
  ListenFaults() : url_(schema_.url_text()), plain_(parse_database_url(url_)) {
    migrate::upgrade(plain_, "head", quiet_builtin());
  }

  void store(int n) {
    plain_.transaction([&](Session& s) {
      EventRepository events(s);
      for (int i = 0; i < n; ++i) events.record(R"({"type": "listen-fault"})");
    });
  }
  std::int64_t done() {
    return plain_.transaction([](Session& s) {
      return s.execute("SELECT count(*) FROM events WHERE status = 'done'").at(0)[0].as_int64();
    });
  }

  retort::testing::PgSchema schema_;
  std::string url_;
  Database plain_;  // stores and reads, outside the injector
};

TEST_P(ListenFaults, WorkerSaysSoListensAgainAndMissesNothing) {
  const auto [kind, fault] = GetParam();
  FaultInjector faults;
  Database db = faults.open(parse_database_url(url_));
  faults.arm(1, fault, {kind});
  LogCapture log;

  WorkerOptions o;
  o.slots = 1;
  o.listen = true;
  o.poll_interval = std::chrono::minutes(10);
  Worker w(db, o);
  std::mutex m;
  std::multiset<std::string> handled;
  w.handle_any([&](const ClaimedEvent& e) {
    const std::lock_guard lock(m);
    handled.insert(e.id.to_string());
    return HandlerResult{R"({"ok": true})"};
  });
  std::thread runner([&] { w.run(); });

  const bool fired = eventually([&] { return faults.fired(); });
  store(3);  // stored around the reconnection: claimed when the worker listens again
  const bool first = eventually([&] { return done() == 3; });
  store(2);  // stored after it: the NOTIFY wakes the worker
  const bool second = eventually([&] { return done() == 5; });
  w.stop();
  runner.join();

  ASSERT_TRUE(fired) << "the worker never reached the armed step";
  EXPECT_TRUE(first) << done() << " of the first 3 events done: the worker did not listen again";
  EXPECT_TRUE(second) << done() << " of 5 done: the NOTIFY after reconnecting did not wake it";
  const std::string said = log.text();
  const std::string expected =
      kind == StepKind::listen ? "cannot LISTEN (" : "the LISTEN connection failed (";
  EXPECT_NE(said.find(expected), std::string::npos) << said;
  EXPECT_NE(said.find("injected fault"), std::string::npos) << said;
  const std::lock_guard lock(m);
  EXPECT_EQ(handled.size(), 5u);
  for (const std::string& id : handled) EXPECT_EQ(handled.count(id), 1u) << id;
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<StepKind, Fault>>& info) {
  return std::string(retort::testing::step_name(std::get<0>(info.param))) + "_" +
         retort::testing::fault_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Faults, ListenFaults,
                         ::testing::Combine(::testing::Values(StepKind::listen, StepKind::wait),
                                            ::testing::Values(Fault::error, Fault::broken_link,
                                                              Fault::lost_reply)),
                         case_name);

}  // namespace
}  // namespace retort::events

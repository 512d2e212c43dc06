// Processing (claim, heartbeat, complete, fail, retry, release) with a fault at every step in turn
// (tests/support/ fault_injection.hpp). After each: every event's status, attempts, lease and
// task_context agree with one another (nothing half-applied, a batch of completions all or
// nothing), the error names the worker or the events it was about, and once the leases a lost claim
// left behind run out, processing without faults finishes every event with exactly its one result.
#include <gtest/gtest.h>

#include <cstdio>

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "events/processing_fixture.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/processing.hpp"
#include "support/fault_injection.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

using retort::testing::Fault;
using retort::testing::FaultInjector;

constexpr const char* kWorker = "faults:1:0";
constexpr int kEvents = 3;

std::string result_for(std::int64_t n) {
  return Json{{"result", n}}.dump();
}

std::int64_t marker(const ClaimedEvent& e) {
  return Json::parse(e.data.text())["n"].get<std::int64_t>();
}

// The events table's shape (SQLite, PostgreSQL, PostgreSQL partitioned by created_at) and the
// fault injected at every step in turn.
using ShapeFault = std::tuple<TableShape, Fault>;

class ProcessingFaultsTest : public ::testing::TestWithParam<ShapeFault> {
 protected:
  ProcessingFaultsTest()
      : test_db_(dialect_of(std::get<0>(GetParam()))),
        plain_(test_db_.url()),
        db_(faults_.open(test_db_.url())),
        processor_(db_, {.worker_id = kWorker,
                         .backoff = {.jitter = 0},
                         .partitioned = std::get<0>(GetParam()) == TableShape::partitioned}) {
    upgrade_to(plain_, std::get<0>(GetParam()));
  }
  Fault fault() const { return std::get<1>(GetParam()); }

  void store_events() {
    plain_.transaction([](Session& s) {
      s.execute("DELETE FROM events");
      std::vector<std::string> docs;
      for (int n = 1; n <= kEvents; ++n) docs.push_back(Json{{"n", n}}.dump());
      EventRepository(s).record_many(std::move(docs));
    });
  }

  // The path under test: claim all, extend their leases, complete two in one batch, fail the
  // third, requeue it by id, claim it again, give it back unstarted, claim it once more and
  // complete it. `stage` says which call is running.
  void run_path(std::string& stage, std::vector<std::string>& ids_in_stage) {
    stage = "claim";
    std::vector<ClaimedEvent> claimed = processor_.claim(kEvents);
    if (claimed.size() != static_cast<std::size_t>(kEvents)) throw Error("claimed too few");
    std::map<std::int64_t, const ClaimedEvent*> by_n;
    for (const ClaimedEvent& e : claimed) by_n[marker(e)] = &e;
    stage = "heartbeat";
    ids_in_stage.clear();
    for (const ClaimedEvent& e : claimed) ids_in_stage.push_back(e.id.to_string());
    EXPECT_EQ(processor_.heartbeat(claimed), static_cast<std::size_t>(kEvents));
    stage = "complete";
    ids_in_stage = {by_n[1]->id.to_string(), by_n[2]->id.to_string()};
    const std::vector<Completion> batch{{by_n[1], result_for(1)}, {by_n[2], result_for(2)}};
    for (const Outcome o : processor_.complete_many(batch)) EXPECT_EQ(o, Outcome::done);
    stage = "fail";
    ids_in_stage = {by_n[3]->id.to_string()};
    EXPECT_EQ(processor_.fail(*by_n[3], "boom"), Outcome::retry);
    stage = "retry";
    db_.transaction([&](Session& s) { EXPECT_EQ(retry(s, {.ids = {by_n[3]->id}}), 1); });
    stage = "claim";
    std::vector<ClaimedEvent> again = processor_.claim(1);
    if (again.size() != 1) throw Error("the retried event was not claimed again");
    stage = "release";
    ids_in_stage = {again.front().id.to_string()};
    EXPECT_EQ(processor_.release(again), 1u);
    stage = "claim";
    again = processor_.claim(1);
    if (again.size() != 1) throw Error("the released event was not claimed again");
    stage = "complete";
    ids_in_stage = {again.front().id.to_string()};
    EXPECT_EQ(processor_.complete(again.front(), result_for(3)), Outcome::done);
    stage = "done";
  }

  // Asserts that each event's columns agree with its status; returns the statuses by marker.
  std::map<std::int64_t, std::string> expect_consistent() {
    std::map<std::int64_t, std::string> status_of;
    const Result rows = plain_.connection()->execute(
        "SELECT data, status, attempts, locked_by, locked_until, task_context, last_error, "
        "finished_at FROM events");
    EXPECT_EQ(rows.size(), static_cast<std::size_t>(kEvents));
    for (const Row& row : rows) {
      const std::int64_t n = Json::parse(json_text(row[0]))["n"].get<std::int64_t>();
      const std::string status = row[1].as_text();
      const std::int64_t attempts = row[2].as_int64();
      const bool leased = !row[3].is_null();
      SCOPED_TRACE(fmt::format("event {}: {}, attempts {}", n, status, attempts));
      EXPECT_EQ(leased, !row[4].is_null()) << "locked_by and locked_until disagree";
      EXPECT_GE(attempts, 0);
      EXPECT_LE(attempts, 2);
      if (status == "pending") {
        EXPECT_FALSE(leased);
        EXPECT_TRUE(row[5].is_null());
      } else if (status == "running") {
        EXPECT_TRUE(leased);
        EXPECT_EQ(row[3].as_text(), kWorker);
        EXPECT_GE(attempts, 1);
        EXPECT_TRUE(row[5].is_null());
      } else if (status == "done") {
        EXPECT_FALSE(leased);
        EXPECT_FALSE(row[7].is_null());
        EXPECT_EQ(Json::parse(json_text(row[5])), Json::parse(result_for(n)));
      } else if (status == "failed") {
        EXPECT_FALSE(leased);
        EXPECT_TRUE(row[5].is_null());
        EXPECT_EQ(row[6].as_text(), "boom");
        EXPECT_EQ(n, 3) << "only event 3 is ever failed";
      } else {
        ADD_FAILURE() << "unexpected status";
      }
      status_of[n] = status;
    }
    // The completions of events 1 and 2 are one transaction.
    EXPECT_EQ(status_of[1] == "done", status_of[2] == "done") << "a batch was half-applied";
    return status_of;
  }

  // What the error of a fault in `stage` must name.
  static void expect_error_names(const Error& e, const std::string& stage,
                                 const std::vector<std::string>& ids) {
    const std::string text = e.what();
    if (stage == "claim") {
      EXPECT_NE(text.find("claim"), std::string::npos) << text;
      EXPECT_NE(text.find(kWorker), std::string::npos) << text;
    } else if (stage == "complete" || stage == "fail" || stage == "heartbeat" ||
               stage == "release") {
      for (const std::string& id : ids) EXPECT_NE(text.find(id), std::string::npos) << text;
    }
  }

  // Without faults: the leases a lost claim left behind run out (set in the past, as time would),
  // failed events are requeued, and every event is claimed and completed.
  void finish_without_faults() {
    const Timestamp past(Timestamp::now().time_point() - std::chrono::hours(1));
    plain_.transaction([&](Session& s) {
      s.execute("UPDATE events SET locked_until = $1, run_after = $1 WHERE status = 'running'",
                {past});
      retry(s, {.status = Status::failed});
    });
    for (int round = 0; round < kEvents + 1; ++round) {
      const std::vector<ClaimedEvent> claimed = processor_.claim(kEvents);
      if (claimed.empty()) break;
      for (const ClaimedEvent& e : claimed) {
        EXPECT_EQ(processor_.complete(e, result_for(marker(e))), Outcome::done);
      }
    }
    for (const auto& [n, status] : expect_consistent()) EXPECT_EQ(status, "done") << n;
  }

  testing::TestDatabase test_db_;
  Database plain_;
  FaultInjector faults_;
  Database db_;
  Processor processor_;
};

TEST_P(ProcessingFaultsTest, EveryStepFailsInTurnNothingIsHalfAppliedAndProcessingFinishes) {
  store_events();
  faults_.count();
  std::string stage;
  std::vector<std::string> ids;
  run_path(stage, ids);
  ASSERT_EQ(stage, "done");
  for (const auto& [n, status] : expect_consistent()) ASSERT_EQ(status, "done") << n;
  const std::vector<std::string> trace = faults_.trace();
  ASSERT_GE(trace.size(), 6u);
  RecordProperty("fault_points", static_cast<int>(trace.size()));
  std::printf("%zu fault points\n", trace.size());
  for (std::size_t n = 1; n <= trace.size(); ++n) {
    SCOPED_TRACE(fmt::format("{} at {}", fault_name(fault()), trace[n - 1]));
    store_events();
    faults_.arm(n, fault());
    try {
      run_path(stage, ids);
      ADD_FAILURE() << "the path succeeded despite the fault";
    } catch (const Error& e) {
      ASSERT_TRUE(faults_.fired()) << e.what();
      SCOPED_TRACE("in " + stage + ": " + e.what());
      expect_consistent();
      expect_error_names(e, stage, ids);
    }
    finish_without_faults();
  }
}

struct ShapeFaultName {
  std::string operator()(const ::testing::TestParamInfo<ShapeFault>& info) const {
    const ::testing::TestParamInfo<TableShape> shape(std::get<0>(info.param), info.index);
    return TableShapeName()(shape) + "_" + fault_name(std::get<1>(info.param));
  }
};

INSTANTIATE_TEST_SUITE_P(
    Faults, ProcessingFaultsTest,
    ::testing::Combine(::testing::Values(TableShape::sqlite, TableShape::postgresql,
                                         TableShape::partitioned),
                       ::testing::Values(Fault::error, Fault::broken_link, Fault::lost_reply)),
    ShapeFaultName());

}  // namespace
}  // namespace retort::events

// Processor on both backends: claim, complete, fail, retry, dead letters, leases, and the
// refusals. Lease expiry is simulated by moving run_after into the past (no sleeping, no
// timing assertions).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "events/processing_fixture.hpp"
#include "events/processing_sql.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/processing.hpp"
#include "support/events_schema.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

using retort::testing::TestDatabase;
// Every scenario runs on SQLite, on PostgreSQL, and on PostgreSQL with the events table
// partitioned by created_at (revision e2c7b9a4f610, docs/partitioning.md).
class Processing : public ::testing::TestWithParam<TableShape> {
 protected:
  Processing() : test_db_(dialect_of(GetParam())), db_(test_db_.url()) {
    upgrade_to(db_, GetParam());
  }
  migrate::MigrateOptions migrations() const {
    return GetParam() == TableShape::partitioned ? quiet_partitioned() : quiet_builtin();
  }

  std::vector<Uuid> store(int n, const std::string& type = "ticket") {
    return db_.transaction([&](Session& s) {
      EventRepository repo(s);
      std::vector<Uuid> ids;
      for (int i = 0; i < n; ++i) {
        ids.push_back(repo.record(Json{{"type", type}, {"n", i}}.dump()).id);
      }
      return ids;
    });
  }
  Processor processor(const std::string& id, ProcessorOptions o = {}) {
    o.worker_id = id;
    return Processor(db_, o);
  }
  std::string status_of(const Uuid& id) {
    return db_.transaction([&](Session& s) {
      return s.execute("SELECT status FROM events WHERE id = $1", {id}).at(0)[0].as_text();
    });
  }
  Row row_of(Result& keep, const Uuid& id) {
    keep = db_.transaction([&](Session& s) {
      return s.execute(
          "SELECT status, attempts, last_error, task_context, locked_by, finished_at"
          " FROM events WHERE id = $1",
          {id});
    });
    return keep.at(0);
  }
  // Time passes for one event: its lease or backoff is over.
  void make_due(const Uuid& id) {
    db_.transaction([&](Session& s) {
      s.execute("UPDATE events SET run_after = $1 WHERE id = $2",
                {Timestamp::parse("2000-01-01T00:00:00Z"), id});
    });
  }
  std::int64_t count_status(const std::string& status) {
    return db_.transaction([&](Session& s) {
      return s.execute("SELECT count(*) FROM events WHERE status = $1", {status})
          .at(0)[0]
          .as_int64();
    });
  }

  TestDatabase test_db_;
  Database db_;
};

TEST_P(Processing, ClaimTakesOldestFirstAndNeverTheSameEventTwice) {
  const std::vector<Uuid> ids = store(5);
  Processor a = processor("a:1:0");
  Processor b = processor("b:1:0");
  const auto first = a.claim(3);
  const auto second = b.claim(10);
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 2u);
  std::set<std::string> seen;
  for (const auto& e : first) seen.insert(e.id.to_string());
  for (const auto& e : second) seen.insert(e.id.to_string());
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(first[0].id, ids[0]);
  EXPECT_EQ(first[0].attempt, 1);
  EXPECT_EQ(first[0].workflow, "ticket");
  EXPECT_EQ(first[0].max_attempts, 5);
  EXPECT_EQ(Json::parse(first[0].data.text())["n"], 0);
  EXPECT_TRUE(b.claim(10).empty());
  EXPECT_EQ(count_status("running"), 5);
}

TEST_P(Processing, CompleteWritesTheResultOnceAndOnlyWhileHoldingTheLease) {
  const Uuid id = store(1).at(0);
  Processor a = processor("a:1:0");
  const ClaimedEvent e = a.claim(1).at(0);
  EXPECT_EQ(a.complete(e, R"({"route": "support"})"), Outcome::done);
  Result keep;
  const Row r = row_of(keep, id);
  EXPECT_EQ(r[0].as_text(), "done");
  EXPECT_EQ(Json::parse(json_text(r[3])), Json({{"route", "support"}}));
  EXPECT_TRUE(r[4].is_null());
  EXPECT_FALSE(r[5].is_null());
  // A second completion of the same claim finds nothing running: refused.
  EXPECT_EQ(a.complete(e, R"({"route": "other"})"), Outcome::lease_lost);
  EXPECT_EQ(Json::parse(json_text(row_of(keep, id)[3]))["route"], "support");
}

TEST_P(Processing, HandlerOutlivingItsLeaseHasItsLateCompletionRefused) {
  const Uuid id = store(1).at(0);
  Processor slow = processor("slow:1:0");
  Processor fast = processor("fast:1:0");
  const ClaimedEvent late = slow.claim(1).at(0);
  make_due(id);  // the slow handler's lease expires
  const ClaimedEvent again = fast.claim(1).at(0);
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.attempt, 2);
  EXPECT_EQ(fast.complete(again, R"({"by": "fast"})"), Outcome::done);
  EXPECT_EQ(slow.complete(late, R"({"by": "slow"})"), Outcome::lease_lost);
  EXPECT_EQ(slow.fail(late, "too late"), Outcome::lease_lost);
  EXPECT_EQ(slow.heartbeat(std::vector<ClaimedEvent>{late}), 0u);
  Result keep;
  EXPECT_EQ(Json::parse(json_text(row_of(keep, id)[3]))["by"], "fast");
}

TEST_P(Processing, LateCompletionOfTheSameWorkerIdIsRefusedToo) {
  // The fence is (worker, attempt): a slot that lost its lease and later claimed the same event
  // again cannot complete the old claim over the new one.
  const Uuid id = store(1).at(0);
  Processor a = processor("a:1:0");
  const ClaimedEvent old_claim = a.claim(1).at(0);
  make_due(id);
  const ClaimedEvent new_claim = a.claim(1).at(0);
  EXPECT_EQ(a.complete(old_claim, R"({"v": 1})"), Outcome::lease_lost);
  EXPECT_EQ(a.complete(new_claim, R"({"v": 2})"), Outcome::done);
}

TEST_P(Processing, FailSchedulesBackoffThenDeadAfterMaxAttempts) {
  const Uuid id = store(1).at(0);
  ProcessorOptions o;
  o.default_max_attempts = 3;
  Processor p = processor("p:1:0", o);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const auto claimed = p.claim(1);
    ASSERT_EQ(claimed.size(), 1u) << "attempt " << attempt;
    EXPECT_EQ(claimed[0].attempt, attempt);
    const Outcome out = p.fail(claimed[0], "boom " + std::to_string(attempt));
    EXPECT_EQ(out, attempt < 3 ? Outcome::retry : Outcome::dead);
    if (attempt < 3) {
      EXPECT_TRUE(p.claim(1).empty()) << "claimable before its backoff ended";
      make_due(id);
    }
  }
  Result keep;
  const Row r = row_of(keep, id);
  EXPECT_EQ(r[0].as_text(), "dead");
  EXPECT_EQ(r[1].as_int64(), 3);
  EXPECT_EQ(r[2].as_text(), "boom 3");
  EXPECT_FALSE(r[5].is_null());
  make_due(id);
  EXPECT_TRUE(p.claim(1).empty()) << "a dead event was claimed";
}

TEST_P(Processing, LastErrorIsBoundedOnAUtf8Boundary) {
  store(1);
  Processor p = processor("p:1:0");
  const ClaimedEvent e = p.claim(1).at(0);
  std::string huge;
  for (int i = 0; i < 3000; ++i) huge += "é";  // 2 bytes each
  p.fail(e, huge);
  Result keep;
  const std::string stored = row_of(keep, e.id)[2].as_text();
  EXPECT_LE(stored.size(), kMaxErrorBytes + 3);
  EXPECT_TRUE(stored.starts_with("éé"));
  EXPECT_TRUE(stored.ends_with("é…")) << "cut inside a character";
}

TEST_P(Processing, ExpiredLeaseIsReclaimedAndOnTheLastAttemptBecomesDead) {
  const Uuid id = store(1).at(0);
  ProcessorOptions o;
  o.default_max_attempts = 2;
  Processor p = processor("p:1:0", o);
  p.claim(1);  // attempt 1, then the worker "crashes"
  make_due(id);
  ASSERT_EQ(p.claim(1).size(), 1u);  // attempt 2, crashes again
  make_due(id);
  EXPECT_TRUE(p.claim(1).empty());
  Result keep;
  const Row r = row_of(keep, id);
  EXPECT_EQ(r[0].as_text(), "dead");
  EXPECT_EQ(r[2].as_text(), "lease expired on the last attempt");
}

TEST_P(Processing, HeartbeatKeepsTheLeaseAndReleaseGivesTheEventBack) {
  const Uuid id = store(1).at(0);
  Processor p = processor("p:1:0");
  const ClaimedEvent e = p.claim(1).at(0);
  EXPECT_EQ(p.heartbeat(std::vector<ClaimedEvent>{e}), 1u);
  EXPECT_EQ(p.release(std::vector<ClaimedEvent>{e}), 1u);
  EXPECT_EQ(status_of(id), "pending");
  const ClaimedEvent again = p.claim(1).at(0);
  EXPECT_EQ(again.attempt, 1) << "a released claim counted as an attempt";
}

TEST_P(Processing, MergePatchAndBatchedCompletions) {
  const std::vector<Uuid> ids = store(3);
  db_.transaction([&](Session& s) {
    EventRepository(s).set_task_context(ids[0], R"({"keep": 1, "drop": 2})");
  });
  Processor p = processor("p:1:0");
  const auto batch = p.claim(3);
  ASSERT_EQ(batch.size(), 3u);
  std::vector<Completion> completions{
      {&batch[0], R"({"drop": null, "add": {"x": 1}})", ContextWrite::merge_patch},
      {&batch[1], R"({"whole": true})", ContextWrite::replace},
      {&batch[2], R"({"whole": 2})", ContextWrite::replace}};
  const auto outcomes = p.complete_many(completions);
  ASSERT_EQ(outcomes.size(), 3u);
  for (Outcome o : outcomes) EXPECT_EQ(o, Outcome::done);
  Result keep;
  EXPECT_EQ(Json::parse(json_text(row_of(keep, ids[0])[3])),
            Json::parse(R"({"keep": 1, "add": {"x": 1}})"));
  EXPECT_EQ(count_status("done"), 3);
}

TEST_P(Processing, BadInputIsRefusedBeforeAnythingIsWritten) {
  store(2);
  Processor p = processor("p:1:0");
  EXPECT_THROW(p.claim(0), InvalidInput);
  EXPECT_THROW(p.claim(10001), InvalidInput);
  const auto batch = p.claim(2);
  ASSERT_EQ(batch.size(), 2u);
  std::vector<Completion> completions{{&batch[0], R"({"ok": 1})", ContextWrite::replace},
                                      {&batch[1], "{not json", ContextWrite::replace}};
  EXPECT_THROW(p.complete_many(completions), InvalidInput);
  EXPECT_EQ(count_status("done"), 0) << "half of a refused batch was written";
  try {
    p.complete(batch[0], "[1, 2]", ContextWrite::merge_patch);
    FAIL() << "a merge patch that is not an object was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("must be a JSON object"), std::string::npos) << e.what();
  }
  try {
    parse_status("sleeping");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("unknown status 'sleeping'"), std::string::npos);
  }
  EXPECT_THROW(Processor(db_, ProcessorOptions{}), UsageError);
}

TEST_P(Processing, RetryByIdStatusAndWorkflow) {
  const std::vector<Uuid> tickets = store(2, "ticket");
  const std::vector<Uuid> mails = store(2, "mail");
  ProcessorOptions o;
  o.default_max_attempts = 1;
  Processor p = processor("p:1:0", o);
  for (const ClaimedEvent& e : p.claim(4)) p.fail(e, "no");
  EXPECT_EQ(count_status("dead"), 4);
  db_.transaction([&](Session& s) {
    EXPECT_EQ(retry(s, {.ids = {tickets[0]}}), 1);
    EXPECT_EQ(retry(s, {.status = Status::dead, .workflow = "mail"}), 2);
    EXPECT_THROW(retry(s, {}), InvalidInput);
    EXPECT_THROW(retry(s, {.status = Status::running}), InvalidInput);
  });
  EXPECT_EQ(count_status("pending"), 3);
  ProcessorOptions only_mail;
  only_mail.workflow = "mail";
  const auto claimed = processor("m:1:0", only_mail).claim(10);
  ASSERT_EQ(claimed.size(), 2u);
  for (const auto& e : claimed) EXPECT_EQ(e.workflow, "mail");
}

TEST_P(Processing, EventStoredInARolledBackTransactionIsNeverProcessed) {
  {
    Session s = db_.session();
    EventRepository(s).record(R"({"type": "ghost"})");
    s.rollback();
  }
  const Uuid kept = db_.transaction(
      [](Session& s) { return EventRepository(s).record(R"({"type": "real"})").id; });
  const auto claimed = processor("p:1:0").claim(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, kept);
}

TEST_P(Processing, WorkflowTypeColumnOverridesTheDataType) {
  const Uuid id = store(1, "ticket").at(0);
  db_.transaction([&](Session& s) {
    s.execute("UPDATE events SET workflow_type = 'billing' WHERE id = $1", {id});
  });
  ProcessorOptions o;
  o.workflow = "ticket";
  EXPECT_TRUE(processor("p:1:0", o).claim(1).empty());
  o.workflow = "billing";
  EXPECT_EQ(processor("p:1:0", o).claim(1).at(0).workflow, "billing");
}

TEST_P(Processing, OldEventsAreDoneAfterTheRevisionAndBackfillRequeuesTheUnprocessed) {
  // Downgrade below the processing revision, store old events, upgrade again.
  migrate::downgrade(db_, "7c2d9e4b1a60", migrations());
  std::vector<Uuid> old = db_.transaction([](Session& s) {
    EventRepository repo(s);
    std::vector<Uuid> ids{repo.record(R"({"type": "old"})").id, repo.record(R"({"n": 2})").id};
    repo.set_task_context(ids[1], R"({"processed": "by the original service"})");
    return ids;
  });
  migrate::upgrade(db_, "head", migrations());
  EXPECT_EQ(status_of(old[0]), "done");
  EXPECT_EQ(status_of(old[1]), "done");
  const Uuid fresh = store(1).at(0);
  EXPECT_EQ(status_of(fresh), "pending");
  EXPECT_EQ(backfill_unprocessed(db_, 1), 1);
  EXPECT_EQ(status_of(old[0]), "pending");
  EXPECT_EQ(status_of(old[1]), "done") << "an event with a task_context was requeued";
  EXPECT_EQ(backfill_unprocessed(db_, 1), 0) << "a rerun did something";
}

TEST_P(Processing, StatsCountPerStatusAndWorkflowAndListWorkers) {
  store(2, "ticket");
  store(1, "mail");
  Processor p = processor("p:1:0");
  const auto e = p.claim(1).at(0);
  p.complete(e, "{}");
  db_.transaction([&](Session& s) {
    record_worker(s, {.id = "h:7",
                      .host = "h",
                      .workflow = "",
                      .counters = R"({"done": 1})",
                      .pid = 7,
                      .slots = 2,
                      .started_at = Timestamp::now(),
                      .heartbeat_at = Timestamp::now()});
  });
  const ProcessingStats stats = db_.transaction([](Session& s) { return processing_stats(s); });
  std::int64_t pending = 0, done = 0;
  for (const StatusCount& c : stats.counts) {
    if (c.status == "pending") pending += c.count;
    if (c.status == "done") done += c.count;
  }
  EXPECT_EQ(pending, 2);
  EXPECT_EQ(done, 1);
  EXPECT_TRUE(stats.oldest_due.has_value());
  EXPECT_EQ(stats.finished_last_minute, 1);
  ASSERT_EQ(stats.workers.size(), 1u);
  EXPECT_EQ(stats.workers[0].slots, 2);
  db_.transaction([](Session& s) { remove_worker(s, "h:7"); });
  EXPECT_TRUE(db_.transaction([](Session& s) { return processing_stats(s); }).workers.empty());
}

// A fault injected into one row's UPDATE (a trigger that raises when the event with "n": 1
// takes the status) fails the whole statement or batch: nothing is half-applied.
void inject_fault(Session& s, const std::string& status) {
  if (s.dialect() == Dialect::postgresql) {
    s.execute(
        "CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS"
        " $f$ BEGIN RAISE EXCEPTION 'injected fault'; END $f$");
    s.execute(
        "CREATE TRIGGER injected_fault BEFORE UPDATE ON events FOR EACH ROW WHEN"
        " (NEW.status = '" +
        status + "' AND OLD.data ->> 'n' = '1') EXECUTE FUNCTION injected_fault()");
  } else {
    s.execute("CREATE TRIGGER injected_fault BEFORE UPDATE ON events WHEN NEW.status = '" + status +
              "' AND json_extract(OLD.data, '$.n') = 1 BEGIN SELECT RAISE(ABORT, 'injected "
              "fault'); END");
  }
}

void clear_fault(Session& s) {
  s.execute(s.dialect() == Dialect::postgresql ? "DROP TRIGGER injected_fault ON events"
                                               : "DROP TRIGGER injected_fault");
}

TEST_P(Processing, AFaultInClaimCompleteOrFailLeavesNothingHalfApplied) {
  store(3);
  Processor p = processor("f:1:0", {.backoff = {.jitter = 0}});
  db_.transaction([](Session& s) { inject_fault(s, "running"); });
  EXPECT_THROW(p.claim(3), Error);
  EXPECT_EQ(count_status("pending"), 3) << "the claim was half-applied";
  db_.transaction([](Session& s) { clear_fault(s); });

  std::vector<ClaimedEvent> claimed = p.claim(3);
  ASSERT_EQ(claimed.size(), 3U);
  db_.transaction([](Session& s) { inject_fault(s, "done"); });
  std::vector<Completion> completions;
  for (const ClaimedEvent& e : claimed) completions.push_back({&e, R"({"ok": 1})"});
  EXPECT_THROW(p.complete_many(completions), Error);
  EXPECT_EQ(count_status("running"), 3) << "the completions were half-applied";
  db_.transaction([](Session& s) { clear_fault(s); });

  db_.transaction([](Session& s) { inject_fault(s, "failed"); });
  std::vector<Failure> failures;
  for (const ClaimedEvent& e : claimed) failures.push_back({&e, "no"});
  EXPECT_THROW(p.fail_many(failures), Error);
  EXPECT_EQ(count_status("running"), 3) << "the failures were half-applied";
  db_.transaction([](Session& s) { clear_fault(s); });

  // The claim still holds every event: the results can be written now.
  for (const Outcome o : p.complete_many(completions)) EXPECT_EQ(o, Outcome::done);
  EXPECT_EQ(count_status("done"), 3);
}

// Regression: with statistics that say nearly every event is done (the steady state), the
// fenced writes chose the partial claim index over the primary key (their `status = 'running'`
// implied its predicate), so every completion scanned the whole backlog: a burn-down ran 10x
// slower after ANALYZE. Each fenced statement must find its row by the primary key.
TEST(ProcessingPlan, FencedWritesUseThePrimaryKeyWhenStatisticsSayAllIsDone) {
  TestDatabase test_db(Dialect::postgresql);
  Database db(test_db.url());
  migrate::upgrade(db, "head", quiet_builtin());
  db.transaction([](Session& s) {
    std::vector<std::string> docs(2000, R"({"type": "t"})");
    EventRepository(s).record_many(std::move(docs));
    s.execute("UPDATE events SET status = 'done'");
  });
  db.transaction([](Session& s) {
    s.execute("ANALYZE events");
    s.execute("TRUNCATE events");
    std::vector<std::string> docs(2000, R"({"type": "t"})");
    EventRepository(s).record_many(std::move(docs));
  });
  const std::string id = "'00000000-0000-0000-0000-000000000000'";
  const std::vector<std::pair<std::string, std::string>> statements = {
      {sql::complete(Dialect::postgresql, false), id + ", 'w', 1, '{}', now()"},
      {sql::complete(Dialect::postgresql, true), id + ", 'w', 1, '{}', now()"},
      {sql::fail(Dialect::postgresql), id + ", 'w', 1, 'e', now(), 5, 1000"},
      {sql::heartbeat(Dialect::postgresql), id + ", 'w', 1, 1000"},
      {sql::release(Dialect::postgresql), id + ", 'w', 1, 0"},
  };
  for (const auto& [text, args] : statements) {
    SCOPED_TRACE(text);
    const std::string plan = db.transaction([&](Session& s) {
      s.execute("SET LOCAL plan_cache_mode = force_generic_plan");
      s.execute("PREPARE fenced AS " + text);
      std::string lines;
      for (const Row& row : s.execute("EXPLAIN EXECUTE fenced(" + args + ")")) {
        lines += row[0].as_text() + "\n";
      }
      s.execute("DEALLOCATE fenced");
      return lines;
    });
    EXPECT_NE(plan.find("events_pkey"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("ix_events_claim"), std::string::npos) << plan;
  }
}

TEST(Backoff, GrowsExponentiallyIsCappedAndJittered) {
  const Backoff b{.base = std::chrono::milliseconds(1000),
                  .max = std::chrono::milliseconds(60000),
                  .jitter = 0.25};
  EXPECT_EQ(backoff_delay(b, 1, 0.5).count(), 1000);
  EXPECT_EQ(backoff_delay(b, 3, 0.5).count(), 4000);
  EXPECT_EQ(backoff_delay(b, 30, 0.5).count(), 60000);
  EXPECT_EQ(backoff_delay(b, 1, 0.0).count(), 750);
  EXPECT_EQ(backoff_delay(b, 1, 1.0).count(), 1250);
}

INSTANTIATE_TEST_SUITE_P(Shapes, Processing,
                         ::testing::Values(TableShape::sqlite, TableShape::postgresql,
                                           TableShape::partitioned),
                         TableShapeName());

}  // namespace
}  // namespace retort::events

namespace retort::events {
namespace {

class ListOrder : public ::testing::TestWithParam<Dialect> {};

TEST_P(ListOrder, NewestFirstShowsTheLastStoredOfOneBatchFirst) {
  retort::testing::TestDatabase test_db(GetParam());
  Database db(test_db.url());
  retort::testing::upgrade_events_schema(db);
  std::vector<std::string> docs;
  for (int i = 1; i <= 10; ++i) docs.push_back(nlohmann::json{{"n", i}}.dump());
  db.transaction([&](Session& s) { EventRepository(s).record_many(docs); });
  const auto newest = db.transaction(
      [](Session& s) { return EventRepository(s).find({.limit = 2, .newest_first = true}); });
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(newest[0].data.text())["n"], 10);
  EXPECT_EQ(nlohmann::json::parse(newest[1].data.text())["n"], 9);
  const auto oldest = db.transaction(
      [](Session& s) { return EventRepository(s).find({.limit = 1, .newest_first = false}); });
  EXPECT_EQ(nlohmann::json::parse(oldest.at(0).data.text())["n"], 1);
}

INSTANTIATE_TEST_SUITE_P(Dialects, ListOrder,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::events

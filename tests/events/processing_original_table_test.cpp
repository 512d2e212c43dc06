// The processing revision b5f0c3e8d217 on the events table as the original service made it
// (json data and task_context, timestamps without time zone, uuid1 ids, its own workflow_type
// column), on the real PostgreSQL server: the revision adds the processing state without touching
// the old columns, workflow_type is the routing key as it stands, old events are all done until
// the backfill makes the unprocessed ones pending, batch by batch, and the downgrade keeps the
// column that was the original's.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "events/processing_fixture.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"

namespace retort::events {
namespace {

constexpr int kOldEvents = 30;

// The original SQLAlchemy model's table for PostgreSQL, with the service's workflow_type.
constexpr const char* kOriginalTable = R"(CREATE TABLE events (
    id UUID NOT NULL,
    data JSON,
    task_context JSON,
    workflow_type VARCHAR(100),
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now() NOT NULL,
    PRIMARY KEY (id)
))";

// Old event i: a uuid1 id; processed (task_context set) when i % 3 == 0; routed to "billing" by
// its workflow_type when i is even, else by data's type.
std::string old_event(int i) {
  return fmt::format(
      "('{:08x}-9d4b-11ee-8c90-0242ac120002', '{{\"type\": \"ticket.created\", \"n\": {}}}', {}, "
      "{}, TIMESTAMP '2024-03-01 10:00:00' + interval '{} minutes')",
      0x6f1c3e2a + i, i, i % 3 == 0 ? "'{\"done\": true}'" : "NULL",
      i % 2 == 0 ? "'billing'" : "NULL", i);
}

class ProcessingOnTheOriginalTable : public ::testing::Test {
 protected:
  ProcessingOnTheOriginalTable() : db_(schema_.url()) {
    db_.connection()->execute(kOriginalTable);
    std::string rows;
    for (int i = 0; i < kOldEvents; ++i) rows += (i ? ", " : "") + old_event(i);
    db_.connection()->execute(
        "INSERT INTO events (id, data, task_context, workflow_type, created_at) VALUES " + rows);
  }
  Result rows(const std::string& sql) { return db_.connection()->execute(sql); }
  std::int64_t count(const std::string& where) {
    return rows("SELECT count(*) FROM events WHERE " + where).at(0)[0].as_int64();
  }
  std::string column_types() {
    return rows(
               "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) "
               "FROM information_schema.columns WHERE table_schema = current_schema() AND "
               "table_name = 'events' AND column_name IN ('id', 'data', 'task_context', "
               "'workflow_type', 'created_at', 'updated_at')")
        .at(0)[0]
        .as_text();
  }
  // The original database has the events table and no retort version table: it is stamped where
  // the table exists (the revisions that create it and change SQLite defaults), as `retort stamp`
  // does on adoption, and upgraded from there.
  void upgrade_through_processing() {
    migrate::stamp(db_, {"7c2d9e4b1a60"}, quiet_builtin());
    migrate::upgrade(db_, "b5f0c3e8d217", quiet_builtin());
  }

  retort::testing::PgSchema schema_;
  Database db_;
};

constexpr const char* kOriginalColumns =
    "id uuid, data json, task_context json, workflow_type character varying, created_at "
    "timestamp without time zone, updated_at timestamp without time zone";

TEST_F(ProcessingOnTheOriginalTable, UpgradeKeepsItsColumnsAndEveryOldEventIsDone) {
  ASSERT_EQ(column_types(), kOriginalColumns);
  upgrade_through_processing();
  EXPECT_EQ(column_types(), kOriginalColumns) << "the revision changed a column of the original";
  EXPECT_EQ(count("status = 'done' AND attempts = 0 AND finished_at IS NULL"), kOldEvents);
  // The choice "all done": without a backfill no worker gets an old event.
  EXPECT_TRUE(Processor(db_, {.worker_id = "o:1:0"}).claim(100).empty());
  // workflow_type is the original's: not commented as added by the revision, so the downgrade
  // keeps it (and its values) while it drops what the revision added.
  EXPECT_TRUE(rows("SELECT col_description('events'::regclass, 4)").at(0)[0].is_null());
  migrate::downgrade(db_, "7c2d9e4b1a60", quiet_builtin());
  EXPECT_EQ(column_types(), kOriginalColumns);
  EXPECT_EQ(count("workflow_type = 'billing'"), kOldEvents / 2);
  EXPECT_EQ(rows("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                 "current_schema() AND table_name = 'events' AND column_name = 'status'")
                .at(0)[0]
                .as_int64(),
            0);
}

TEST_F(ProcessingOnTheOriginalTable, BackfillMakesTheUnprocessedPendingInBatchesOfItsSize) {
  upgrade_through_processing();
  // Each UPDATE statement on events logs its transaction and how many rows it changed.
  rows("CREATE TABLE update_log (xid bigint, changed bigint)");
  rows(
      "CREATE FUNCTION log_update() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN INSERT INTO "
      "update_log SELECT txid_current(), count(*) FROM changed; RETURN NULL; END $f$");
  rows(
      "CREATE TRIGGER log_update AFTER UPDATE ON events REFERENCING NEW TABLE AS changed FOR EACH "
      "STATEMENT EXECUTE FUNCTION log_update()");
  const std::int64_t unprocessed = count("task_context IS NULL");
  ASSERT_EQ(unprocessed, 20);
  EXPECT_EQ(backfill_unprocessed(db_, 3), unprocessed);
  // 20 rows, 3 a batch: 7 statements that changed rows, each in a transaction of its own.
  const Result log =
      rows("SELECT count(*), count(DISTINCT xid), max(changed) FROM update_log WHERE changed > 0");
  EXPECT_EQ(log.at(0)[0].as_int64(), 7) << "statements";
  EXPECT_EQ(log.at(0)[1].as_int64(), 7) << "transactions";
  EXPECT_EQ(log.at(0)[2].as_int64(), 3) << "rows in the largest batch";
  EXPECT_EQ(count("status = 'pending' AND task_context IS NULL"), unprocessed);
  EXPECT_EQ(count("status = 'done' AND task_context IS NOT NULL"), kOldEvents - unprocessed);
  EXPECT_EQ(backfill_unprocessed(db_, 3), 0) << "a rerun requeued something";
}

TEST_F(ProcessingOnTheOriginalTable, WorkflowTypeIsTheRoutingKeyAndResultsAreWritten) {
  upgrade_through_processing();
  ASSERT_EQ(backfill_unprocessed(db_, 1000), 20);
  // Even and unprocessed: billing by workflow_type (10); odd and unprocessed: data's type (10).
  Processor billing(db_, {.worker_id = "o:1:0", .workflow = "billing"});
  const std::vector<ClaimedEvent> bills = billing.claim(100);
  ASSERT_EQ(bills.size(), 10u);
  for (const ClaimedEvent& e : bills) {
    EXPECT_EQ(e.workflow, "billing");
    EXPECT_EQ(Json::parse(e.data.text())["n"].get<int>() % 2, 0) << e.data.text();
  }
  Processor tickets(db_, {.worker_id = "o:2:0", .workflow = "ticket.created"});
  const std::vector<ClaimedEvent> claimed = tickets.claim(100);
  ASSERT_EQ(claimed.size(), 10u);
  for (const ClaimedEvent& e : claimed) {
    EXPECT_EQ(Json::parse(e.data.text())["n"].get<int>() % 2, 1) << e.data.text();
  }
  // Oldest first by the original's created_at (timestamp without time zone).
  EXPECT_EQ(Json::parse(bills.front().data.text())["n"], 2);
  EXPECT_EQ(Json::parse(claimed.front().data.text())["n"], 1);

  // Results into the json task_context, failures with their backoff.
  std::vector<Completion> completions;
  for (const ClaimedEvent& e : bills) completions.push_back({&e, R"({"routed": "billing"})"});
  for (const Outcome o : billing.complete_many(completions)) EXPECT_EQ(o, Outcome::done);
  EXPECT_EQ(tickets.fail(claimed.front(), "no agent"), Outcome::retry);
  EXPECT_EQ(count("workflow_type = 'billing' AND status = 'done' AND task_context::jsonb = "
                  "'{\"routed\": \"billing\"}' AND finished_at IS NOT NULL"),
            10);
  EXPECT_EQ(count("status = 'failed' AND last_error = 'no agent' AND run_after > now()"), 1);
  EXPECT_EQ(column_types(), kOriginalColumns);
}

// An event whose data is NULL (the original model allows it) is claimed with the JSON document
// null as its data (what Worker hands its handler), routed by workflow_type, and completed.
TEST_F(ProcessingOnTheOriginalTable, AnEventWhoseDataIsNullIsClaimedAsNull) {
  upgrade_through_processing();
  rows(
      "INSERT INTO events (id, data, workflow_type, created_at) VALUES "
      "('8b3e5a4c-9d4b-11ee-8c90-0242ac120002', NULL, 'nulls', TIMESTAMP '2024-03-05 09:00:00')");
  // Inserted after the revision: pending from the start; the backfill requeues the old ones.
  ASSERT_EQ(backfill_unprocessed(db_, 1000), 20);
  ASSERT_EQ(count("data IS NULL AND status = 'pending'"), 1);
  Processor nulls(db_, {.worker_id = "o:3:0", .workflow = "nulls"});
  const std::vector<ClaimedEvent> claimed = nulls.claim(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id.to_string(), "8b3e5a4c-9d4b-11ee-8c90-0242ac120002");
  EXPECT_EQ(claimed[0].data.text(), "null");
  EXPECT_EQ(claimed[0].workflow, "nulls");
  EXPECT_EQ(nulls.fail(claimed[0], "retry it through the worker"), Outcome::retry);
  rows("UPDATE events SET run_after = now() WHERE data IS NULL");

  // The Worker hands the same document to its handler and writes the result.
  Worker w(db_, {.workflow = std::string("nulls"), .listen = false, .once = true});
  std::vector<std::string> seen;
  w.handle("nulls", [&](const ClaimedEvent& e) {
    seen.push_back(e.data.text());
    return HandlerResult{R"({"empty": true})"};
  });
  w.run();
  EXPECT_EQ(seen, std::vector<std::string>{"null"});
  EXPECT_EQ(count("data IS NULL AND status = 'done' AND task_context::jsonb = "
                  "'{\"empty\": true}'"),
            1);
}

}  // namespace
}  // namespace retort::events

// `retort events` on the events table as the original service's SQLAlchemy model made it (json
// rather than jsonb, timestamps without time zone, uuid1 ids), on the real PostgreSQL server:
// every command works on it as it stands, with no DDL, and a row whose data is NULL (which that
// model allows) reads as the JSON document null.
#include <gtest/gtest.h>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"
#include "support/events_schema.hpp"

namespace retort::migrate_cli {
namespace {

using retort::testing::PgSchema;
using retort::testing::TempDir;

// The table as Alembic renders the original model for PostgreSQL (examples/alembic_project,
// first revision: retort::testing::nullable_data_events_table), with its two first rows: uuid1
// ids, the service's utcnow timestamps.
constexpr const char* kOriginalRows =
    "INSERT INTO events (id, data, task_context, created_at, updated_at) VALUES "
    "('6f1c3e2a-9d4b-11ee-8c90-0242ac120002', '{\"type\": \"ticket.created\", \"ticket\": "
    "{\"id\": 7, \"tier\": \"pro\"}}', NULL, '2024-03-01 10:00:00', '2024-03-01 10:00:00'), "
    "('7a2d4f3b-9d4b-11ee-8c90-0242ac120002', '{\"type\": \"ticket.updated\"}', '{\"done\": "
    "true}', '2024-03-02 11:30:00', "
    "'2024-03-02 11:30:00'), "
    "('8b3e5a4c-9d4b-11ee-8c90-0242ac120002', NULL, NULL, '2024-03-03 12:00:00', "
    "'2024-03-03 12:00:00')";

class EventsOnTheOriginalTable : public ::testing::Test {
 protected:
  EventsOnTheOriginalTable() {
    Database db(schema_.url());
    db.connection()->execute(retort::testing::nullable_data_events_table(Dialect::postgresql));
    db.connection()->execute(kOriginalRows);
  }
  CliRun events(const std::string& args) {
    return retort("--url " + q(schema_.url_text()) + " events " + args, dir_.path());
  }
  std::string column_types() {
    Database db(schema_.url());
    const Result r = db.connection()->execute(
        "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM "
        "information_schema.columns WHERE table_schema = current_schema() AND table_name = "
        "'events'");
    return r.at(0)[0].to_display();
  }
  std::string indexes() {
    Database db(schema_.url());
    const Result r = db.connection()->execute(
        "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname "
        "= current_schema() AND tablename = 'events'");
    return r.at(0)[0].to_display();
  }

  PgSchema schema_;
  TempDir dir_;
};

TEST_F(EventsOnTheOriginalTable, EveryEventsCommandWorksOnItAsItStands) {
  const std::string types_before = column_types();
  EXPECT_EQ(types_before,
            "id uuid, data json, task_context json, created_at timestamp without time zone, "
            "updated_at timestamp without time zone");

  const CliRun list = events("list --json --oldest-first");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_TRUE(
      contains(list.out,
               "\"created_at\":\"2024-03-01T10:00:00.000000Z\",\"data\":{\"ticket\":{\"id\":7,"
               "\"tier\":\"pro\"},\"type\":\"ticket.created\"},\"id\":\"6f1c3e2a-9d4b-"
               "11ee-8c90-0242ac120002\""))
      << list.out;
  EXPECT_TRUE(contains(list.out, "\"task_context\":{\"done\":true}")) << list.out;

  const CliRun show = events("show 6f1c3e2a-9d4b-11ee-8c90-0242ac120002");
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_TRUE(contains(show.out, "created_at:   2024-03-01T10:00:00.000000Z")) << show.out;

  // The row whose data is NULL: the JSON document null in every output, matched by no JSON filter.
  EXPECT_TRUE(contains(list.out, "\"data\":null,\"id\":\"8b3e5a4c-9d4b-11ee-8c90-0242ac120002\""))
      << list.out;
  const CliRun show_null = events("show 8b3e5a4c-9d4b-11ee-8c90-0242ac120002");
  ASSERT_EQ(show_null.exit_code, 0) << show_null.output;
  EXPECT_TRUE(contains(show_null.out, "data:\nnull\n")) << show_null.out;
  const CliRun table = events("list");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(contains(table.out, "8b3e5a4c")) << table.out;
  const CliRun contains_null = events("find --json --contains null");
  ASSERT_EQ(contains_null.exit_code, 0) << contains_null.output;
  EXPECT_FALSE(contains(contains_null.out, "8b3e5a4c")) << contains_null.out;
  const CliRun unprocessed = events("find --json --unprocessed");
  ASSERT_EQ(unprocessed.exit_code, 0) << unprocessed.output;
  EXPECT_TRUE(contains(unprocessed.out, "8b3e5a4c")) << unprocessed.out;

  // Containment and paths on a json column (cast to jsonb for the comparison).
  const CliRun contains_pro = events("find --json --contains '{\"ticket\":{\"tier\":\"pro\"}}'");
  ASSERT_EQ(contains_pro.exit_code, 0) << contains_pro.output;
  EXPECT_TRUE(contains(contains_pro.out, "6f1c3e2a")) << contains_pro.out;
  EXPECT_FALSE(contains(contains_pro.out, "7a2d4f3b")) << contains_pro.out;
  const CliRun by_path = events("find --json --path ticket.id=7");
  ASSERT_EQ(by_path.exit_code, 0) << by_path.output;
  EXPECT_TRUE(contains(by_path.out, "6f1c3e2a")) << by_path.out;
  EXPECT_FALSE(contains(by_path.out, "8b3e5a4c")) << by_path.out;

  // Timestamps without time zone are UTC: the boundary falls between the two rows.
  const CliRun since = events("find --json --since 2024-03-02T11:00:00Z");
  ASSERT_EQ(since.exit_code, 0) << since.output;
  EXPECT_TRUE(contains(since.out, "7a2d4f3b")) << since.out;
  EXPECT_FALSE(contains(since.out, "6f1c3e2a")) << since.out;
  const CliRun processed = events("find --json --processed");
  EXPECT_TRUE(contains(processed.out, "7a2d4f3b") && !contains(processed.out, "6f1c3e2a"))
      << processed.out;

  std::ofstream(dir_ / "new.jsonl") << "{\"type\": \"ticket.closed\", \"ticket\": {\"id\": 7}}\n";
  const CliRun ingest = events("ingest new.jsonl");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
  EXPECT_TRUE(contains(ingest.out, "accepted 1, rejected 0")) << ingest.output;
  // No ledger table until `retort upgrade head`: stored all the same, with a warning that an
  // interrupted run could not be resumed.
  EXPECT_TRUE(contains(ingest.output, "cannot be resumed if it is interrupted")) << ingest.output;
  const CliRun closed = events("find --json --contains '{\"type\":\"ticket.closed\"}'");
  EXPECT_TRUE(contains(closed.out, "\"type\":\"ticket.closed\"")) << closed.output;

  // Used as it stands: no column changed type, no index added.
  EXPECT_EQ(column_types(), types_before);
  EXPECT_EQ(indexes(), "events_pkey");
}

}  // namespace
}  // namespace retort::migrate_cli

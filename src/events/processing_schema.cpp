// The schema the built-in revisions produce, as models: the Event model's table with the
// processing columns of revision b5f0c3e8d217 (on SQLite with the status predicates of
// e93712f478ad), and retort_workers. `retort check` compares a database with this, so after
// `retort upgrade head` it finds nothing to do.
#include "events/processing_sql.hpp"
#include "retort/events.hpp"
#include "retort/model.hpp"
#include "retort/processing.hpp"

namespace retort::events {
namespace {

namespace types = schema::types;

schema::DialectSql claimable() {
  return {sql::kPgClaimable, sql::kLiteClaimable};
}

schema::Column column(std::string name, schema::ColumnType type, bool nullable,
                      std::optional<schema::DialectSql> server_default = std::nullopt,
                      std::string comment = {}) {
  schema::Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.nullable = nullable;
  c.server_default = std::move(server_default);
  c.comment = std::move(comment);
  return c;
}

schema::IndexElement element(std::string column_name) {
  schema::IndexElement e;
  e.column = std::move(column_name);
  return e;
}

schema::IndexElement expression(schema::DialectSql sql) {
  schema::IndexElement e;
  e.expression = std::move(sql);
  return e;
}

void add_processing(schema::Table& events) {
  events.columns.push_back(column("status", types::text(), false, schema::DialectSql("'pending'"),
                                  "pending, running, done, failed (retry scheduled), dead"));
  events.columns.push_back(column("attempts", types::integer(), false, schema::DialectSql("0"),
                                  "claims so far; with locked_by, the token of the current claim"));
  events.columns.push_back(column("max_attempts", types::integer(), true));
  events.columns.push_back(
      column("run_after", types::timestamptz(), false, defaults::now(),
             "claimable from then on (schedule, backoff, end of a running lease)"));
  events.columns.push_back(column("locked_until", types::timestamptz(), true));
  events.columns.push_back(column("locked_by", types::text(), true));
  events.columns.push_back(column("last_error", types::text(), true));
  events.columns.push_back(column("finished_at", types::timestamptz(), true));
  events.columns.push_back(column("workflow_type", types::text(), true, std::nullopt,
                                  "retort routing key; NULL: data->>'type' (added by revision "
                                  "b5f0c3e8d217)"));
  events.check_constraints.push_back(
      {"ck_events_status", schema::DialectSql(sql::kPgStatusValues, sql::kLiteStatusValues)});
  events.check_constraints.push_back({"ck_events_max_attempts", "max_attempts > 0"});
  schema::Index claim;
  claim.name = "ix_events_claim";
  claim.elements = {element("run_after"), element("created_at")};
  claim.where = claimable();
  schema::Index by_workflow;
  by_workflow.name = "ix_events_claim_workflow";
  by_workflow.elements = {
      expression(schema::DialectSql("COALESCE(workflow_type, data ->> 'type')",
                                    "COALESCE(workflow_type, json_extract(data, '$.type'))")),
      element("run_after"), element("created_at")};
  by_workflow.where = claimable();
  events.indexes.push_back(std::move(claim));
  events.indexes.push_back(std::move(by_workflow));
}

schema::Table workers_table() {
  schema::Table t;
  t.name = "retort_workers";
  t.columns = {column("id", types::text(), false),
               column("host", types::text(), false),
               column("pid", types::integer(), false),
               column("workflow", types::text(), true),
               column("slots", types::integer(), false),
               column("started_at", types::timestamptz(), false, defaults::now()),
               column("heartbeat_at", types::timestamptz(), false, defaults::now()),
               column("counters", types::text(), true)};
  t.primary_key = {"retort_workers_pkey", {"id"}};
  return t;
}

}  // namespace

schema::MetaData builtin_schema() {
  schema::MetaData m = metadata<Event, IngestLedgerEntry>();
  for (schema::Table& t : m.tables) {
    if (t.name == "events") add_processing(t);
  }
  m.tables.push_back(workers_table());
  return m;
}

}  // namespace retort::events

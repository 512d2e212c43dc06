// The Processor's SQL. PostgreSQL reads the clock of the server (one clock for every worker's
// leases); SQLite, on one machine, takes the times as parameters in retort's timestamp text.
#include "events/processing_sql.hpp"

#include <fmt/format.h>

namespace retort::events::sql {
namespace {

constexpr const char* kPgRoute = "COALESCE(workflow_type, data ->> 'type')";
constexpr const char* kLiteRoute = "COALESCE(workflow_type, json_extract(data, '$.type'))";
// The claim that holds the event: locked_by is set by a claim and cleared by every way out of
// running (complete, fail, release, retry, dead on an expired lease), so it also says "running".
// No status condition here, on purpose: `status = 'running'` implies the predicate of the
// partial index ix_events_claim, and once statistics say that nearly every row is done (the
// steady state) the planner picks that index over the primary key and every write scans the
// whole backlog.
constexpr const char* kFence = " WHERE id = $1 AND locked_by = $2 AND attempts = $3";

// On a partitioned table the fence also names created_at (the claim returned it), parameter
// $n, so that PostgreSQL prunes to one partition instead of probing every partition's key.
std::string fence(bool partitioned, int n) {
  return partitioned ? fmt::format("{} AND created_at = ${}", kFence, n) : std::string(kFence);
}

std::string pg_claim(bool by_workflow) {
  // MATERIALIZED: the rows are chosen (and locked) once, so the UPDATE can never touch more
  // than the limit, whatever plan the outer statement gets.
  return fmt::format(
      "WITH picked AS MATERIALIZED ("
      " SELECT id, created_at,"
      " (status = 'running' AND attempts >= COALESCE(max_attempts, $3)) AS expired"
      " FROM events WHERE {0} AND run_after <= now(){1}"
      " ORDER BY run_after, created_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
      " UPDATE events AS e SET"
      " status = CASE WHEN p.expired THEN 'dead' ELSE 'running' END,"
      " attempts = CASE WHEN p.expired THEN e.attempts ELSE e.attempts + 1 END,"
      " locked_by = CASE WHEN p.expired THEN NULL ELSE $2 END,"
      " locked_until = CASE WHEN p.expired THEN NULL"
      "  ELSE now() + $4::float8 * interval '1 millisecond' END,"
      " run_after = CASE WHEN p.expired THEN e.run_after"
      "  ELSE now() + $4::float8 * interval '1 millisecond' END,"
      " finished_at = CASE WHEN p.expired THEN now() END,"
      " last_error = CASE WHEN p.expired THEN 'lease expired on the last attempt'"
      "  ELSE e.last_error END"
      " FROM picked AS p WHERE e.id = p.id AND e.created_at = p.created_at"
      " RETURNING e.id, e.data, e.task_context, COALESCE(e.workflow_type, e.data ->> 'type'),"
      " e.attempts, COALESCE(e.max_attempts, $3), e.created_at, e.status",
      kPgClaimable, by_workflow ? fmt::format(" AND {} = $5", kPgRoute) : std::string());
}

std::string sqlite_claim(bool by_workflow) {
  // SQLite evaluates every SET expression on the old row, as PostgreSQL does. It uses a partial
  // index only when a term of the WHERE matches the index's predicate as written, so the claim
  // names both spellings: the IN list of b5f0c3e8d217's claim indexes and the OR chain of
  // e93712f478ad's. A database at either revision claims through its index.
  constexpr const char* expired = "(status = 'running' AND attempts >= COALESCE(max_attempts, $3))";
  return fmt::format(
      "UPDATE events SET"
      " status = CASE WHEN {0} THEN 'dead' ELSE 'running' END,"
      " attempts = CASE WHEN {0} THEN attempts ELSE attempts + 1 END,"
      " locked_by = CASE WHEN {0} THEN NULL ELSE $2 END,"
      " locked_until = CASE WHEN {0} THEN NULL ELSE $5 END,"
      " run_after = CASE WHEN {0} THEN run_after ELSE $5 END,"
      " finished_at = CASE WHEN {0} THEN $4 END,"
      " last_error = CASE WHEN {0} THEN 'lease expired on the last attempt' ELSE last_error END"
      " WHERE id IN (SELECT id FROM events WHERE {1} AND ({2}) AND run_after <= $4{3}"
      " ORDER BY run_after, created_at LIMIT $1)"
      " RETURNING id, data, task_context, {4}, attempts, COALESCE(max_attempts, $3), created_at,"
      " status",
      expired, kPgClaimable, kLiteClaimable,
      by_workflow ? fmt::format(" AND {} = $6", kLiteRoute) : std::string(), kLiteRoute);
}

std::string complete_sql(Dialect dialect, bool merge_patch, bool partitioned) {
  const bool pg = dialect == Dialect::postgresql;
  std::string context;
  if (pg) {
    context = merge_patch ? "retort_json_merge_patch(task_context::jsonb, $4::jsonb)" : "$4";
  } else {
    context = merge_patch ? "json_patch(COALESCE(task_context, '{}'), json($4))" : "json($4)";
  }
  return fmt::format(
      "UPDATE events SET task_context = {}, status = 'done', finished_at = {}, updated_at = $5,"
      " locked_by = NULL, locked_until = NULL{} RETURNING status",
      context, pg ? "now()" : "$5", fence(partitioned, 6));
}

std::string fail_sql(Dialect dialect, bool partitioned) {
  const bool pg = dialect == Dialect::postgresql;
  constexpr const char* last = "attempts >= COALESCE(max_attempts, $6)";
  return fmt::format(
      "UPDATE events SET status = CASE WHEN {0} THEN 'dead' ELSE 'failed' END,"
      " run_after = CASE WHEN {0} THEN run_after ELSE {1} END,"
      " finished_at = CASE WHEN {0} THEN {2} END,"
      " last_error = $4, updated_at = $5, locked_by = NULL, locked_until = NULL{3}"
      " RETURNING status",
      last, pg ? "now() + $7::float8 * interval '1 millisecond'" : "$7", pg ? "now()" : "$5",
      fence(partitioned, 8));
}

std::string heartbeat_sql(Dialect dialect, bool partitioned) {
  const char* until =
      dialect == Dialect::postgresql ? "now() + $4::float8 * interval '1 millisecond'" : "$4";
  return fmt::format("UPDATE events SET locked_until = {0}, run_after = {0}{1}", until,
                     fence(partitioned, 5));
}

std::string release_sql(Dialect dialect, bool partitioned) {
  return fmt::format(
      "UPDATE events SET status = 'pending', attempts = attempts - 1, run_after = {},"
      " locked_by = NULL, locked_until = NULL{}",
      dialect == Dialect::postgresql ? "now() + $4::float8 * interval '1 millisecond'" : "$4",
      fence(partitioned, 5));
}

}  // namespace

// The cached statements: [0] SQLite, [1] PostgreSQL, [2] a partitioned PostgreSQL table.
namespace {
int flavor(Dialect dialect, bool partitioned) {
  if (dialect != Dialect::postgresql) return 0;
  return partitioned ? 2 : 1;
}
}  // namespace

const std::string& release(Dialect dialect, bool partitioned) {
  static const std::string s[3] = {release_sql(Dialect::sqlite, false),
                                   release_sql(Dialect::postgresql, false),
                                   release_sql(Dialect::postgresql, true)};
  return s[flavor(dialect, partitioned)];
}

const std::string& claim(Dialect dialect, bool by_workflow) {
  static const std::string pg[2] = {pg_claim(false), pg_claim(true)};
  static const std::string lite[2] = {sqlite_claim(false), sqlite_claim(true)};
  return (dialect == Dialect::postgresql ? pg : lite)[by_workflow ? 1 : 0];
}

const std::string& complete(Dialect dialect, bool merge_patch, bool partitioned) {
  static const std::string s[3][2] = {
      {complete_sql(Dialect::sqlite, false, false), complete_sql(Dialect::sqlite, true, false)},
      {complete_sql(Dialect::postgresql, false, false),
       complete_sql(Dialect::postgresql, true, false)},
      {complete_sql(Dialect::postgresql, false, true),
       complete_sql(Dialect::postgresql, true, true)}};
  return s[flavor(dialect, partitioned)][merge_patch ? 1 : 0];
}

const std::string& fail(Dialect dialect, bool partitioned) {
  static const std::string s[3] = {fail_sql(Dialect::sqlite, false),
                                   fail_sql(Dialect::postgresql, false),
                                   fail_sql(Dialect::postgresql, true)};
  return s[flavor(dialect, partitioned)];
}

const std::string& heartbeat(Dialect dialect, bool partitioned) {
  static const std::string s[3] = {heartbeat_sql(Dialect::sqlite, false),
                                   heartbeat_sql(Dialect::postgresql, false),
                                   heartbeat_sql(Dialect::postgresql, true)};
  return s[flavor(dialect, partitioned)];
}

}  // namespace retort::events::sql

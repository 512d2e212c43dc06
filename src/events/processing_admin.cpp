// Operations on the queue as a whole: retry/requeue, the adoption backfill, stats, and the
// live-worker rows.
#include <fmt/format.h>

#include "retort/error.hpp"
#include "retort/processing.hpp"

namespace retort::events {
namespace {

constexpr const char* kPgRoute = "COALESCE(workflow_type, data ->> 'type')";
constexpr const char* kLiteRoute = "COALESCE(workflow_type, json_extract(data, '$.type'))";

const char* route(Dialect d) {
  return d == Dialect::postgresql ? kPgRoute : kLiteRoute;
}

// Appends "$n" for value and returns it.
std::string placeholder(std::vector<Value>& params, Value value) {
  params.push_back(std::move(value));
  return fmt::format("${}", params.size());
}

void notify_workers(Session& session) {
  if (session.dialect() != Dialect::postgresql) return;
  session.execute("SELECT pg_notify($1, current_schema() || '.events')",
                  {std::string(kWakeChannel)});
}

std::string text_or_empty(const Value& v) {
  return v.is_null() ? std::string() : v.as_text();
}

}  // namespace

std::int64_t retry(Session& session, const RetrySelection& selection) {
  if (selection.ids.empty() && !selection.status && !selection.workflow) {
    throw InvalidInput("retry", "say which events: ids, a status, or a workflow");
  }
  if (selection.status &&
      (*selection.status == Status::running || *selection.status == Status::pending)) {
    throw InvalidInput("status", fmt::format("cannot retry {} events (only failed, dead or done)",
                                             to_string(*selection.status)));
  }
  std::vector<Value> params;
  const std::string now = placeholder(params, Timestamp::now());
  std::string sql = fmt::format(
      "UPDATE events SET status = 'pending', attempts = 0, run_after = {}, locked_by = NULL,"
      " locked_until = NULL, finished_at = NULL, updated_at = {} WHERE status <> 'running'",
      session.dialect() == Dialect::postgresql ? "now()" : now, now);
  if (!selection.ids.empty()) {
    std::string list;
    for (const Uuid& id : selection.ids) {
      if (!list.empty()) list += ", ";
      list += placeholder(params, id);
    }
    sql += fmt::format(" AND id IN ({})", list);
  }
  if (selection.status) {
    sql += " AND status = " + placeholder(params, std::string(to_string(*selection.status)));
  }
  if (selection.workflow) {
    sql += fmt::format(" AND {} = {}", route(session.dialect()),
                       placeholder(params, *selection.workflow));
  }
  const std::int64_t n = session.execute(sql, params).affected_rows();
  if (n > 0) notify_workers(session);
  return n;
}

std::int64_t backfill_unprocessed(Database& db, std::size_t batch_size) {
  if (batch_size == 0) throw InvalidInput("batch_size", "must be at least 1");
  const std::string sql =
      "UPDATE events SET status = 'pending' WHERE id IN (SELECT id FROM events"
      " WHERE status = 'done' AND task_context IS NULL AND attempts = 0 AND finished_at IS NULL"
      " LIMIT $1)";
  std::int64_t total = 0;
  for (;;) {
    const std::int64_t n = db.transaction([&](Session& s) {
      const std::int64_t changed =
          s.execute(sql, {static_cast<std::int64_t>(batch_size)}).affected_rows();
      if (changed > 0) notify_workers(s);
      return changed;
    });
    total += n;
    if (n < static_cast<std::int64_t>(batch_size)) return total;
  }
}

ProcessingStats processing_stats(Session& session) {
  const bool pg = session.dialect() == Dialect::postgresql;
  ProcessingStats stats;
  const Result counts =
      session.execute(fmt::format("SELECT status, {0}, count(*) FROM events GROUP BY status, {0}"
                                  " ORDER BY status, {0}",
                                  route(session.dialect())));
  for (const Row& row : counts) {
    stats.counts.push_back({row[0].as_text(), text_or_empty(row[1]), row[2].as_int64()});
  }
  const Result oldest =
      session.execute("SELECT min(created_at) FROM events WHERE status IN ('pending', 'failed')");
  if (!oldest.empty() && !oldest.at(0)[0].is_null())
    stats.oldest_due = oldest.at(0)[0].as_timestamp();
  const Timestamp minute_ago(Timestamp::now().time_point() - std::chrono::minutes(1));
  stats.finished_last_minute =
      session
          .execute(pg ? "SELECT count(*) FROM events WHERE status IN ('done', 'dead')"
                        " AND finished_at >= now() - interval '1 minute'"
                      : "SELECT count(*) FROM events WHERE status IN ('done', 'dead')"
                        " AND finished_at >= $1",
                   pg ? std::vector<Value>{} : std::vector<Value>{minute_ago})
          .at(0)[0]
          .as_int64();
  const Result workers = session.execute(
      "SELECT id, host, pid, workflow, slots, started_at, heartbeat_at, counters"
      " FROM retort_workers ORDER BY heartbeat_at DESC, id");
  for (const Row& row : workers) {
    LiveWorker w;
    w.id = row[0].as_text();
    w.host = row[1].as_text();
    w.pid = row[2].as_int64();
    w.workflow = text_or_empty(row[3]);
    w.slots = row[4].as_int64();
    w.started_at = row[5].as_timestamp();
    w.heartbeat_at = row[6].as_timestamp();
    w.counters = text_or_empty(row[7]);
    stats.workers.push_back(std::move(w));
  }
  return stats;
}

void record_worker(Session& session, const LiveWorker& w) {
  session.execute(
      "INSERT INTO retort_workers (id, host, pid, workflow, slots, started_at, heartbeat_at,"
      " counters) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET"
      " heartbeat_at = excluded.heartbeat_at, counters = excluded.counters",
      {w.id, w.host, w.pid, w.workflow.empty() ? Value() : Value(w.workflow), w.slots, w.started_at,
       w.heartbeat_at, w.counters});
}

void remove_worker(Session& session, std::string_view id) {
  session.execute("DELETE FROM retort_workers WHERE id = $1", {std::string(id)});
}

}  // namespace retort::events

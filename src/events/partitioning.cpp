// Partitions of the events table (created ahead, listed) and retention. On a partitioned table
// old events leave as whole partitions (DETACH + DROP: no DELETE, no dead tuples, little WAL);
// elsewhere, bounded DELETE batches, so that `retort events retain` works on every table.
#include "retort/partitioning.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "retort/error.hpp"

namespace retort::events {
namespace {

constexpr const char* kUnfinished = "status IN ('pending', 'failed', 'running')";

// The partitions of the events table of the current schema with their bounds, when these are a
// plain range of timestamps (pg_get_expr spells them with the offset, so the cast back is exact).
constexpr const char* kPartitions = R"(SELECT c.relname,
  (b.m)[1]::timestamptz AS lo, (b.m)[2]::timestamptz AS hi, c.reltuples::bigint
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
  '^FOR VALUES FROM \(''([^'']*)''\) TO \(''([^'']*)''\)$') AS m) AS b
WHERE i.inhparent = to_regclass(quote_ident(current_schema()) || '.events')
ORDER BY (b.m)[1]::timestamptz NULLS LAST, c.relname)";

// pg_partman's schema, when the extension is installed.
std::optional<std::string> partman_schema(Session& s) {
  const Result r = s.execute(
      "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
      " WHERE e.extname = 'pg_partman'");
  if (r.empty()) return std::nullopt;
  return r.at(0)[0].as_text();
}

std::string quote_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string qualified_events(Session& s) {
  return s.execute("SELECT current_schema()").at(0)[0].as_text() + ".events";
}

double millis(std::chrono::milliseconds d) {
  return static_cast<double>(d.count());
}

void check_retain_options(const RetainOptions& o) {
  if (o.older_than.count() < 0) throw InvalidInput("older_than", "must not be negative");
  if (o.batch_size == 0) throw InvalidInput("batch_size", "must be at least 1");
}

std::vector<std::string> names_of(const std::vector<PartitionInfo>& parts) {
  std::vector<std::string> out;
  for (const PartitionInfo& p : parts) out.push_back(p.name);
  return out;
}

// Thrown inside a transaction to roll it back on purpose.
struct KeepPartition {};

// Detaches and drops one partition in its own transaction; false (and nothing changed) when it
// holds unfinished events that must be kept. The check runs after DETACH, while the partition
// is locked and no longer reachable through events, so no claim can start on it in between.
bool drop_partition(Database& db, const PartitionInfo& p, bool include_unfinished) {
  try {
    db.transaction([&](Session& s) {
      s.execute("SET LOCAL lock_timeout = '5s'");
      s.execute(fmt::format("ALTER TABLE events DETACH PARTITION {}", quote_name(p.name)));
      if (!include_unfinished) {
        const std::int64_t open = s.execute(fmt::format("SELECT count(*) FROM {} WHERE {}",
                                                        quote_name(p.name), kUnfinished))
                                      .at(0)[0]
                                      .as_int64();
        if (open > 0) throw KeepPartition{};
      }
      s.execute(fmt::format("DROP TABLE {}", quote_name(p.name)));
    });
  } catch (const KeepPartition&) {
    return false;  // rolled back: attached again, as it was
  }
  return true;
}

RetainReport retain_partitions(Database& db, const RetainOptions& o) {
  RetainReport report;
  report.method = "drop_partitions";
  std::vector<PartitionInfo> parts;
  db.transaction([&](Session& s) {
    report.cutoff =
        s.execute("SELECT now() - $1::float8 * interval '1 millisecond'", {millis(o.older_than)})
            .at(0)[0]
            .as_timestamp();
    parts = list_partitions(s);
  });
  for (const PartitionInfo& p : parts) {
    if (!p.to || *p.to > report.cutoff) continue;
    if (drop_partition(db, p, o.include_unfinished)) {
      report.dropped.push_back(p.name);
      report.rows += p.approx_rows;
    } else {
      report.kept_partitions.push_back(p.name);
    }
  }
  return report;
}

// The slower path: DELETE in batches of batch_size rows, one transaction each.
RetainReport retain_by_delete(Database& db, const RetainOptions& o) {
  RetainReport report;
  report.method = "batched_delete";
  const bool pg = db.dialect() == Dialect::postgresql;
  db.transaction([&](Session& s) {
    report.cutoff = pg ? s.execute("SELECT now() - $1::float8 * interval '1 millisecond'",
                                   {millis(o.older_than)})
                             .at(0)[0]
                             .as_timestamp()
                       : Timestamp(Timestamp::now().time_point() - o.older_than);
  });
  const std::string keep = o.include_unfinished ? "" : fmt::format(" AND NOT ({})", kUnfinished);
  const std::string sql = fmt::format(
      "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < $1{} LIMIT $2)",
      keep);
  const auto batch = static_cast<std::int64_t>(o.batch_size);
  for (;;) {
    const std::int64_t n = db.transaction([&](Session& s) {
      return s.execute(sql, {report.cutoff, batch}).affected_rows();
    });
    report.rows += n;
    if (n < batch) break;
  }
  if (!o.include_unfinished) {
    report.kept_unfinished = db.transaction([&](Session& s) {
      return s
          .execute(
              fmt::format("SELECT count(*) FROM events WHERE created_at < $1 AND {}", kUnfinished),
              {report.cutoff})
          .at(0)[0]
          .as_int64();
    });
  }
  return report;
}

}  // namespace

std::string_view to_string(PartitionManager manager) noexcept {
  switch (manager) {
    case PartitionManager::none:
      return "none";
    case PartitionManager::retort:
      return "retort";
    case PartitionManager::pg_partman:
      return "pg_partman";
  }
  return "?";
}

PartitionManager partition_manager(Session& session) {
  if (session.dialect() != Dialect::postgresql) return PartitionManager::none;
  const Result r = session.execute(
      "SELECT c.relkind = 'p' FROM pg_class c"
      " WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.events')");
  if (r.empty() || !r.at(0)[0].as_bool()) return PartitionManager::none;
  if (const std::optional<std::string> schema = partman_schema(session)) {
    const Result managed = session.execute(
        fmt::format("SELECT 1 FROM {}.part_config WHERE parent_table = $1", quote_name(*schema)),
        {qualified_events(session)});
    if (!managed.empty()) return PartitionManager::pg_partman;
  }
  return PartitionManager::retort;
}

std::vector<PartitionInfo> list_partitions(Session& session) {
  std::vector<PartitionInfo> out;
  if (session.dialect() != Dialect::postgresql) return out;
  for (const Row& row : session.execute(kPartitions)) {
    PartitionInfo p;
    p.name = row[0].as_text();
    if (!row[1].is_null()) p.from = row[1].as_timestamp();
    if (!row[2].is_null()) p.to = row[2].as_timestamp();
    p.approx_rows = std::max<std::int64_t>(row[3].as_int64(), 0);
    out.push_back(std::move(p));
  }
  return out;
}

PartitionsReport create_partitions(Database& db, std::chrono::milliseconds ahead) {
  if (ahead.count() < 0) throw InvalidInput("ahead", "must not be negative");
  if (db.dialect() != Dialect::postgresql) {
    throw UsageError("SQLite has no partitioning: the events table is one table there");
  }
  return db.transaction([&](Session& s) {
    PartitionsReport report;
    report.manager = partition_manager(s);
    if (report.manager == PartitionManager::none) {
      throw UsageError(
          "the events table is not partitioned (upgrade to revision e2c7b9a4f610, see "
          "docs/partitioning.md)");
    }
    s.execute("SET LOCAL lock_timeout = '5s'");
    if (report.manager == PartitionManager::retort) {
      for (const Row& row :
           s.execute("SELECT retort_events_ensure_partitions(now(), now() + $1::float8 * interval "
                     "'1 millisecond')",
                     {millis(ahead)})) {
        report.created.push_back(row[0].as_text());
      }
      return report;
    }
    const std::vector<std::string> before = names_of(list_partitions(s));
    const std::string schema = *partman_schema(s);
    s.execute(fmt::format("SELECT {}.run_maintenance(p_parent_table := $1)", quote_name(schema)),
              {qualified_events(s)});
    for (std::string& name : names_of(list_partitions(s))) {
      if (std::find(before.begin(), before.end(), name) == before.end())
        report.created.push_back(std::move(name));
    }
    return report;
  });
}

RetainReport retain(Database& db, const RetainOptions& options) {
  check_retain_options(options);
  const bool partitioned = db.dialect() == Dialect::postgresql && db.transaction([](Session& s) {
    return partition_manager(s) != PartitionManager::none;
  });
  return partitioned ? retain_partitions(db, options) : retain_by_delete(db, options);
}

}  // namespace retort::events

// The events table range-partitioned by created_at (PostgreSQL's declarative partitioning), and
// retention that works on every shape of the table.
//
//   retort::Database db = retort::Database::open(url);
//   retort::events::create_partitions(db, std::chrono::days(7));       // a week ahead
//   retort::events::RetainReport r = retort::events::retain(db, {.older_than =
//   std::chrono::days(30)});
//
// The partitioned shape comes from revision e2c7b9a4f610 (migrations/partitioned/, opt-in; see
// docs/partitioning.md): one partition per UTC day, named events_pYYYY_MM_DD, primary key
// (id, created_at). pg_partman may manage the table instead of retort.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "retort/database.hpp"
#include "retort/value.hpp"

namespace retort::events {

// Who creates the events table's partitions.
enum class PartitionManager {
  none,        // the table is not partitioned (or the database is SQLite)
  retort,      // retort_events_ensure_partitions (the revision's function), from retort and workers
  pg_partman,  // the table is registered in pg_partman's part_config: its run_maintenance does it
};
std::string_view to_string(PartitionManager manager) noexcept;

// One partition of the events table. from/to are empty for a DEFAULT partition (or any bound
// that is not a plain range of timestamps).
struct PartitionInfo {
  std::string name{};
  std::optional<Timestamp> from{}, to{};
  std::int64_t approx_rows = 0;  // pg_class.reltuples (-1 before the first ANALYZE, reported 0)
};

// Whether the events table of the session's schema is partitioned, and by whom. One catalog
// query (two when pg_partman is installed); SQLite: none.
PartitionManager partition_manager(Session& session);

// The partitions of the events table, oldest first (DEFAULT partitions last). Empty when the
// table is not partitioned.
std::vector<PartitionInfo> list_partitions(Session& session);

struct PartitionsReport {
  PartitionManager manager = PartitionManager::none;
  std::vector<std::string> created{};  // partitions that did not exist before the call
};

// Makes sure partitions exist from now through now + ahead (server clock, UTC days): through
// retort_events_ensure_partitions, or pg_partman's run_maintenance for the table when pg_partman
// manages it (its own premake then decides how far ahead). One short transaction with a 5 s
// lock_timeout (creating a partition locks the parent table briefly). UsageError when the table
// is not partitioned or the database is SQLite; InvalidInput("ahead") for a negative duration.
PartitionsReport create_partitions(Database& db, std::chrono::milliseconds ahead);

struct RetainOptions {
  std::chrono::milliseconds older_than{};  // events created before now - older_than go
  bool include_unfinished = false;         // also drop/delete pending, failed and running events
  std::size_t batch_size = 5000;           // rows per transaction on the batched-delete path
};

struct RetainReport {
  // "drop_partitions" (a partitioned table: whole partitions, no DELETE) or "batched_delete"
  // (an unpartitioned table, and SQLite).
  std::string method{};
  Timestamp cutoff{};
  std::vector<std::string> dropped{};  // partitions detached and dropped
  std::int64_t rows = 0;  // rows deleted (batched_delete); the dropped partitions' approx_rows
  // Kept because they hold unfinished events (pending, failed, running) and include_unfinished
  // was not set: partitions (drop_partitions) or the number of such events (batched_delete).
  std::vector<std::string> kept_partitions{};
  std::int64_t kept_unfinished = 0;
  bool partial() const noexcept { return !kept_partitions.empty() || kept_unfinished > 0; }
};

// Removes events created before now - older_than. On a partitioned table only whole partitions
// go, those whose upper bound is at or before the cutoff: each is detached and dropped in its
// own transaction (lock_timeout 5 s), after checking, while it is detached and locked, that it
// holds no unfinished event (otherwise it is reattached by the rollback and reported in
// kept_partitions). Elsewhere the rows go by DELETE, batch_size per transaction, unfinished ones
// kept unless include_unfinished; safe to interrupt and run again. InvalidInput for a negative
// older_than or a batch_size of 0.
RetainReport retain(Database& db, const RetainOptions& options);

}  // namespace retort::events

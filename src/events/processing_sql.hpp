// The statements of the Processor, per dialect. Parameter order is documented on each; the
// fence of every write is (id, locked_by, attempts): locked_by is non-NULL exactly while an
// event is running. With partitioned = true (PostgreSQL, a partitioned events table) each
// fenced write takes created_at as one more parameter after the others and adds it to the
// fence, so that PostgreSQL prunes to the event's partition.
#pragma once

#include <string>

#include "retort/settings.hpp"

namespace retort::events::sql {

// The status predicates of the CHECK ck_events_status and of the partial claim indexes
// (ix_events_claim, ix_events_claim_workflow). PostgreSQL keeps the IN lists of revision
// b5f0c3e8d217. On SQLite, revision e93712f478ad spells them as OR chains: SQLite fills an
// ephemeral B-tree for a constant IN list on every inserted row, once per predicate.
inline constexpr const char* kPgStatusValues =
    "status IN ('pending', 'running', 'done', 'failed', 'dead')";
inline constexpr const char* kLiteStatusValues =
    "status = 'pending' OR status = 'running' OR status = 'done' OR status = 'failed' OR "
    "status = 'dead'";
inline constexpr const char* kPgClaimable = "status IN ('pending', 'failed', 'running')";
inline constexpr const char* kLiteClaimable =
    "status = 'pending' OR status = 'failed' OR status = 'running'";

// The claim joins the picked rows back by (id, created_at) on both table shapes.
// $1 limit, $2 worker id, $3 default max attempts; PostgreSQL: $4 lease in ms; SQLite: $4 now,
// $5 end of the lease; then (by_workflow) the routing key. Returns id, data, task_context,
// workflow, attempts, max attempts, created_at, status (running, or dead for an expired lease on
// the last attempt).
const std::string& claim(Dialect dialect, bool by_workflow);
// $1 id, $2 worker id, $3 attempt, $4 task_context or patch, $5 now. Returns status.
const std::string& complete(Dialect dialect, bool merge_patch, bool partitioned = false);
// $1 id, $2 worker id, $3 attempt, $4 error, $5 now, $6 default max attempts; PostgreSQL: $7
// delay in ms; SQLite: $7 the time of the retry. Returns status (failed or dead).
const std::string& fail(Dialect dialect, bool partitioned = false);
// $1 id, $2 worker id, $3 attempt; PostgreSQL: $4 lease in ms; SQLite: $4 end of the lease.
const std::string& heartbeat(Dialect dialect, bool partitioned = false);

// $1 id, $2 worker id, $3 attempt; PostgreSQL: $4 delay in ms (0); SQLite: $4 now.
const std::string& release(Dialect dialect, bool partitioned = false);

}  // namespace retort::events::sql

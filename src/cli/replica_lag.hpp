// How far the replica that answers stale-tolerant reads is behind the primary (`events stats`).
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "retort/database.hpp"

namespace retort::cli {

struct ReplicaLag {
  bool in_recovery = false;           // false: the read URL reached a primary, not a standby
  std::optional<std::int64_t> bytes;  // WAL written on the primary, not yet replayed on it
  std::optional<double> seconds;      // 0 when caught up, else the age of its last replayed commit
};

// Asks the replica what it has replayed, then the primary how much WAL lies beyond that (so
// the figure is an upper bound by the time between the two questions). Throws DatabaseError.
ReplicaLag measure_replica_lag(Database& primary, Database& replica);

// {"in_recovery": ..., "lag_bytes": ..., "lag_s": ...} (nulls for what is unknown).
nlohmann::json replica_lag_json(const ReplicaLag& lag);

// "lag 1234 bytes, 0.25 s" / "caught up" / "not a standby (pg_is_in_recovery() is false)".
std::string replica_lag_text(const ReplicaLag& lag);

}  // namespace retort::cli

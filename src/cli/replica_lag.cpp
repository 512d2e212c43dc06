// Replica lag from both ends: the replica's replay position and the primary's WAL position.
// pg_stat_replication on the primary would need the replica's application_name to find the row,
// and a replica reached through a multi-host URL has none of ours; the positions need nothing.
#include "cli/replica_lag.hpp"

#include <fmt/format.h>

namespace retort::cli {

ReplicaLag measure_replica_lag(Database& primary, Database& replica) {
  ReplicaLag lag;
  const Result standby = replica.transaction([](Session& s) {
    return s.execute(
        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8");
  });
  const Row& row = standby.at(0);
  lag.in_recovery = row[0].as_bool();
  if (!lag.in_recovery || row[1].is_null()) return lag;
  const Result behind = primary.transaction([&](Session& s) {
    return s.execute(
        "SELECT greatest(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn), 0)::bigint",
        {row[1].as_text()});
  });
  lag.bytes = behind.at(0)[0].as_int64();
  // With nothing left to replay the replica is current, however old its last commit is.
  if (*lag.bytes == 0) {
    lag.seconds = 0.0;
  } else if (!row[2].is_null()) {
    lag.seconds = row[2].as_double();
  }
  return lag;
}

nlohmann::json replica_lag_json(const ReplicaLag& lag) {
  return {{"in_recovery", lag.in_recovery},
          {"lag_bytes", lag.bytes ? nlohmann::json(*lag.bytes) : nlohmann::json()},
          {"lag_s", lag.seconds ? nlohmann::json(*lag.seconds) : nlohmann::json()}};
}

std::string replica_lag_text(const ReplicaLag& lag) {
  if (!lag.in_recovery) return "not a standby (pg_is_in_recovery() is false)";
  if (!lag.bytes) return "lag unknown (nothing replayed yet)";
  if (*lag.bytes == 0) return "caught up (lag 0 bytes)";
  return fmt::format("lag {} bytes, {}", *lag.bytes,
                     lag.seconds ? fmt::format("{:.3f} s", *lag.seconds) : std::string("? s"));
}

}  // namespace retort::cli

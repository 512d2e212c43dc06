// The migration lock: one migrating process at a time per database (and version table).
//
// PostgreSQL: a session-level advisory lock (pg_try_advisory_lock, polled with backoff) held on a
// connection of its own that never opens a transaction, so the lock cannot be part of a deadlock
// with the migration's statements (CREATE INDEX CONCURRENTLY waits for every open transaction,
// and an idle session holding an advisory lock has none). The server releases it when the
// process dies, however it dies.
//
// SQLite: an exclusive flock(2) on the file <database>.migrate-lock next to the database. SQLite's
// own locks are per database file and would block the migration's own connection, so the lock
// lives on a separate file; flock locks are released by the kernel when the process dies. The
// file is left in place (removing lock files races with processes about to lock them). An
// in-memory database has a single connection in a single process: no lock is needed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "retort/connection.hpp"
#include "retort/database.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

class MigrationLock {
 public:
  using Log = std::function<void(std::string_view)>;

  // Waits up to settings.lock_wait_timeout; throws LockTimeout naming the holder when it can.
  // On PostgreSQL the lock's session is a connection of db's own outside its pool (so a test's
  // fault injector reaches it, as it reaches the migration connection).
  static std::unique_ptr<MigrationLock> acquire(const Database& db, const Settings& settings,
                                                const Log& log);
  virtual ~MigrationLock() = default;

  // What is held, for messages ("PostgreSQL advisory lock 123", "flock on x.db.migrate-lock").
  virtual std::string describe() const = 0;
};

// The advisory lock key retort derives when advisory_lock_id is not set: a 63-bit hash of
// "retort:<schema>.<version table>".
std::int64_t default_advisory_lock_id(std::string_view schema, std::string_view version_table);

}  // namespace retort::migrate

#include "migrate/runtime/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "driver/database_access.hpp"
#include "driver/session_probe.hpp"
#include "retort/error.hpp"

namespace retort::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// Polls try_lock with exponential backoff (with jitter, so waiting processes do not poll in
// step) until it succeeds or `timeout` passes. Returns false on timeout.
template <class F>
bool poll(F&& try_lock, std::chrono::milliseconds timeout,
          const std::function<void()>& on_first_wait) {
  if (try_lock()) return true;
  if (on_first_wait) on_first_wait();
  const auto deadline = Clock::now() + timeout;
  std::minstd_rand jitter(static_cast<unsigned>(::getpid()) ^
                          static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  double delay_ms = 5;
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    const double spread = 0.75 + static_cast<double>(jitter() % 500) / 1000.0;
    auto wait = std::chrono::microseconds(static_cast<std::int64_t>(delay_ms * spread * 1000));
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now));
    std::this_thread::sleep_for(wait);
    if (try_lock()) return true;
    delay_ms = std::min(delay_ms * 1.6, 250.0);
  }
}

std::string seconds_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{} s", d.count() / 1000)
                               : fmt::format("{} ms", d.count());
}

class PgAdvisoryLock final : public MigrationLock {
 public:
  PgAdvisoryLock(std::unique_ptr<Connection> c, std::int64_t key) : c_(std::move(c)), key_(key) {}
  ~PgAdvisoryLock() override {
    try {
      if (!c_->is_broken()) c_->execute("SELECT pg_advisory_unlock($1)", {key_});
    } catch (...) {
      // Closing the connection releases the lock anyway.
    }
  }
  std::string describe() const override { return fmt::format("PostgreSQL advisory lock {}", key_); }

 private:
  std::unique_ptr<Connection> c_;
  std::int64_t key_;
};

// A session-level advisory lock taken through a transaction pooler stays on a pooled server
// session after the statement: held by nobody who will release it, and re-entrant for whichever
// client gets that session next. Refused before it is taken.
void refuse_transaction_pooler(Connection& c, const DatabaseUrl& url) {
  if (!driver::transaction_pooled(c, url)) return;
  throw ConfigError(fmt::format(
      "{} hands each transaction another server session (a transaction pooler, such as "
      "PgBouncer with pool_mode = transaction), and the migration lock is a session-level "
      "advisory lock that needs a session of its own: give migrations a direct URL "
      "(RETORT_MIGRATION_URL, or migration_url in [database]; docs/replicas.md)",
      url.redacted()));
}

std::unique_ptr<MigrationLock> acquire_pg(const Database& db, const Settings& settings,
                                          const MigrationLock::Log& log) {
  ConnectionOptions options;
  options.application_name = "retort migrate (lock)";
  options.prepared_statements = false;  // two statements, run a few times: nothing to cache
  std::unique_ptr<Connection> c = driver::DatabaseAccess::open_connection(db, options);
  refuse_transaction_pooler(*c, db.url());
  std::int64_t key;
  if (settings.advisory_lock_id) {
    key = *settings.advisory_lock_id;
  } else {
    const std::string schema =
        c->execute("SELECT coalesce(current_schema(), '')").at(0)[0].as_text();
    key = default_advisory_lock_id(schema, settings.version_table);
  }
  auto try_lock = [&] {
    return c->execute("SELECT pg_try_advisory_lock($1)", {key}).at(0)[0].as_bool();
  };
  auto say_waiting = [&] {
    if (log) {
      log(fmt::format("Waiting for another migration to finish (PostgreSQL advisory lock {})",
                      key));
    }
  };
  if (!poll(try_lock, settings.lock_wait_timeout, say_waiting)) {
    std::string holder;
    try {
      Result r = c->execute(
          "SELECT l.pid, coalesce(a.application_name, '') FROM pg_locks l LEFT JOIN "
          "pg_stat_activity a ON "
          "a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND "
          "((l.classid::bigint << 32) | l.objid::bigint) = $1 LIMIT 1",
          {key});
      if (!r.empty()) {
        holder =
            fmt::format(" by server process {} ({})", r.at(0)[0].as_int64(), r.at(0)[1].as_text());
      }
    } catch (const Error&) {
    }
    throw LockTimeout(
        fmt::format("another migration holds the migration lock (PostgreSQL advisory lock {}{}); "
                    "gave up after {} "
                    "(lock_wait_timeout in [migrations])",
                    key, holder, seconds_text(settings.lock_wait_timeout)));
  }
  return std::make_unique<PgAdvisoryLock>(std::move(c), key);
}

class FileLock final : public MigrationLock {
 public:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  std::string describe() const override { return "flock on " + path_; }

 private:
  int fd_;
  std::string path_;
};

std::unique_ptr<MigrationLock> acquire_file(const std::string& path, const Settings& settings,
                                            const MigrationLock::Log& log) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw ConfigError(
        fmt::format("cannot open the migration lock file {}: {}", path, std::strerror(errno)));
  }
  int error = 0;
  auto try_lock = [&] {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno != EWOULDBLOCK && errno != EINTR) {
      error = errno;
      return true;  // stop polling; reported below
    }
    return false;
  };
  auto say_waiting = [&] {
    if (log) log(fmt::format("Waiting for another migration to finish (lock file {})", path));
  };
  const bool done = poll(try_lock, settings.lock_wait_timeout, say_waiting);
  if (!done || error != 0) {
    ::close(fd);
    if (error != 0) {
      throw ConfigError(
          fmt::format("cannot lock the migration lock file {}: {}", path, std::strerror(error)));
    }
    throw LockTimeout(
        fmt::format("another migration holds the migration lock (flock on {}); gave up after {} "
                    "(lock_wait_timeout in "
                    "[migrations])",
                    path, seconds_text(settings.lock_wait_timeout)));
  }
  return std::make_unique<FileLock>(fd, path);
}

class NoLock final : public MigrationLock {
 public:
  std::string describe() const override { return "no lock (in-memory database)"; }
};

}  // namespace

std::int64_t default_advisory_lock_id(std::string_view schema, std::string_view version_table) {
  // FNV-1a, 64 bits; the sign bit cleared so the key reads the same everywhere.
  std::uint64_t h = 14695981039346656037ull;
  auto feed = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  feed("retort:");
  feed(schema);
  feed(".");
  feed(version_table);
  return static_cast<std::int64_t>(h & 0x7fffffffffffffffull);
}

std::unique_ptr<MigrationLock> MigrationLock::acquire(const Database& db, const Settings& settings,
                                                      const Log& log) {
  const DatabaseUrl& url = db.url();
  if (url.dialect() == Dialect::postgresql) return acquire_pg(db, settings, log);
  if (url.is_memory()) return std::make_unique<NoLock>();
  return acquire_file(url.path() + ".migrate-lock", settings, log);
}

}  // namespace retort::migrate

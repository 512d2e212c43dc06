// A PgBouncer of a test's own, in front of the test server (RETORT_TEST_PG_URL): Debian's
// pgbouncer, run as the `postgres` user when we are root, on a free 127.0.0.1 port, SCRAM logins
// with the test server's password (the pooler logs into the server with it too).
//
// Each instance pools a fresh database of its own (created here, dropped with FORCE at the end),
// so tests see their own tables without search_path: PgBouncer refuses the `options` startup
// parameter that PgSchema's URLs use to set it.
#pragma once

#include <sys/types.h>

#include <string>

#include "support/test_db.hpp"

namespace retort::testing {

class PgBouncer {
 public:
  // pool_mode "transaction" or "session". Throws std::runtime_error (with pgbouncer's log)
  // when it does not start.
  explicit PgBouncer(const std::string& pool_mode = "transaction");
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  // The database through the pooler, and the same database directly.
  const std::string& url() const { return url_; }
  const std::string& direct_url() const { return direct_url_; }
  const std::string& database() const { return database_; }

 private:
  void start(const std::string& pool_mode);

  TempDir dir_;
  std::string database_;
  std::string url_;
  std::string direct_url_;
  pid_t pid_ = -1;
};

}  // namespace retort::testing

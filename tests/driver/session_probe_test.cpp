// driver::transaction_pooled against the real thing: the test server directly, and Debian's
// PgBouncer in front of it in transaction and in session mode.
#include "driver/session_probe.hpp"

#include <gtest/gtest.h>

#include "retort/connection.hpp"
#include "support/pgbouncer.hpp"
#include "support/test_db.hpp"

namespace retort::testing {
namespace {

bool probe(const std::string& url_text) {
  const DatabaseUrl url = parse_database_url(url_text);
  ConnectionOptions options;
  options.prepared_statements = false;
  std::unique_ptr<Connection> first = connect(url, options);
  return driver::transaction_pooled(*first, url);
}

TEST(SessionProbeTest, ADirectConnectionKeepsItsSession) {
  EXPECT_FALSE(probe(pg_server_url()));
}

TEST(SessionProbeTest, PgBouncerInTransactionModeIsCaught) {
  PgBouncer bouncer("transaction");
  EXPECT_TRUE(probe(bouncer.url()));
  EXPECT_FALSE(probe(bouncer.direct_url()));
}

// A session pooler keeps one server session per client: the lock is safe there, and must not
// be refused.
TEST(SessionProbeTest, PgBouncerInSessionModeIsNotMistakenForOne) {
  PgBouncer bouncer("session");
  EXPECT_FALSE(probe(bouncer.url()));
}

// The probe leaves the first connection as it found it: outside a transaction, usable.
TEST(SessionProbeTest, TheFirstConnectionIsUsableAfterwards) {
  PgBouncer bouncer("transaction");
  const DatabaseUrl url = parse_database_url(bouncer.url());
  ConnectionOptions options;
  options.prepared_statements = false;
  std::unique_ptr<Connection> first = connect(url, options);
  ASSERT_TRUE(driver::transaction_pooled(*first, url));
  EXPECT_FALSE(first->in_transaction());
  EXPECT_EQ(first->execute("SELECT 41 + $1::int", {1}).at(0)[0].as_int64(), 42);
}

TEST(SessionProbeTest, SqliteHasNoPooler) {
  TempDir dir;
  const DatabaseUrl url = DatabaseUrl::sqlite((dir / "probe.db").string());
  std::unique_ptr<Connection> c = connect(url);
  EXPECT_FALSE(driver::transaction_pooled(*c, url));
}

}  // namespace
}  // namespace retort::testing

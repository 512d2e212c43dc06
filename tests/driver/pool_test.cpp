// The connection pool: limits, timeouts, lifetimes, broken connections, threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "retort/database.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;

DatabaseOptions small_pool(std::size_t max_size) {
  DatabaseOptions options;
  options.pool.max_size = max_size;
  options.pool.acquire_timeout = 200ms;
  return options;
}

class PoolTest : public ::testing::TestWithParam<Dialect> {
 protected:
  testing::TestDatabase test_db_{GetParam()};
};

TEST_P(PoolTest, ExhaustedPoolTimesOutNamingItsSize) {
  Database db(test_db_.url(), small_pool(2));
  PooledConnection a = db.connection();
  PooledConnection b = db.connection();
  const auto start = std::chrono::steady_clock::now();
  try {
    db.connection();
    FAIL() << "expected PoolTimeout";
  } catch (const PoolTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("max_size 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("200 ms"), std::string::npos) << e.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(db.pool().stats().in_use, 2u);
}

TEST_P(PoolTest, WaiterGetsTheConnectionAnotherThreadReleases) {
  DatabaseOptions options = small_pool(1);
  options.pool.acquire_timeout = 5s;
  Database db(test_db_.url(), options);
  PooledConnection held = db.connection();
  Connection* first = held.get();
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    held.release();
  });
  PooledConnection next = db.connection();
  releaser.join();
  EXPECT_EQ(next.get(), first);  // the same connection, reused
  EXPECT_EQ(db.pool().stats().created, 1u);
}

TEST_P(PoolTest, MinSizeOpensEagerly) {
  DatabaseOptions options = small_pool(4);
  options.pool.min_size = 3;
  Database db(test_db_.url(), options);
  EXPECT_EQ(db.pool().stats().open, 3u);
  EXPECT_EQ(db.pool().stats().idle, 3u);
}

TEST_P(PoolTest, BadSizesAreRefused) {
  DatabaseOptions options = small_pool(2);
  options.pool.min_size = 3;
  EXPECT_THROW(Database(test_db_.url(), options), UsageError);
  EXPECT_THROW(Database(test_db_.url(), small_pool(0)), UsageError);
}

TEST_P(PoolTest, ExpiredConnectionsAreReplaced) {
  DatabaseOptions options = small_pool(2);
  options.pool.max_lifetime = 30ms;
  Database db(test_db_.url(), options);
  db.connection()->execute("SELECT 1");
  std::this_thread::sleep_for(60ms);
  db.connection()->execute("SELECT 1");
  EXPECT_EQ(db.pool().stats().created, 2u);
  EXPECT_GE(db.pool().stats().discarded, 1u);
}

TEST_P(PoolTest, OpenTransactionIsRolledBackOnReturn) {
  Database db(test_db_.url(), small_pool(1));
  db.connection()->execute_script("CREATE TABLE t (v BIGINT)");
  {
    PooledConnection c = db.connection();
    c->begin({});
    c->execute("INSERT INTO t VALUES ($1)", {1});
  }  // returned mid-transaction
  PooledConnection c = db.connection();
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(c->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 0);
}

TEST_P(PoolTest, EightThreadsShareThePool) {
  DatabaseOptions options = small_pool(4);
  options.pool.acquire_timeout = 30s;
  Database db(test_db_.url(), options);
  db.connection()->execute_script(
      "CREATE TABLE t (thread BIGINT, i BIGINT, PRIMARY KEY (thread, i))");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 50; ++i) {
          db.transaction([&](Session& s) { s.execute("INSERT INTO t VALUES ($1, $2)", {t, i}); });
        }
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << "thread " << t << ": " << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(db.connection()->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 400);
  EXPECT_LE(db.pool().stats().created, 4u);
  EXPECT_EQ(db.pool().stats().in_use, 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, PoolTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

// pg_terminate_backend kills the server side of a pooled connection; the pool must notice at
// checkout and hand out a fresh connection instead.
class PgPoolTest : public ::testing::Test {
 protected:
  testing::PgSchema schema_;
  static std::int64_t backend_pid(Connection& c) {
    return c.execute("SELECT pg_backend_pid()").at(0)[0].as_int64();
  }
  static void terminate(std::int64_t pid) {
    auto admin = connect(parse_database_url(testing::pg_server_url()));
    admin->execute("SELECT pg_terminate_backend($1::int)", {pid});
    // The termination message reaches the victim's socket asynchronously.
    std::this_thread::sleep_for(100ms);
  }
  // Opens a connection, gives it back to db's pool, kills its backend; returns the backend's pid.
  static std::int64_t terminate_idle_connection(Database& db) {
    std::int64_t pid = 0;
    {
      PooledConnection c = db.connection();
      pid = backend_pid(*c);
    }
    terminate(pid);
    return pid;
  }
};

TEST_F(PgPoolTest, TerminatedIdleConnectionIsDiscardedAtCheckout) {
  DatabaseOptions options = small_pool(2);
  options.pool.alive_bypass = 50ms;  // terminate() waits longer: the socket is checked
  Database db(schema_.url(), options);
  const std::int64_t pid = terminate_idle_connection(db);
  PooledConnection c = db.connection();
  EXPECT_NE(backend_pid(*c), pid);  // a fresh, working connection
  EXPECT_EQ(db.pool().stats().discarded, 1u);
}

// Within alive_bypass the socket is not checked: the loss shows as a ConnectionError on the first
// statement, and the connection is not handed out again.
TEST_F(PgPoolTest, WithinTheBypassWindowTheFirstStatementReportsTheLoss) {
  DatabaseOptions options = small_pool(2);
  options.pool.alive_bypass = std::chrono::minutes(1);
  Database db(schema_.url(), options);
  const std::int64_t pid = terminate_idle_connection(db);
  {
    PooledConnection c = db.connection();
    try {
      backend_pid(*c);
      FAIL() << "a terminated backend answered";
    } catch (const ConnectionError& e) {
      // The server's notice (57P01) is lost with the reset socket: libpq reports the closed link.
      EXPECT_TRUE(e.sqlstate() == "08006" || e.sqlstate() == "57P01") << e.what();
    }
  }
  PooledConnection c = db.connection();
  EXPECT_NE(backend_pid(*c), pid);
  EXPECT_EQ(db.pool().stats().discarded, 1u);
}

TEST_F(PgPoolTest, ConnectionLostMidSessionIsNeverReused) {
  Database db(schema_.url(), small_pool(1));
  {
    Session s = db.session();
    const std::int64_t pid = backend_pid(s.connection());
    terminate(pid);
    EXPECT_THROW(s.execute("SELECT 1"), ConnectionError);
  }  // rollback fails quietly; the pool discards the connection
  PooledConnection c = db.connection();
  EXPECT_EQ(c->execute("SELECT 1").at(0)[0].as_int64(), 1);
  EXPECT_EQ(db.pool().stats().discarded, 1u);
}

TEST_F(PgPoolTest, UnreachableServerFailsCheckoutWithConnectionError) {
  DatabaseUrl url = parse_database_url("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  DatabaseOptions options = small_pool(1);
  Pool pool([url] { return connect(url); }, options.pool);
  EXPECT_THROW(pool.acquire(), ConnectionError);
  EXPECT_EQ(pool.stats().open, 0u);  // the failed attempt does not hold a slot
}

}  // namespace
}  // namespace retort

// The asynchronous pool and transactions: many coroutines over few connections, lost backends,
// shutdown with work in flight, commit / rollback / savepoints / options.
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "async_fixture.hpp"
#include "retort/error.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;
using testing::AsyncPgTest;

PoolOptions pool_of(std::size_t size) {
  PoolOptions options;
  options.max_size = size;
  options.acquire_timeout = 120s;  // 10,000 coroutines queue behind 8 connections
  return options;
}

TEST_F(AsyncPgTest, TenThousandCoroutinesOnOneThreadOverEightConnections) {
  blocking()->execute("CREATE TABLE hits (n int PRIMARY KEY)");
  async::Database db(io_.get_executor(), schema_.url(), pool_of(8));
  constexpr int kCoroutines = 10'000;
  int correct = 0;
  int failed = 0;
  for (int i = 0; i < kCoroutines; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          Result r = co_await db.execute("INSERT INTO hits VALUES ($1) RETURNING n * 2", Value(i));
          if (r.at(0)[0].as_int64() == 2 * i) ++correct;
        },
        [&](std::exception_ptr e) {
          if (e) ++failed;
        });
  }
  io_.run();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(correct, kCoroutines);
  EXPECT_LE(db.pool().stats().created, 8u);
  Result stored = blocking()->execute("SELECT count(*), sum(n) FROM hits");
  EXPECT_EQ(stored.at(0)[0].as_int64(), kCoroutines);
  EXPECT_EQ(stored.at(0)[1].as_int64(), std::int64_t{kCoroutines} * (kCoroutines - 1) / 2);
}

TEST_F(AsyncPgTest, ExhaustedPoolTimesOutWithTheBlockingPoolsMessage) {
  PoolOptions options = pool_of(1);
  options.acquire_timeout = 50ms;
  async::Pool pool(io_.get_executor(), schema_.url(), options);
  std::string message;
  run([&]() -> asio::awaitable<void> {
    async::PooledConnection held = co_await pool.acquire();
    try {
      co_await pool.acquire();
    } catch (const PoolTimeout& e) {
      message = e.what();
    }
  });
  EXPECT_NE(message.find("max_size 1"), std::string::npos) << message;
  EXPECT_NE(message.find("50 ms"), std::string::npos) << message;
}

// pg_terminate_backend while a statement runs: that statement fails with ConnectionError, the
// pool discards the connection, and later work succeeds on a fresh one.
TEST_F(AsyncPgTest, TerminatedBackendMidFlightFailsClearlyAndThePoolRecovers) {
  async::Database db(io_.get_executor(), schema_.url(), pool_of(2));
  std::string message;
  std::int64_t pid = 0;
  bool finished = false;
  auto victim = [&]() -> asio::awaitable<void> {
    {
      async::PooledConnection c = co_await db.pool().acquire();
      pid = (co_await c->execute("SELECT pg_backend_pid()")).at(0)[0].as_int64();
      try {
        co_await c->execute("SELECT pg_sleep(60)");
      } catch (const ConnectionError& e) {
        message = e.what();
      }
    }  // given back: broken, so discarded
    finished = true;
  };
  run([&]() -> asio::awaitable<void> {
    const async::Executor executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, victim(), asio::detached);
    asio::steady_timer pause(executor);
    auto admin = blocking();
    for (;;) {
      const bool running =
          pid != 0 && admin->execute(
                               "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int AND "
                               "query = 'SELECT pg_sleep(60)' AND state = 'active'",
                               {Value(pid)})
                              .at(0)[0]
                              .as_int64() == 1;
      if (running) break;
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    admin->execute("SELECT pg_terminate_backend($1::int)", {Value(pid)});
    while (!finished) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(db.pool().stats().discarded, 1u);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ((co_await db.execute("SELECT $1::int", Value(i))).at(0)[0].as_int64(), i);
    }
  });
  EXPECT_NE(message.find("terminating connection due to administrator command"), std::string::npos)
      << message;
}

// The io_context is stopped and destroyed while coroutines wait on the server and on the pool:
// nothing leaks (LeakSanitizer) and nothing crashes.
TEST_F(AsyncPgTest, ShutdownWithCoroutinesInFlightLeaksNothing) {
  int started = 0;
  {
    asio::io_context io;
    async::Database db(io.get_executor(), schema_.url(), pool_of(4));
    for (int i = 0; i < 20; ++i) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
              ++started;
              co_await tx.execute("SELECT pg_sleep(5)");
            });
          },
          asio::detached);
    }
    asio::steady_timer stop(io);
    std::function<void(std::error_code)> check = [&](std::error_code) {
      if (started >= 4) {
        io.stop();
        return;
      }
      stop.expires_after(10ms);
      stop.async_wait(check);
    };
    check({});
    io.run();
    EXPECT_EQ(db.pool().stats().in_use, 4u);
  }  // db, then io (with the suspended coroutines) destroyed here
  EXPECT_EQ(started, 4);
}

TEST_F(AsyncPgTest, TransactionCommitsOnReturnAndRollsBackOnThrow) {
  blocking()->execute("CREATE TABLE t (v int)");
  async::Database db(io_.get_executor(), schema_.url(), pool_of(2));
  std::string caught;
  run([&]() -> asio::awaitable<void> {
    const int n = co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<int> {
      co_await tx.execute("INSERT INTO t VALUES (1)");
      co_return 5;
    });
    EXPECT_EQ(n, 5);
    try {
      co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
        co_await tx.execute("INSERT INTO t VALUES (2)");
        throw std::runtime_error("body failed");
      });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  });
  EXPECT_EQ(caught, "body failed");
  Result rows = blocking()->execute("SELECT v FROM t ORDER BY v");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.at(0)[0].as_int64(), 1);
}

TEST_F(AsyncPgTest, NestedScopesUseSavepoints) {
  blocking()->execute("CREATE TABLE t (v int)");
  async::Database db(io_.get_executor(), schema_.url(), pool_of(1));
  run([&]() -> asio::awaitable<void> {
    co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.execute("INSERT INTO t VALUES (1)");
      bool inner_failed = false;
      try {
        co_await tx.savepoint([&](async::Transaction& inner) -> asio::awaitable<void> {
          co_await inner.execute("INSERT INTO t VALUES (2)");
          co_await inner.execute("SELECT 1/0");  // DataException: rolls back to the savepoint
        });
      } catch (const DataException&) {
        inner_failed = true;
      }
      EXPECT_TRUE(inner_failed);
      co_await tx.savepoint([&](async::Transaction& inner) -> asio::awaitable<void> {
        co_await inner.execute("INSERT INTO t VALUES (3)");
      });
    });
  });
  Result rows = blocking()->execute("SELECT v FROM t ORDER BY v");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at(0)[0].as_int64(), 1);
  EXPECT_EQ(rows.at(1)[0].as_int64(), 3);
}

TEST_F(AsyncPgTest, IsolationAndReadOnlyApply) {
  blocking()->execute("CREATE TABLE t (v int)");
  async::Database db(io_.get_executor(), schema_.url(), pool_of(1));
  TransactionOptions options;
  options.isolation = IsolationLevel::serializable;
  options.read_only = true;
  std::string isolation;
  std::string sqlstate;
  run([&]() -> asio::awaitable<void> {
    try {
      co_await db.transaction(
          [&](async::Transaction& tx) -> asio::awaitable<void> {
            isolation = (co_await tx.execute("SHOW transaction_isolation")).at(0)[0].as_text();
            co_await tx.execute("INSERT INTO t VALUES (1)");
          },
          options);
    } catch (const DatabaseError& e) {
      sqlstate = e.sqlstate();
    }
  });
  EXPECT_EQ(isolation, "serializable");
  EXPECT_EQ(sqlstate, "25006");           // read_only_sql_transaction
  EXPECT_EQ(db.pool().stats().idle, 1u);  // rolled back and given back, not discarded
}

}  // namespace
}  // namespace retort

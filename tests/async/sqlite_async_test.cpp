// The asynchronous API on SQLite: the blocking driver's calls on the worker pool, resumed on the
// caller's executor; results as the blocking API's, concurrency on one file, no blocking of the
// caller's thread, interruption by cancellation and timeouts, transactions, shutdown.
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
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
using testing::AsyncSqliteTest;

// Runs until interrupted.
constexpr const char* kEndless =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

PoolOptions pool_of(std::size_t size) {
  PoolOptions options;
  options.max_size = size;
  options.acquire_timeout = 120s;
  return options;
}

void expect_same_rows(const Result& a, const Result& b) {
  ASSERT_EQ(a.columns(), b.columns());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t row = 0; row < a.size(); ++row) {
    for (std::size_t column = 0; column < a.columns().size(); ++column) {
      EXPECT_EQ(a.cell(row, column), b.cell(row, column)) << "row " << row << " column " << column;
    }
  }
}

TEST_F(AsyncSqliteTest, ResultsAreTheBlockingApisResults) {
  blocking()->execute("CREATE TABLE t (id integer PRIMARY KEY, r real, s text, b blob, j text)");
  Result async_rows;
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    EXPECT_EQ(db->dialect(), Dialect::sqlite);
    Value blob(Bytes{std::string("\0\xff", 2)});
    Result inserted = co_await db->execute(
        "INSERT INTO t VALUES ($1, $2, $3, $4, $5), (2, NULL, "
        "'b', NULL, '[1]')",
        Value(1), Value(2.5), Value("héllo"), blob, Value("{\"a\": 1}"));
    EXPECT_EQ(inserted.affected_rows(), 2);
    async_rows = co_await db->execute("SELECT * FROM t ORDER BY id");
    bool unique = false;
    try {
      co_await db->execute("INSERT INTO t (id) VALUES ($1)", Value(1));
    } catch (const UniqueViolation&) {
      unique = true;  // the blocking driver's SQLSTATE classes
    }
    EXPECT_TRUE(unique);
    EXPECT_FALSE(db->is_broken());
  });
  expect_same_rows(async_rows, blocking()->execute("SELECT * FROM t ORDER BY id"));
  EXPECT_EQ(async_rows.at(0).get<std::string>("s"), "héllo");
}

// Many coroutines over a pool of 4 connections writing to one file, half of them in
// transactions: every write lands once, and the asynchronous read equals the blocking one.
TEST_F(AsyncSqliteTest, ConcurrentCoroutinesOnOneFile) {
  blocking()->execute("CREATE TABLE hits (n integer PRIMARY KEY, twice integer)");
  async::Database db(io_.get_executor(), url_, pool_of(4));
  constexpr int kCoroutines = 200;
  int correct = 0;
  int failed = 0;
  for (int i = 0; i < kCoroutines; ++i) {
    // co_spawn keeps the lambda (and its copy of i) alive while the coroutine runs.
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          if (i % 2 == 0) {
            Result r = co_await db.execute("INSERT INTO hits VALUES ($1, $2) RETURNING n", Value(i),
                                           Value(2 * i));
            if (r.at(0)[0].as_int64() == i) ++correct;
          } else {
            co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
              co_await tx.execute("INSERT INTO hits VALUES ($1, $2)", Value(i), Value(2 * i));
              Result r = co_await tx.execute("SELECT twice FROM hits WHERE n = $1", Value(i));
              if (r.at(0)[0].as_int64() == 2 * i) ++correct;
            });
          }
        },
        [&](std::exception_ptr e) {
          if (e) ++failed;
        });
  }
  io_.run();
  io_.restart();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(correct, kCoroutines);
  EXPECT_LE(db.pool().stats().created, 4u);
  Result async_rows;
  run([&]() -> asio::awaitable<void> {
    async_rows = co_await db.execute("SELECT n, twice FROM hits ORDER BY n");
  });
  Result blocking_rows = blocking()->execute("SELECT n, twice FROM hits ORDER BY n");
  EXPECT_EQ(blocking_rows.size(), static_cast<std::size_t>(kCoroutines));
  expect_same_rows(async_rows, blocking_rows);
}

// A writer waits for the file's lock (held by a blocking connection) on a worker: the caller's
// only thread keeps running timers meanwhile, and one of them releases the lock.
TEST_F(AsyncSqliteTest, TimerKeepsFiringWhileAWriterWaitsForTheLock) {
  blocking()->execute("CREATE TABLE t (v integer)");
  auto holder = blocking();
  holder->begin({});
  holder->execute("INSERT INTO t VALUES (1)");  // BEGIN IMMEDIATE: the write lock is held
  int ticks = 0;
  int ticks_when_done = -1;
  bool done = false;
  auto ticker = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!done) {
      timer.expires_after(20ms);
      co_await timer.async_wait(asio::use_awaitable);
      if (++ticks == 3) holder->commit();  // only a running loop gets here
    }
  };
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    asio::co_spawn(co_await asio::this_coro::executor, ticker(), asio::detached);
    co_await db->execute("INSERT INTO t VALUES (2)");
    ticks_when_done = ticks;
    done = true;
  });
  EXPECT_GE(ticks_when_done, 3);
  EXPECT_EQ(blocking()->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 2);
}

TEST_F(AsyncSqliteTest, CancellingMidStatementInterruptsItAndTheConnectionGoesOn) {
  std::unique_ptr<async::Connection> db;
  std::string sqlstate;
  bool finished = false;
  auto endless = [&]() -> asio::awaitable<void> {
    try {
      co_await db->execute(kEndless);
    } catch (const QueryCanceled& e) {
      sqlstate = e.sqlstate();
    }
    finished = true;
  };
  run([&]() -> asio::awaitable<void> {
    db = co_await open();
    const async::Executor executor = co_await asio::this_coro::executor;
    asio::cancellation_signal cancel;
    asio::co_spawn(executor, endless(),
                   asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    asio::steady_timer pause(executor);
    pause.expires_after(50ms);
    co_await pause.async_wait(asio::use_awaitable);
    EXPECT_FALSE(finished);
    cancel.emit(asio::cancellation_type::terminal);
    while (!finished) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(sqlstate, "57014");
    EXPECT_FALSE(db->is_broken());
    EXPECT_EQ((co_await db->execute("SELECT 7")).at(0)[0].as_int64(), 7);
  });
}

TEST_F(AsyncSqliteTest, StatementTimeoutInterruptsAndSaysSo) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    std::string message;
    try {
      co_await db->execute(kEndless, std::vector<Value>(), async::StatementOptions{100ms});
    } catch (const QueryCanceled& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("statement timeout of 100 ms"), std::string::npos) << message;
    Result r = co_await db->execute("SELECT 1", std::vector<Value>(), async::StatementOptions{10s});
    EXPECT_EQ(r.at(0)[0].as_int64(), 1);
  });
}

TEST_F(AsyncSqliteTest, TransactionsSavepointsAndReadOnly) {
  blocking()->execute("CREATE TABLE t (v integer)");
  async::Database db(io_.get_executor(), url_, pool_of(2));
  std::string caught;
  bool refused = false;
  run([&]() -> asio::awaitable<void> {
    co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.execute("INSERT INTO t VALUES (1)");
      try {
        co_await tx.savepoint([&](async::Transaction& inner) -> asio::awaitable<void> {
          co_await inner.execute("INSERT INTO t VALUES (2)");
          throw std::runtime_error("inner failed");
        });
      } catch (const std::runtime_error&) {
      }
      co_await tx.savepoint([&](async::Transaction& inner) -> asio::awaitable<void> {
        co_await inner.execute("INSERT INTO t VALUES (3)");
      });
    });
    try {
      co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
        co_await tx.execute("INSERT INTO t VALUES (4)");
        throw std::runtime_error("body failed");
      });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    TransactionOptions read_only;
    read_only.read_only = true;
    try {
      co_await db.transaction(
          [&](async::Transaction& tx) -> asio::awaitable<void> {
            co_await tx.execute("INSERT INTO t VALUES (5)");
          },
          read_only);
    } catch (const DatabaseError&) {
      refused = true;
    }
  });
  EXPECT_EQ(caught, "body failed");
  EXPECT_TRUE(refused);
  Result rows = blocking()->execute("SELECT v FROM t ORDER BY v");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at(0)[0].as_int64(), 1);
  EXPECT_EQ(rows.at(1)[0].as_int64(), 3);
}

// Waiting coroutines get connections in the order they asked (a connection given back goes to
// the first waiter); the pool never opens more than max_size; a cancelled waiter leaves the queue.
TEST_F(AsyncSqliteTest, PoolWaitersAreServedInOrderWithinTheLimit) {
  PoolOptions options = pool_of(2);
  options.min_size = 2;  // both open before anyone asks: the order is the waiters' alone
  async::Pool pool(io_.get_executor(), url_, options);
  run([&]() -> asio::awaitable<void> { co_await pool.warm_up(); });
  std::vector<int> order;
  std::size_t most_open = 0;
  bool cancelled_threw = false;
  asio::cancellation_signal cancel;
  auto user = [&](int id) -> asio::awaitable<void> {
    async::PooledConnection c = co_await pool.acquire();
    most_open = std::max(most_open, pool.stats().open);
    order.push_back(id);
    asio::steady_timer hold(co_await asio::this_coro::executor);
    hold.expires_after(5ms);
    co_await hold.async_wait(asio::use_awaitable);
    co_await c->execute("SELECT 1");
  };
  auto quitter = [&]() -> asio::awaitable<void> {
    try {
      co_await pool.acquire();
    } catch (const std::system_error&) {
      cancelled_threw = true;
    }
  };
  for (int id = 0; id < 3; ++id) asio::co_spawn(io_, user(id), asio::detached);
  asio::co_spawn(io_, quitter(), asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  for (int id = 3; id < 8; ++id) asio::co_spawn(io_, user(id), asio::detached);
  asio::post(io_, [&] { cancel.emit(asio::cancellation_type::terminal); });
  io_.run();
  EXPECT_TRUE(cancelled_threw);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(most_open, 2u);
  EXPECT_LE(pool.stats().created, 2u);
}

// The io_context destroyed while workers run statements (and coroutines wait for the pool):
// nothing crashes or leaks, the statements are interrupted, and the file is usable afterwards.
TEST_F(AsyncSqliteTest, ShutdownWithCallsInFlightLeaksNothing) {
  blocking()->execute("CREATE TABLE t (v integer)");
  int started = 0;
  {
    asio::io_context io;
    async::Database db(io.get_executor(), url_, pool_of(2));
    for (int i = 0; i < 6; ++i) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
              ++started;
              co_await tx.execute("INSERT INTO t VALUES (1)");
              co_await tx.execute(kEndless);
            });
          },
          asio::detached);
    }
    asio::steady_timer stop(io);
    std::function<void(std::error_code)> check = [&](std::error_code) {
      if (started >= 2) {
        io.stop();
        return;
      }
      stop.expires_after(10ms);
      stop.async_wait(check);
    };
    check({});
    io.run();
  }  // db, then io (with the suspended coroutines) destroyed here
  EXPECT_EQ(started, 2);
  // The interrupted transactions rolled back and let go of the file (busy_timeout covers a
  // worker still finishing).
  auto after = blocking();
  after->execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(after->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 1);
}

}  // namespace
}  // namespace retort

// The asynchronous PostgreSQL connection: typed results, errors, the shared statement cache,
// pipelines, no blocking, cancellation and timeouts.
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "async_fixture.hpp"
#include "retort/error.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;
using testing::AsyncPgTest;

TEST_F(AsyncPgTest, ExecuteReturnsTheBlockingDriversTypedRows) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    Result r = co_await db->execute(
        "SELECT $1::int8 + 1 AS n, $2::text AS t, NULL::int AS nothing, '{\"a\": 1}'::jsonb AS j",
        std::int64_t{41}, std::string("héllo"));
    EXPECT_EQ(r.size(), 1u);
    EXPECT_EQ(r.at(0).get<std::int64_t>("n"), 42);
    EXPECT_EQ(r.at(0).get<std::string>("t"), "héllo");
    EXPECT_TRUE(r.at(0)["nothing"].is_null());
    EXPECT_EQ(r.columns().back(), "j");
    co_await db->execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
    Result inserted = co_await db->execute("INSERT INTO t VALUES ($1, $2), ($3, $4)", Value(1),
                                           Value("a"), Value(2), Value("b"));
    EXPECT_EQ(inserted.affected_rows(), 2);
  });
  EXPECT_EQ(blocking()->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 2);
}

TEST_F(AsyncPgTest, ServerErrorsAreTheSqlstateClassesAndTheConnectionGoesOn) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    co_await db->execute("CREATE TABLE t (id int PRIMARY KEY)");
    co_await db->execute("INSERT INTO t VALUES (1)");
    std::optional<std::string> constraint;
    try {
      co_await db->execute("INSERT INTO t VALUES ($1)", Value(1));
    } catch (const UniqueViolation& e) {
      constraint = e.constraint();
    }
    EXPECT_EQ(constraint, "t_pkey");
    bool undefined = false;
    try {
      co_await db->execute("SELECT * FROM no_such_table");
    } catch (const UndefinedTable&) {
      undefined = true;
    }
    EXPECT_TRUE(undefined);
    EXPECT_FALSE(db->is_broken());
    EXPECT_EQ((co_await db->execute("SELECT count(*) FROM t")).at(0)[0].as_int64(), 1);
  });
}

TEST_F(AsyncPgTest, BadTextIsRefusedBeforeAnythingIsSent) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    bool refused = false;
    try {
      co_await db->execute("SELECT $1::text", Value(std::string("a\0b", 3)));
    } catch (const InvalidInput& e) {
      refused = e.field() == "parameter $1";
    }
    EXPECT_TRUE(refused);
    EXPECT_EQ((co_await db->execute("SELECT 1")).at(0)[0].as_int64(), 1);
  });
}

TEST_F(AsyncPgTest, StatementsArePreparedOnceInTheSharedCache) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    for (int i = 0; i < 3; ++i) co_await db->execute("SELECT $1::int", Value(i));
    Result prepared = co_await db->execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int'");
    EXPECT_EQ(prepared.at(0)[0].as_int64(), 1);
  });
}

TEST_F(AsyncPgTest, PipelineReturnsResultsInOrderAndIsAtomic) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    co_await db->execute("CREATE TABLE t (id int PRIMARY KEY)");
    // Built before the co_await: GCC 12 cannot compile a braced list inside one.
    std::vector<Statement> batch{{"INSERT INTO t VALUES ($1)", {Value(1)}},
                                 {"INSERT INTO t VALUES ($1)", {Value(2)}},
                                 {"SELECT count(*) FROM t", {}}};
    std::vector<Result> results = co_await db->pipeline(std::move(batch));
    EXPECT_EQ(results.size(), 3u);
    EXPECT_EQ(results[2].at(0)[0].as_int64(), 2);
    std::string message;
    try {
      std::vector<Statement> failing{{"INSERT INTO t VALUES ($1)", {Value(3)}},
                                     {"INSERT INTO t VALUES ($1)", {Value(1)}}};
      co_await db->pipeline(std::move(failing));
    } catch (const UniqueViolation& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("pipeline statement index 1 of 2"), std::string::npos) << message;
    EXPECT_EQ((co_await db->execute("SELECT count(*) FROM t")).at(0)[0].as_int64(), 2);
  });
}

// The loop thread never blocks: a timer on the same one-thread io_context keeps firing while the
// server sleeps.
TEST_F(AsyncPgTest, TimerKeepsFiringWhileAQueryIsPending) {
  int ticks = 0;
  int ticks_when_done = -1;
  bool done = false;
  // Spawned coroutines are named lambdas that outlive them (GCC 12 mishandles lambda
  // temporaries in coroutine bodies).
  auto ticker = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!done) {
      timer.expires_after(20ms);
      co_await timer.async_wait(asio::use_awaitable);
      ++ticks;
    }
  };
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    asio::co_spawn(co_await asio::this_coro::executor, ticker(), asio::detached);
    co_await db->execute("SELECT pg_sleep(1)");
    ticks_when_done = ticks;
    done = true;
  });
  EXPECT_GT(ticks_when_done, 0);
}

// Cancelling the awaiting coroutine cancels the statement on the server (SQLSTATE 57014 comes
// only from the server), and the connection is usable at once.
TEST_F(AsyncPgTest, CancellingMidQueryCancelsOnTheServer) {
  std::unique_ptr<async::Connection> db;
  std::string sqlstate;
  bool finished = false;
  auto sleeper = [&]() -> asio::awaitable<void> {
    try {
      co_await db->execute("SELECT pg_sleep(60)");
    } catch (const QueryCanceled& e) {
      sqlstate = e.sqlstate();
    }
    finished = true;
  };
  run([&]() -> asio::awaitable<void> {
    db = co_await open();
    const async::Executor executor = co_await asio::this_coro::executor;
    asio::cancellation_signal cancel;
    asio::co_spawn(executor, sleeper(),
                   asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    // Cancel once the server runs the statement (seen from another session).
    auto watcher = blocking();
    asio::steady_timer pause(executor);
    for (;;) {
      Result running = watcher->execute(
          "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND "
          "state = 'active'");
      if (running.at(0)[0].as_int64() == 1) break;
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
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

TEST_F(AsyncPgTest, StatementTimeoutCancelsAndSaysSo) {
  run([&]() -> asio::awaitable<void> {
    auto db = co_await open();
    std::string message;
    try {
      co_await db->execute("SELECT pg_sleep(60)", std::vector<Value>(),
                           async::StatementOptions{100ms});
    } catch (const QueryCanceled& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("statement timeout of 100 ms"), std::string::npos) << message;
    // A quick statement with a timeout is not disturbed.
    Result r = co_await db->execute("SELECT 1", std::vector<Value>(), async::StatementOptions{10s});
    EXPECT_EQ(r.at(0)[0].as_int64(), 1);
  });
}

TEST_F(AsyncPgTest, ConnectFailureNamesTheRedactedUrl) {
  std::string message;
  run([&]() -> asio::awaitable<void> {
    try {
      co_await async::connect(parse_database_url("postgresql://nobody:sekrit@127.0.0.1:1/nothing"));
    } catch (const ConnectionError& e) {
      message = e.what();
    }
  });
  EXPECT_NE(message.find("cannot connect to"), std::string::npos) << message;
  EXPECT_EQ(message.find("sekrit"), std::string::npos) << message;
}

}  // namespace
}  // namespace retort

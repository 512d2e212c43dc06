// stream() on both backends: rows handed over one at a time on the caller's executor, a
// callback that throws stops the query and the connection goes on, a failure mid-stream.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "async_fixture.hpp"
#include "retort/async.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

using testing::AsyncPgTest;

class AsyncStreamTest : public ::testing::TestWithParam<Dialect> {
 protected:
  template <class Body>
  void run(Body body) {
    std::exception_ptr failure;
    asio::awaitable<void> work = body();
    asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e) { failure = e; });
    io_.run();
    io_.restart();
    if (failure) std::rethrow_exception(failure);
  }
  // 1..n as rows (x), on either backend.
  static std::string series(std::int64_t n) {
    return "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < " +
           std::to_string(n) + ") SELECT x, 'row ' || x AS label FROM s";
  }

  testing::TestDatabase database_{GetParam()};
  asio::io_context io_;
};

TEST_P(AsyncStreamTest, RowsArriveOneAtATimeOnTheCallersThread) {
  std::int64_t count = 0;
  std::int64_t sum = 0;
  bool labels_right = true;
  bool on_caller_thread = true;
  const std::thread::id caller = std::this_thread::get_id();
  run([&]() -> asio::awaitable<void> {
    auto c = co_await async::connect(database_.url());
    co_await c->stream(series(50'000), std::vector<Value>(), [&](const Row& row) {
      ++count;
      sum += row[0].as_int64();
      labels_right = labels_right && row.get<std::string>("label") == "row " + row[0].to_display();
      on_caller_thread = on_caller_thread && std::this_thread::get_id() == caller;
    });
    EXPECT_EQ((co_await c->execute("SELECT 7")).at(0)[0].as_int64(), 7);
  });
  EXPECT_EQ(count, 50'000);
  EXPECT_EQ(sum, std::int64_t{50'000} * 50'001 / 2);
  EXPECT_TRUE(labels_right);
  EXPECT_TRUE(on_caller_thread);
}

TEST_P(AsyncStreamTest, ACallbackThatThrowsStopsTheQueryAndTheConnectionGoesOn) {
  std::int64_t seen = 0;
  std::string caught;
  run([&]() -> asio::awaitable<void> {
    auto c = co_await async::connect(database_.url());
    try {
      // PostgreSQL cancels the rest; SQLite has read it all on the worker (so fewer rows).
      co_await c->stream(series(200'000), std::vector<Value>(), [&](const Row&) {
        if (++seen == 10) throw std::runtime_error("enough");
      });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    EXPECT_FALSE(c->is_broken());
    EXPECT_EQ((co_await c->execute("SELECT 7")).at(0)[0].as_int64(), 7);
  });
  EXPECT_EQ(caught, "enough");
  EXPECT_EQ(seen, 10);  // nothing was handed over after the throw
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncStreamTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

// PostgreSQL only: SQLite's division by zero gives NULL, not an error.
TEST_F(AsyncPgTest, AFailureMidStreamThrowsItsErrorClass) {
  std::int64_t seen = 0;
  std::string sqlstate;
  run([&]() -> asio::awaitable<void> {
    auto c = co_await open();
    try {
      co_await c->stream("SELECT 1 / (x - 500) FROM generate_series(1, 1000) x",
                         std::vector<Value>(), [&](const Row&) { ++seen; });
    } catch (const DatabaseError& e) {
      sqlstate = e.sqlstate();
    }
    EXPECT_EQ((co_await c->execute("SELECT 7")).at(0)[0].as_int64(), 7);
  });
  EXPECT_EQ(sqlstate, "22012");
  EXPECT_GT(seen, 0);  // rows before the failing one were handed over as they came
}

// The deferred BEGIN goes out before a stream that opens a transaction: the streamed query and
// the next statement run in the same transaction (the same transaction id).
TEST_F(AsyncPgTest, StreamAsTheFirstStatementOfATransactionJoinsIt) {
  async::Database db(io_.get_executor(), schema_.url());
  std::string streamed;
  std::string after;
  run([&]() -> asio::awaitable<void> {
    co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.stream("SELECT pg_current_xact_id()::text", std::vector<Value>(),
                         [&](const Row& row) { streamed = row[0].as_text(); });
      after = (co_await tx.execute("SELECT pg_current_xact_id()::text")).at(0)[0].as_text();
    });
  });
  EXPECT_FALSE(streamed.empty());
  EXPECT_EQ(streamed, after);
}

}  // namespace
}  // namespace retort

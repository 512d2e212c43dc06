// copy_in on both backends: rows streamed in chunks, the blocking copy's encoding and errors, a
// refused or aborted copy stores nothing and leaves the connection usable, transactions.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "retort/async.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

class AsyncCopyTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    connect(database_.url())->execute("CREATE TABLE t (id integer PRIMARY KEY, body text)");
  }
  template <class Body>
  void run(Body body) {
    std::exception_ptr failure;
    asio::awaitable<void> work = body();
    asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e) { failure = e; });
    io_.run();
    io_.restart();
    if (failure) std::rethrow_exception(failure);
  }
  std::int64_t stored() {
    return connect(database_.url())->execute("SELECT count(*) FROM t").at(0)[0].as_int64();
  }
  // A plain function: GCC 12 cannot compile a braced list inside a co_await expression.
  static std::vector<std::string> columns() { return {"id", "body"}; }
  // n rows of about 200 bytes, with the characters COPY's text format escapes.
  static std::vector<std::vector<Value>> rows(int n) {
    std::vector<std::vector<Value>> out;
    for (int i = 0; i < n; ++i) {
      std::vector<Value> row;
      row.emplace_back(i);
      if (i % 100 == 7) {
        row.emplace_back(Value());  // NULL
      } else {
        row.emplace_back("tab\there, newline\nthere, backslash \\ " + std::string(160, 'x') +
                         std::to_string(i));
      }
      out.push_back(std::move(row));
    }
    return out;
  }

  testing::TestDatabase database_{GetParam()};
  asio::io_context io_;
};

TEST_P(AsyncCopyTest, StoresEveryRowStreamedInChunks) {
  std::int64_t count = -1;
  run([&]() -> asio::awaitable<void> {
    auto c = co_await async::connect(database_.url());
    // About 600 KB: many 64 KB chunks, so libpq's buffer fills and the copy waits on the socket.
    std::vector<std::vector<Value>> data = rows(3000);
    count = co_await c->copy_in("t", columns(), std::move(data));
    Result r = co_await c->execute("SELECT body FROM t WHERE id = $1", 42);
    EXPECT_EQ(r.at(0)[0].as_text(),
              "tab\there, newline\nthere, backslash \\ " + std::string(160, 'x') + "42");
  });
  EXPECT_EQ(count, 3000);
  EXPECT_EQ(stored(), 3000);
  Result nulls = connect(database_.url())->execute("SELECT count(*) FROM t WHERE body IS NULL");
  EXPECT_EQ(nulls.at(0)[0].as_int64(), 30);
}

TEST_P(AsyncCopyTest, RefusedCopyThrowsItsErrorClassStoresNothingAndTheConnectionGoesOn) {
  bool unique = false;
  bool usage = false;
  run([&]() -> asio::awaitable<void> {
    auto c = co_await async::connect(database_.url());
    std::vector<std::vector<Value>> duplicate = rows(2000);
    duplicate[1500][0] = Value(3);
    try {
      co_await c->copy_in("t", columns(), std::move(duplicate));
    } catch (const UniqueViolation&) {
      unique = true;
    }
    std::vector<std::vector<Value>> ragged = rows(2000);
    ragged[1999].pop_back();  // after many chunks went out: the whole copy is aborted
    try {
      co_await c->copy_in("t", columns(), std::move(ragged));
    } catch (const UsageError& e) {
      usage = std::string(e.what()).find("1 values") != std::string::npos;  // and the width
    }
    EXPECT_FALSE(c->is_broken());
    EXPECT_EQ((co_await c->execute("SELECT 7")).at(0)[0].as_int64(), 7);
  });
  EXPECT_TRUE(unique);
  EXPECT_TRUE(usage);
  EXPECT_EQ(stored(), 0);
}

TEST_P(AsyncCopyTest, CopyJoinsTheTransaction) {
  std::string caught;
  // Made here, not in the coroutine: GCC 12 destroys defaulted arguments there twice.
  async::Database db(io_.get_executor(), database_.url());
  run([&]() -> asio::awaitable<void> {
    try {
      co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
        std::vector<std::vector<Value>> data = rows(10);
        co_await tx.copy_in("t", columns(), std::move(data));
        throw std::runtime_error("body failed");
      });
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    co_await db.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
      co_await tx.execute("INSERT INTO t VALUES (1000, 'first')");
      std::vector<std::vector<Value>> data = rows(10);
      co_await tx.copy_in("t", columns(), std::move(data));
    });
  });
  EXPECT_EQ(caught, "body failed");
  EXPECT_EQ(stored(), 11);
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncCopyTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort

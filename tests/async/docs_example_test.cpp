// The example of README.md and docs/async.md, as written there, on both backends: keep them in
// step with this file.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <string>

#include "retort/async.hpp"
#include "retort/connection.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

asio::awaitable<void> work(retort::async::Database& db) {
  co_await db.execute("CREATE TABLE IF NOT EXISTS notes (id text PRIMARY KEY, body text)");
  retort::Result r = co_await db.execute("SELECT $1 + 1", 41);  // r.at(0)[0].as_int64() == 42
  EXPECT_EQ(r.at(0)[0].as_int64(), 42);  // (the test's one addition to the example)
  co_await db.transaction([&](retort::async::Transaction& tx) -> asio::awaitable<void> {
    co_await tx.execute("INSERT INTO notes (id, body) VALUES ($1, $2)", "n1", "hi");
    co_await tx.savepoint([&](retort::async::Transaction& inner) -> asio::awaitable<void> {
      co_await inner.execute("UPDATE notes SET body = $1 WHERE id = $2", "hello", "n1");
    });
  });  // committed here; rolled back, and the exception rethrown, if the body throws
}

// docs/async.md's main(), with the test database's URL.
void run_main(const DatabaseUrl& url) {
  asio::io_context io;  // run by this one thread
  retort::async::Database db(io.get_executor(), url);
  asio::co_spawn(io, work(db), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // run() rethrows it here
  });
  io.run();
}

class AsyncDocsExample : public ::testing::TestWithParam<Dialect> {};

TEST_P(AsyncDocsExample, RunsAsWritten) {
  testing::TestDatabase database(GetParam());
  run_main(database.url());
  Result notes = connect(database.url())->execute("SELECT id, body FROM notes");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes.at(0).get<std::string>("body"), "hello");
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncDocsExample,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort

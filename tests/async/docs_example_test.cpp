// The examples of README.md and docs/async.md, as written there, on both backends: keep them in
// step with this file.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <exception>
#include <string>

#include "retort/async.hpp"
#include "retort/async_events.hpp"
#include "retort/connection.hpp"
#include "support/events_schema.hpp"
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

// GCC 12 at -O1 with the sanitizers wrongly pairs Asio's frame operator delete with another
// allocation function at the end of this coroutine (docs/async.md, "GCC 12 and coroutines").
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// docs/async.md's event store example.
asio::awaitable<void> triage(retort::async::Database& db) {
  retort::async::EventRepository events(db);
  retort::events::Event e = co_await events.record(R"({"type": "ticket.created", "id": 7})");
  // RFC 7386 merge in one UPDATE: concurrent merges into one event never lose a key.
  co_await events.merge_task_context(e.id, R"({"classification": "shipping"})");
  retort::events::EventFilter shipping;
  shipping.context_contains = R"({"classification": "shipping"})";
  std::vector<retort::events::Event> found = co_await events.find(shipping);
  std::optional<retort::events::Event> again = co_await events.get(e.id);
}

asio::awaitable<void> store_batch(retort::async::Database& db) {
  co_await db.transaction([&](retort::async::Transaction& tx) -> asio::awaitable<void> {
    retort::async::EventRepository in_tx(tx);  // every call inside tx
    std::vector<std::string> documents{R"({"n": 1})", R"({"n": 2})"};
    co_await in_tx.record_many(std::move(documents));  // one COPY; committed with tx
  });
}

#pragma GCC diagnostic pop

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

TEST_P(AsyncDocsExample, EventStoreExampleRunsAsWritten) {
  testing::TestDatabase database(GetParam());
  Database blocking(database.url());
  testing::upgrade_events_schema(blocking);
  asio::io_context io;
  retort::async::Database db(io.get_executor(), database.url());
  std::exception_ptr failure;
  asio::co_spawn(io, triage(db), [&](std::exception_ptr e) { failure = e; });
  io.run();
  io.restart();
  if (failure) std::rethrow_exception(failure);
  asio::co_spawn(io, store_batch(db), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  const Result stored =
      connect(database.url())->execute("SELECT count(*), count(task_context) FROM events");
  EXPECT_EQ(stored.at(0)[0].as_int64(), 3);
  EXPECT_EQ(stored.at(0)[1].as_int64(), 1);  // the merged one
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncDocsExample,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort

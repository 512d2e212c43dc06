// The asynchronous API through Debian's PgBouncer in transaction mode (tests/support/pgbouncer):
// PgBouncer refuses the `options` startup parameter, and async::connect, like the blocking
// connect, connects without it and SETs the session settings (UTC, ISO dates), which PgBouncer
// carries to every server session it hands over.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <string>
#include <vector>

#include "async/async_fixture.hpp"
#include "retort/async_events.hpp"
#include "support/events_schema.hpp"
#include "support/pgbouncer.hpp"

namespace retort::testing {
namespace {

class AsyncPoolerTest : public AsyncTest {
 protected:
  AsyncPoolerTest() {
    // A database whose default time zone is not UTC shows whether the settings arrived.
    connect(parse_database_url(bouncer_.direct_url()))
        ->execute_script("ALTER DATABASE " + bouncer_.database() +
                         " SET TimeZone = 'America/New_York'");
  }

  static ConnectionOptions unnamed() {
    ConnectionOptions o;
    o.prepared_statements = false;  // a transaction pooler (docs/replicas.md)
    return o;
  }
  static PoolOptions pool_of(std::size_t size) {
    PoolOptions o;
    o.max_size = size;
    return o;
  }

  // Checks the session settings and a timestamp's round trip on a pooled connection.
  asio::awaitable<void> check_settings(async::Database& db, int i) {
    const Timestamp at = Timestamp::parse("2026-12-07T15:00:00.123456Z");
    Result r = co_await db.execute(
        "SELECT current_setting('TimeZone'), current_setting('DateStyle'), $1::timestamptz, $2", at,
        std::int64_t{i});
    EXPECT_EQ(r.at(0)[0].as_text(), "UTC");
    EXPECT_EQ(r.at(0)[1].as_text(), "ISO, MDY");
    EXPECT_EQ(r.at(0)[2].as_timestamp(), at);
    EXPECT_EQ(r.at(0)[3].as_int64(), i);
    ++checked_;
  }

  PgBouncer bouncer_{"transaction"};
  int checked_ = 0;
};

// 40 coroutines over a pool of 4 connections through the pooler: each connection opened
// without `options` (the first after the refusal, the rest because it was remembered), every
// statement sees UTC and ISO dates.
TEST_F(AsyncPoolerTest, ConnectsThroughPgBouncerWithTheSessionSettings) {
  async::Database db(io_.get_executor(), parse_database_url(bouncer_.url()), pool_of(4), unnamed());
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 40; ++i) asio::co_spawn(io_, check_settings(db, i), asio::detached);
    co_return;
  });
  EXPECT_EQ(checked_, 40);
  EXPECT_EQ(db.pool().stats().open, 4u);
}

// The asynchronous event store through the pooler: its timestamps arrive in UTC.
TEST_F(AsyncPoolerTest, EventStoreThroughPgBouncer) {
  Database direct(parse_database_url(bouncer_.direct_url()));
  upgrade_events_schema(direct);  // migrations need a direct URL (docs/replicas.md)
  async::Database db(io_.get_executor(), parse_database_url(bouncer_.url()), pool_of(2), unnamed());
  events::Event stored;
  std::optional<events::Event> read;
  run([&]() -> asio::awaitable<void> {
    async::EventRepository events(db);
    events::Event e = co_await events.record(R"({"type": "through.pgbouncer"})");
    stored = co_await events.merge_task_context(e.id, R"({"ok": true})");
    read = co_await events.get(e.id);
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(read->created_at, stored.created_at);
  EXPECT_EQ(read->updated_at, stored.updated_at);
  const std::optional<events::Event> blocking =
      direct.transaction([&](Session& s) { return events::EventRepository(s).get(stored.id); });
  ASSERT_TRUE(blocking);
  EXPECT_EQ(blocking->created_at, stored.created_at);
  EXPECT_EQ(blocking->task_context->text(), stored.task_context->text());
}

}  // namespace
}  // namespace retort::testing

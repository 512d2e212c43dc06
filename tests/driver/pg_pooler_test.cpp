// The PostgreSQL backend through Debian's PgBouncer in transaction mode (tests/support/pgbouncer):
// what `prepared_statements = false` (every statement unnamed) is for, and that it holds up for
// every way the driver talks to the server, with two clients sharing the pooled sessions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/pgbouncer.hpp"

namespace retort::testing {
namespace {

class PgPoolerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Connection> open(bool prepared) {
    ConnectionOptions options;
    options.prepared_statements = prepared;
    return connect(parse_database_url(bouncer_.url()), options);
  }
  std::int64_t count(Connection& c) {
    return c.execute("SELECT count(*) FROM pooled").at(0)[0].as_int64();
  }

  PgBouncer bouncer_{"transaction"};
};

// Two clients take turns on the pooler's sessions: statements with parameters, transactions,
// pipelines, streams and COPY all work when nothing is named.
TEST_F(PgPoolerTest, UnnamedStatementsWorkAcrossPooledSessions) {
  std::unique_ptr<Connection> a = open(false);
  std::unique_ptr<Connection> b = open(false);
  a->execute_script("CREATE TABLE pooled (id bigint PRIMARY KEY, note text)");
  for (std::int64_t i = 0; i < 20; ++i) {
    Connection& c = i % 2 == 0 ? *a : *b;
    c.execute("INSERT INTO pooled VALUES ($1, $2)", {i, "row " + std::to_string(i)});
  }
  b->begin({});
  b->execute("INSERT INTO pooled VALUES ($1, $2)", {std::int64_t{100}, "in a transaction"});
  EXPECT_EQ(count(*b), 21);  // its own uncommitted row: the same session for the whole transaction
  EXPECT_EQ(count(*a), 20);
  b->commit();
  const std::vector<Statement> batch = {
      {"INSERT INTO pooled VALUES ($1, $2)", {std::int64_t{200}, "piped"}},
      {"SELECT note FROM pooled WHERE id = $1", {std::int64_t{200}}}};
  const std::vector<Result> piped = a->pipeline(batch);
  EXPECT_EQ(piped.at(1).at(0)[0].as_text(), "piped");
  std::int64_t streamed = 0;
  const std::vector<Value> below = {Value(std::int64_t{1000})};
  b->stream("SELECT id FROM pooled WHERE id < $1", below, [&](const Row&) { ++streamed; });
  EXPECT_EQ(streamed, 22);
  const std::vector<std::string> columns = {"id", "note"};
  std::unique_ptr<CopyWriter> copy = a->copy_in("pooled", columns);
  for (std::int64_t i = 300; i < 310; ++i) {
    const std::vector<Value> row = {Value(i), Value(std::string("copied"))};
    copy->write_row(row);
  }
  EXPECT_EQ(copy->finish(), 10);
  EXPECT_EQ(count(*b), 32);
}

// Why the unnamed mode exists: prepared statements live in a server session, and the pooler
// hands that session to the other client, whose statement of the same name collides with the
// first one's (42P05), or runs where its own does not exist (26000). Not every interleaving
// collides, but some of these do.
TEST_F(PgPoolerTest, PreparedStatementsBreakBehindATransactionPooler) {
  std::unique_ptr<Connection> a = open(true);
  std::unique_ptr<Connection> b = open(true);
  std::vector<std::string> sqlstates;
  for (int i = 0; i < 10; ++i) {
    for (Connection* c : {a.get(), b.get()}) {
      try {
        c->execute("SELECT $1::bigint + " + std::to_string(i % 3), {std::int64_t{i}});
      } catch (const DatabaseError& e) {
        sqlstates.push_back(e.sqlstate());
      }
    }
  }
  ASSERT_FALSE(sqlstates.empty()) << "prepared statements did not collide through the pooler";
  for (const std::string& state : sqlstates) {
    EXPECT_TRUE(state == "42P05" || state == "26000") << state;
  }
}

// PgBouncer refuses the `options` startup parameter that carries the driver's session settings;
// the driver then SETs them, and PgBouncer carries them to every server session it hands over.
// A database whose default time zone is not UTC shows whether they arrived.
TEST_F(PgPoolerTest, SessionSettingsSurviveTheRefusedOptionsParameter) {
  connect(parse_database_url(bouncer_.direct_url()))
      ->execute_script("ALTER DATABASE " + bouncer_.database() +
                       " SET TimeZone = 'America/New_York'");
  std::unique_ptr<Connection> a = open(false);
  std::unique_ptr<Connection> b = open(false);
  for (int i = 0; i < 3; ++i) {
    for (Connection* c : {a.get(), b.get()}) {
      const Result r =
          c->execute("SELECT current_setting('TimeZone'), current_setting('DateStyle')");
      EXPECT_EQ(r.at(0)[0].as_text(), "UTC");
      EXPECT_EQ(r.at(0)[1].as_text(), "ISO, MDY");
    }
  }
  const Timestamp at = Timestamp::parse("2026-12-07T15:00:00.123456Z");
  EXPECT_EQ(a->execute("SELECT $1::timestamptz", {at}).at(0)[0].as_timestamp(), at);
}

}  // namespace
}  // namespace retort::testing

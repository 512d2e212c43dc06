// LISTEN/NOTIFY on the PostgreSQL connection: wait_for_notification and its edges.
#include <chrono>
#include <string>

#include "pg_fixture.hpp"

namespace retort::testing {
namespace {

using std::chrono::milliseconds;
using PgNotify = PgTest;

// A channel of this test's own, so tests running beside it on the server cannot interfere.
std::string channel_of(const PgSchema& schema) {
  return schema.name() + "_wake";
}

TEST_F(PgNotify, DeliversChannelPayloadAndSenderAfterCommitOnly) {
  auto listener = open();
  const std::string channel = channel_of(schema_);
  listener->listen(channel);
  db_->begin({});
  db_->execute("SELECT pg_notify($1, $2)", {channel, "hello"});
  EXPECT_FALSE(listener->wait_for_notification(milliseconds(0)).has_value())
      << "a notification of an uncommitted transaction was delivered";
  const std::int64_t sender = backend_pid(*db_);
  db_->commit();
  const auto n = listener->wait_for_notification(milliseconds(10000));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, channel);
  EXPECT_EQ(n->payload, "hello");
  EXPECT_EQ(n->sender_pid, sender);
  EXPECT_FALSE(listener->wait_for_notification(milliseconds(0)).has_value());
}

TEST_F(PgNotify, RolledBackNotificationNeverArrivesButTheNextOneDoes) {
  auto listener = open();
  const std::string channel = channel_of(schema_);
  listener->listen(channel);
  db_->begin({});
  db_->execute("SELECT pg_notify($1, 'lost')", {channel});
  db_->rollback();
  db_->execute("SELECT pg_notify($1, 'kept')", {channel});
  // The committed one is the first to arrive: the rolled-back one was never sent.
  const auto n = listener->wait_for_notification(milliseconds(10000));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "kept");
}

TEST_F(PgNotify, NotificationsQueueInOrderAndSurviveAnAliveCheck) {
  auto listener = open();
  const std::string channel = channel_of(schema_);
  listener->listen(channel);
  for (const char* p : {"1", "2", "3"}) db_->execute("SELECT pg_notify($1, $2)", {channel, p});
  // Wait for the last to have been sent before the pool-style liveness check reads the socket.
  db_->execute("SELECT 1");
  ASSERT_TRUE(listener->check_alive());
  for (const char* p : {"1", "2", "3"}) {
    const auto n = listener->wait_for_notification(milliseconds(10000));
    ASSERT_TRUE(n.has_value()) << p;
    EXPECT_EQ(n->payload, p);
  }
}

TEST_F(PgNotify, UnlistenStopsDelivery) {
  auto listener = open();
  const std::string channel = channel_of(schema_);
  listener->listen(channel);
  listener->unlisten(channel);
  db_->execute("SELECT pg_notify($1, 'x')", {channel});
  listener->listen(channel);  // a round trip on the listener: anything sent before has arrived
  db_->execute("SELECT pg_notify($1, 'y')", {channel});
  const auto n = listener->wait_for_notification(milliseconds(10000));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "y");
}

TEST_F(PgNotify, TerminatedBackendIsAConnectionErrorNotATimeout) {
  auto listener = open();
  listener->listen(channel_of(schema_));
  const std::int64_t pid = backend_pid(*listener);
  db_->execute("SELECT pg_terminate_backend($1::int)", {pid});
  EXPECT_THROW(
      {
        // The FATAL notice and the end of stream may need more than one wait to be read.
        for (int i = 0; i < 100; ++i) listener->wait_for_notification(milliseconds(100));
      },
      ConnectionError);
  EXPECT_TRUE(listener->is_broken());
}

TEST_F(PgNotify, ChannelNamesAreQuotedIdentifiers) {
  auto listener = open();
  const std::string odd = "we\"ird; DROP TABLE x";
  listener->listen(odd);
  db_->execute("SELECT pg_notify($1, 'q')", {odd});
  const auto n = listener->wait_for_notification(milliseconds(10000));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, odd);
}

TEST(SqliteNotify, ListenIsRefusedWithAClearError) {
  auto c = connect(parse_database_url("sqlite://:memory:"));
  try {
    c->listen("x");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("PostgreSQL"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c->wait_for_notification(milliseconds(0)), UsageError);
}

}  // namespace
}  // namespace retort::testing

// Repository<T> CRUD, the same on both backends.
#include <gtest/gtest.h>

#include "json_helpers.hpp"
#include "retort/error.hpp"
#include "sample_models.hpp"

namespace retort::orm_test {
namespace {

using RepositoryTest = OrmTest;

Ticket ticket_for(const Customer& c, std::string title) {
  Ticket t;
  t.customer_id = c.id;
  t.title = std::move(title);
  t.data = JsonText{R"({"type": "question", "n": 1})"};
  return t;
}

TEST_P(RepositoryTest, CreateFillsClientDefaultsTimestampsAndServerValues) {
  Customer c = customer();
  EXPECT_GT(c.id, 0);                    // identity, read back
  ASSERT_TRUE(c.joined_at.has_value());  // server default, read back
  EXPECT_LT(std::chrono::abs(c.joined_at->time_point() - Timestamp::now().time_point()),
            std::chrono::minutes(1));

  Timestamp before = Timestamp::now();
  Ticket t = tx([&](Session& s) { return Repository<Ticket>(s).create(ticket_for(c, "printer")); });
  EXPECT_EQ(t.id.version(), 7);  // client default Uuid::v7
  EXPECT_GE(t.created_at, before);
  EXPECT_EQ(t.created_at, t.updated_at);  // one clock reading per create
  EXPECT_EQ(t.status, "open");
}

TEST_P(RepositoryTest, GetReturnsTheStoredObjectOrNothing) {
  Customer c = customer();
  Ticket created = tx([&](Session& s) {
    Ticket t = ticket_for(c, "login");
    t.assignee = "bob";
    t.score = 2.5;
    t.urgent = true;
    t.priority = 3;
    t.attachment = Bytes{std::string("\0\x01\xff", 3)};
    t.context = JsonText{"[1, 2]"};
    return Repository<Ticket>(s).create(t);
  });
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    std::optional<Ticket> got = tickets.get(created.id);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->title, "login");
    EXPECT_EQ(got->assignee, "bob");
    EXPECT_EQ(got->score, 2.5);
    EXPECT_TRUE(got->urgent);
    EXPECT_EQ(got->priority, 3);
    EXPECT_EQ(got->attachment, created.attachment);
    EXPECT_EQ(got->created_at, created.created_at);
    EXPECT_FALSE(got->closed_at.has_value());
    EXPECT_FALSE(tickets.get(Uuid::v7()).has_value());
    EXPECT_THROW(tickets.get_required(Uuid::v7()), NotFound);
    EXPECT_EQ(tickets.get_required(created.id).id, created.id);
  });
}

TEST_P(RepositoryTest, GetAllInKeyOrder) {
  tx([&](Session& s) {
    Repository<Reading> readings(s);
    for (std::int64_t id : {3, 1, 2}) readings.create({.id = id, .label = "r", .value = 0});
    std::vector<Reading> all = readings.get_all();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].id, 1);
    EXPECT_EQ(all[2].id, 3);
  });
}

TEST_P(RepositoryTest, UpdateWholeObjectRefreshesUpdatedAt) {
  Customer c = customer();
  Ticket t = tx([&](Session& s) { return Repository<Ticket>(s).create(ticket_for(c, "vpn")); });
  t.title = "vpn down";
  t.status = "pending";
  t.closed_at = Timestamp::parse("2026-01-02T03:04:05.678901Z");
  Ticket updated = tx([&](Session& s) { return Repository<Ticket>(s).update(t); });
  EXPECT_EQ(updated.title, "vpn down");
  EXPECT_EQ(updated.closed_at, t.closed_at);
  EXPECT_EQ(updated.created_at, t.created_at);
  EXPECT_GT(updated.updated_at, t.updated_at);
  Ticket again = tx([&](Session& s) { return Repository<Ticket>(s).get_required(t.id); });
  EXPECT_EQ(again.status, "pending");
  EXPECT_EQ(again.updated_at, updated.updated_at);
}

TEST_P(RepositoryTest, UpdateSelectedFields) {
  Customer c = customer();
  Ticket t = tx([&](Session& s) { return Repository<Ticket>(s).create(ticket_for(c, "mail")); });
  Ticket updated = tx([&](Session& s) {
    return Repository<Ticket>(s).update_fields(
        t.id, {{"status", "closed"}, {"assignee", "carol"}, {"closed_at", Timestamp::now()}});
  });
  EXPECT_EQ(updated.status, "closed");
  EXPECT_EQ(updated.assignee, "carol");
  EXPECT_EQ(updated.title, "mail");  // untouched
  EXPECT_GT(updated.updated_at, t.updated_at);
  Ticket cleared = tx([&](Session& s) {
    return Repository<Ticket>(s).update_fields(t.id, {{"assignee", std::nullopt}});
  });
  EXPECT_FALSE(cleared.assignee.has_value());
}

TEST_P(RepositoryTest, UpdateOfAMissingRowIsNotFound) {
  tx([&](Session& s) {
    Repository<Reading> readings(s);
    EXPECT_THROW(readings.update({.id = 42, .label = "x", .value = 1}), NotFound);
    EXPECT_THROW(readings.update_fields(42, {{"label", "y"}}), NotFound);
    EXPECT_THROW(readings.remove(42), NotFound);
  });
}

TEST_P(RepositoryTest, RemoveByKeyByObjectAndByCondition) {
  tx([&](Session& s) {
    Repository<Reading> readings(s);
    for (std::int64_t id = 1; id <= 5; ++id) readings.create({.id = id, .label = "r", .value = 0});
    readings.remove(1);
    readings.remove(Reading{.id = 2, .label = "", .value = 0});
    EXPECT_EQ(readings.remove_where(col("id") >= 4), 2);
    EXPECT_EQ(readings.count(), 1);
    EXPECT_EQ(readings.get_all().at(0).id, 3);
  });
}

TEST_P(RepositoryTest, ForeignKeyCascadeOnDelete) {
  Customer c = customer();
  tx([&](Session& s) { Repository<Ticket>(s).create(ticket_for(c, "a")); });
  tx([&](Session& s) { Repository<Customer>(s).remove(c.id); });
  EXPECT_EQ(rows("tickets"), 0);
}

TEST_P(RepositoryTest, CreateManyStoresEveryRowInOneBulkWrite) {
  std::vector<Event> events;
  for (int i = 0; i < 500; ++i) {
    events.push_back({.data = JsonText{"{\"i\": " + std::to_string(i) + "}"}});
  }
  std::vector<Event> stored =
      tx([&](Session& s) { return Repository<Event>(s).create_many(events); });
  ASSERT_EQ(stored.size(), 500u);
  EXPECT_FALSE(stored[0].id.is_nil());
  EXPECT_NE(stored[0].id, stored[1].id);
  EXPECT_EQ(stored[0].created_at, stored[499].created_at);  // one clock reading per batch
  EXPECT_EQ(rows("events"), 500);
  tx([&](Session& s) {
    std::optional<Event> got = Repository<Event>(s).get(stored[7].id);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(same_json(got->data.text(), R"({"i": 7})"));
  });
}

TEST_P(RepositoryTest, GetLatestByCreationTime) {
  tx([&](Session& s) {
    Repository<Event> events(s);
    EXPECT_FALSE(events.get_latest().has_value());
    Event first = events.create({.data = JsonText{R"({"n": 1})"}});
    Event second = events.create({.data = JsonText{R"({"n": 2})"}});
    second.created_at = Timestamp::from_micros(first.created_at.micros() + 1000);
    events.update(second);
    Event third =
        events.create({.data = JsonText{R"({"n": 3})"},
                       .created_at = Timestamp::from_micros(first.created_at.micros() - 1000)});
    EXPECT_EQ(events.get_latest()->id, second.id);
    EXPECT_EQ(events.get_latest(col("data").path({"n"}) == 3)->id, third.id);
  });
}

TEST_P(RepositoryTest, ExplicitValuesOverrideDefaults) {
  Customer c = customer();
  Uuid id = Uuid::v4();
  Timestamp at = Timestamp::parse("2020-05-06T07:08:09.123456Z");
  Ticket t = tx([&](Session& s) {
    Ticket in = ticket_for(c, "explicit");
    in.id = id;
    in.created_at = at;
    return Repository<Ticket>(s).create(in);
  });
  EXPECT_EQ(t.id, id);
  EXPECT_EQ(t.created_at, at);
}

INSTANTIATE_TEST_SUITE_P(Backends, RepositoryTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::orm_test

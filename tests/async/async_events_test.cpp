// async::EventRepository (retort/async_events.hpp) on both backends: every call's result equal,
// field for field, to what the blocking EventRepository reads or returns.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "async/async_fixture.hpp"
#include "retort/async_events.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "support/events_schema.hpp"

namespace retort::testing {
namespace {

using events::Event;
using events::EventFilter;

void expect_same(const Event& a, const Event& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.data.text(), b.data.text());
  EXPECT_EQ(a.task_context.has_value(), b.task_context.has_value());
  if (a.task_context && b.task_context) {
    EXPECT_EQ(a.task_context->text(), b.task_context->text());
  }
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

void expect_same(const std::vector<Event>& a, const std::vector<Event>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i]);
}

class AsyncEventsTest : public AsyncTest, public ::testing::WithParamInterface<Dialect> {
 protected:
  AsyncEventsTest() { upgrade_events_schema(blocking_); }

  // What the blocking store sees.
  std::optional<Event> blocking_get(const Uuid& id) {
    return blocking_.transaction([&](Session& s) { return events::EventRepository(s).get(id); });
  }
  std::vector<Event> blocking_find(const EventFilter& filter) {
    return blocking_.transaction(
        [&](Session& s) { return events::EventRepository(s).find(filter); });
  }
  std::int64_t rows() {
    return blocking_.connection()->execute("SELECT count(*) FROM events").at(0)[0].as_int64();
  }

  // Merges {"k<i>": i} into event id.
  asio::awaitable<void> merge_key(Uuid id, int i) {
    async::EventRepository events(db_);
    std::string patch = R"({"k)" + std::to_string(i) + R"(": )" + std::to_string(i) + "}";
    co_await events.merge_task_context(id, std::move(patch));
    ++merged_;
  }

  int merged_ = 0;
  TestDatabase test_db_{GetParam()};
  Database blocking_{test_db_.url()};
  async::Database db_{io_.get_executor(), test_db_.url()};
};

// Each call of the asynchronous face, checked against the blocking face on the same rows.
TEST_P(AsyncEventsTest, EveryCallMatchesTheBlockingStore) {
  Event first;
  std::vector<Event> batch;
  run([&]() -> asio::awaitable<void> {
    async::EventRepository events(db_);
    first = co_await events.record(R"({"type": "ticket.created", "id": 1, "tags": ["a"]})");
    std::vector<std::string> documents;
    for (int i = 2; i <= 6; ++i) {
      documents.push_back(R"({"type": ")" + std::string(i % 2 == 0 ? "ticket.updated" : "mail") +
                          R"(", "id": )" + std::to_string(i) + "}");
    }
    batch = co_await events.record_many(documents);
  });
  ASSERT_EQ(batch.size(), 5u);
  EXPECT_EQ(batch.front().data.text(), R"({"type": "ticket.updated", "id": 2})");
  EXPECT_EQ(rows(), 6);
  std::optional<Event> stored = blocking_get(first.id);
  ASSERT_TRUE(stored);
  expect_same(first, *stored);
  for (const Event& e : batch) {
    std::optional<Event> b = blocking_get(e.id);
    ASSERT_TRUE(b) << e.id.to_string();
    // record_many returns the documents as given (as the blocking one does); PostgreSQL's
    // jsonb stores them normalized.
    EXPECT_EQ(nlohmann::json::parse(b->data.text()), nlohmann::json::parse(e.data.text()));
    EXPECT_EQ(b->created_at, e.created_at);
    EXPECT_FALSE(b->task_context);
  }

  // merge: the result equals what both faces read afterwards; patches accumulate (RFC 7386).
  Event merged;
  std::optional<Event> got;
  std::optional<Event> missing;
  run([&]() -> asio::awaitable<void> {
    async::EventRepository events(db_);
    co_await events.merge_task_context(first.id, R"({"classification": "shipping", "x": 1})");
    merged = co_await events.merge_task_context(first.id, R"({"x": null, "score": 0.5})");
    got = co_await events.get(first.id);
    missing = co_await events.get(Uuid::v7());
  });
  ASSERT_TRUE(merged.task_context);
  EXPECT_EQ(nlohmann::json::parse(merged.task_context->text()),
            nlohmann::json::parse(R"({"classification": "shipping", "score": 0.5})"));
  ASSERT_TRUE(got);
  expect_same(merged, *got);
  expect_same(merged, *blocking_get(first.id));
  EXPECT_FALSE(missing);

  // find: every filter the blocking store takes, the same events in the same order.
  std::vector<EventFilter> filters(8);
  filters[1].contains = R"({"type": "ticket.updated"})";
  filters[2].path = {PathStep("id")};
  filters[2].path_equals = Value(std::int64_t{3});
  filters[3].processed = true;
  filters[4].processed = false;
  filters[4].newest_first = true;
  filters[4].limit = 3;
  filters[5].context_contains = R"({"classification": "shipping"})";
  filters[6].since = first.created_at;
  filters[6].until = batch.front().created_at;
  filters[7].context_path = {PathStep("score")};
  std::vector<std::vector<Event>> found;
  run([&]() -> asio::awaitable<void> {
    async::EventRepository events(db_);
    for (const EventFilter& f : filters) found.push_back(co_await events.find(f));
  });
  ASSERT_EQ(found.size(), filters.size());
  for (std::size_t i = 0; i < filters.size(); ++i) {
    SCOPED_TRACE("filter " + std::to_string(i));
    expect_same(found[i], blocking_find(filters[i]));
  }
  EXPECT_EQ(found[0].size(), 6u);
  EXPECT_EQ(found[1].size(), 3u);
  EXPECT_EQ(found[2].size(), 1u);
  EXPECT_EQ(found[3].size(), 1u);
  EXPECT_EQ(found[4].size(), 3u);
  EXPECT_EQ(found[4].front().id, batch.back().id);  // newest first
  EXPECT_EQ(found[5].size(), 1u);
  EXPECT_EQ(found[7].size(), 1u);
}

// Refused documents: the same InvalidInput (field, reason, byte offset) as the blocking store,
// nothing stored; unknown ids: NotFound.
TEST_P(AsyncEventsTest, RefusalsAreTheBlockingStoresAndStoreNothing) {
  const std::string bad = R"({"type": "x", "n": tru})";
  std::string blocking_reason;
  std::size_t blocking_offset = 0;
  try {
    blocking_.transaction([&](Session& s) { events::EventRepository(s).record(bad); });
    ADD_FAILURE() << "blocking record accepted bad JSON";
  } catch (const InvalidInput& e) {
    blocking_reason = e.reason();
    blocking_offset = e.offset();
  }
  run([&]() -> asio::awaitable<void> {
    try {
      co_await async::EventRepository(db_).record(bad);
      ADD_FAILURE() << "record accepted bad JSON";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "events.data");
      EXPECT_EQ(e.reason(), blocking_reason);
      EXPECT_EQ(e.offset(), blocking_offset);
    }
  });
  run([&]() -> asio::awaitable<void> {
    std::vector<std::string> documents{R"({"ok": 1})", R"({"ok": 2})", bad, R"({"ok": 4})"};
    try {
      co_await async::EventRepository(db_).record_many(documents);
      ADD_FAILURE() << "record_many accepted bad JSON";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "events.data[2]");
      EXPECT_EQ(e.offset(), blocking_offset);
    }
  });
  run([&]() -> asio::awaitable<void> {
    events::EventOptions small;
    small.max_event_bytes = 16;
    try {
      co_await async::EventRepository(db_, small).record(R"({"too": "long for sixteen bytes"})");
      ADD_FAILURE() << "record accepted an oversized document";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "events.data");
      EXPECT_EQ(e.offset(), 16u);
    }
  });
  run([&]() -> asio::awaitable<void> {
    EventFilter f;
    f.contains = "{not json";
    try {
      co_await async::EventRepository(db_).find(f);
      ADD_FAILURE() << "find accepted a bad containment document";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "contains");
    }
  });
  run([&]() -> asio::awaitable<void> {
    try {
      co_await async::EventRepository(db_).merge_task_context(Uuid::v7(), R"({"a": 1})");
      ADD_FAILURE() << "merge into no event succeeded";
    } catch (const NotFound& e) {
      EXPECT_NE(std::string(e.what()).find("no event with id"), std::string::npos);
    }
  });
  Event good;
  run([&]() -> asio::awaitable<void> {
    good = co_await async::EventRepository(db_).record(R"({"ok": 5})");
  });
  run([&]() -> asio::awaitable<void> {
    try {
      co_await async::EventRepository(db_).merge_task_context(good.id, "[1,");
      ADD_FAILURE() << "merge accepted a bad patch";
    } catch (const InvalidInput& err) {
      EXPECT_EQ(err.field(), "events.task_context");
    }
  });
  EXPECT_EQ(rows(), 1);  // only the last good one
  EXPECT_FALSE(blocking_find({}).front().task_context);
}

// A NULL data (the original service's table allows it) reads as the JSON document null, as the
// blocking store reads it, through get, find and merge_task_context.
TEST_P(AsyncEventsTest, NullDataReadsAsTheJsonDocumentNull) {
  // retort's table with data made nullable (merge_task_context needs retort_json_merge_patch,
  // which the built-in migrations create); SQLite cannot drop a NOT NULL: the original's table.
  if (GetParam() == Dialect::postgresql) {
    blocking_.connection()->execute("ALTER TABLE events ALTER COLUMN data DROP NOT NULL");
  } else {
    blocking_.connection()->execute("DROP TABLE events");
    blocking_.connection()->execute(nullable_data_events_table(GetParam()));
  }
  const Uuid id = blocking_.transaction(
      [](Session& s) { return events::EventRepository(s).record(R"({"n": 1})").id; });
  blocking_.connection()->execute("UPDATE events SET data = NULL WHERE id = $1", {Value(id)});
  run([&]() -> asio::awaitable<void> {
    async::EventRepository events(db_);
    const std::optional<Event> got = co_await events.get(id);
    EXPECT_TRUE(got && got->data.text() == "null");
    const std::vector<Event> all = co_await events.find({});
    EXPECT_TRUE(all.size() == 1 && all[0].data.text() == "null");
    EventFilter by_path;
    by_path.path = {"n"};
    EXPECT_TRUE((co_await events.find(by_path)).empty());
    const Event merged = co_await events.merge_task_context(id, R"({"seen": true})");
    EXPECT_EQ(merged.data.text(), "null");
  });
}

// Inside a transaction every call joins it: rolled back with it, committed with it.
TEST_P(AsyncEventsTest, InsideATransactionCallsJoinIt) {
  run([&]() -> asio::awaitable<void> {
    try {
      co_await db_.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
        async::EventRepository events(tx);
        Event e = co_await events.record(R"({"in": "rolled back"})");
        std::vector<std::string> more{R"({"n": 1})", R"({"n": 2})"};
        co_await events.record_many(more);
        co_await events.merge_task_context(e.id, R"({"seen": true})");
        const EventFilter all;
        EXPECT_EQ((co_await events.find(all)).size(), 3u);  // its own rows, uncommitted
        throw std::runtime_error("abandon");
      });
    } catch (const std::runtime_error&) {
    }
  });
  EXPECT_EQ(rows(), 0);
  Event kept;
  run([&]() -> asio::awaitable<void> {
    co_await db_.transaction([&](async::Transaction& tx) -> asio::awaitable<void> {
      async::EventRepository events(tx);
      Event e = co_await events.record(R"({"in": "committed"})");
      kept = co_await events.merge_task_context(e.id, R"({"seen": true})");
    });
  });
  EXPECT_EQ(rows(), 1);
  expect_same(kept, *blocking_get(kept.id));
}

// 200 coroutines merge one key each into the same event over the pool: the merge is one
// statement in the database, so no key is lost.
TEST_P(AsyncEventsTest, ConcurrentMergesKeepEveryKey) {
  Event target;
  run([&]() -> asio::awaitable<void> {
    async::EventRepository events(db_);
    target = co_await events.record(R"({"type": "shared"})");
  });
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 200; ++i) asio::co_spawn(io_, merge_key(target.id, i), asio::detached);
    co_return;
  });
  EXPECT_EQ(merged_, 200);
  std::optional<Event> merged = blocking_get(target.id);
  ASSERT_TRUE(merged && merged->task_context);
  const nlohmann::json context = nlohmann::json::parse(merged->task_context->text());
  EXPECT_EQ(context.size(), 200u);
  EXPECT_EQ(context.at("k199"), 199);
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncEventsTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql), DialectName());

}  // namespace
}  // namespace retort::testing

// Rows whose data is NULL, which the original service's SQLAlchemy model allows (`data JSON`,
// nullable), on both backends: every read of the blocking EventRepository gives them the JSON
// document null, the JSON filters never match them, and merges and claims (PostgreSQL's
// processing, on the original table) work on them. The async store's reads are in
// tests/async/async_events_test.cpp.
#include <gtest/gtest.h>

#include "retort/events.hpp"
#include "support/events_schema.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

using retort::testing::TestDatabase;

class NullData : public ::testing::TestWithParam<Dialect> {
 protected:
  NullData() {
    db_.connection()->execute(retort::testing::nullable_data_events_table(GetParam()));
    db_.transaction([&](Session& s) {
      EventRepository events(s);
      kept_ = events.record(R"({"type": "ticket.created", "n": 1})").id;
      nulled_ = events.record(R"({"type": "ticket.closed", "n": 2})").id;
    });
    db_.connection()->execute("UPDATE events SET data = NULL WHERE id = $1", {Value(nulled_)});
  }
  template <class F>
  auto with_events(F work) {
    return db_.transaction([&](Session& s) {
      EventRepository events(s);
      return work(events);
    });
  }
  static std::vector<Uuid> ids(const std::vector<Event>& found) {
    std::vector<Uuid> out;
    for (const Event& e : found) out.push_back(e.id);
    return out;
  }

  TestDatabase test_db_{GetParam()};
  Database db_{test_db_.url()};
  Uuid kept_, nulled_;
};

TEST_P(NullData, ReadsAsTheJsonDocumentNull) {
  ASSERT_TRUE(db_.connection()
                  ->execute("SELECT data FROM events WHERE id = $1", {Value(nulled_)})
                  .at(0)[0]
                  .is_null())
      << "the fixture did not store a NULL";
  const Event one = with_events([&](EventRepository& e) { return e.get_required(nulled_); });
  EXPECT_EQ(one.data.text(), "null");
  EXPECT_FALSE(one.task_context);

  const std::vector<Event> all = with_events([](EventRepository& e) { return e.find({}); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, kept_);
  EXPECT_NE(all[0].data.text().find("ticket.created"), std::string::npos);
  EXPECT_EQ(all[1].data.text(), "null");
  EXPECT_EQ(with_events([](EventRepository& e) { return e.count({}); }), 2);

  std::vector<std::string> streamed;
  with_events([&](EventRepository& e) {
    e.stream({}, [&](const Event& x) { streamed.push_back(x.data.text()); });
    return 0;
  });
  ASSERT_EQ(streamed.size(), 2u);
  EXPECT_EQ(streamed[1], "null");
}

TEST_P(NullData, JsonFiltersNeverMatchIt) {
  const auto found = [&](EventFilter filter) {
    return ids(with_events([&](EventRepository& e) { return e.find(filter); }));
  };
  EXPECT_EQ(found({.contains = R"({"type": "ticket.created"})"}), std::vector<Uuid>{kept_});
  EXPECT_EQ(found({.contains = R"({"type": "ticket.closed"})"}), std::vector<Uuid>{});
  // SQL NULL is not the JSON document null: containment of null does not find the row.
  EXPECT_EQ(found({.contains = "null"}), std::vector<Uuid>{});
  EXPECT_EQ(found({.path = {"type"}}), std::vector<Uuid>{kept_});
  EXPECT_EQ(found({.path = {"n"}, .path_equals = Value(std::int64_t{2})}), std::vector<Uuid>{});
  // The other filters treat it as any row.
  EXPECT_EQ(found({.processed = false, .newest_first = true}), (std::vector<Uuid>{nulled_, kept_}));
}

TEST_P(NullData, TaskContextIsWrittenAndTheNullStaysNull) {
  const Event set = with_events(
      [&](EventRepository& e) { return e.set_task_context(nulled_, R"({"done": 1})"); });
  EXPECT_EQ(set.data.text(), "null");
  ASSERT_TRUE(set.task_context);
  // Only task_context was written: data is still SQL NULL, not the text "null".
  EXPECT_TRUE(db_.connection()
                  ->execute("SELECT data FROM events WHERE id = $1", {Value(nulled_)})
                  .at(0)[0]
                  .is_null());
}

// merge_task_context decodes the row its UPDATE returns (outside the repository). On
// PostgreSQL it needs retort_json_merge_patch, which the built-in migrations create, so it runs
// on retort's table with data made nullable.
TEST_P(NullData, MergeReturnsTheRowWithItsNullData) {
  if (GetParam() == Dialect::postgresql) {
    db_.connection()->execute("DROP TABLE events");
    retort::testing::upgrade_events_schema(db_);
    db_.connection()->execute("ALTER TABLE events ALTER COLUMN data DROP NOT NULL");
    // Raw SQL: the pool's statements prepared for the dropped table must not be reused here.
    nulled_ = Uuid::v7();
    db_.connection()->execute(
        "INSERT INTO events (id, data, created_at, updated_at) VALUES ($1, NULL, now(), now())",
        {Value(nulled_)});
  }
  const Event merged = with_events(
      [&](EventRepository& e) { return e.merge_task_context(nulled_, R"({"seen": true})"); });
  EXPECT_EQ(merged.data.text(), "null");
  ASSERT_TRUE(merged.task_context);
  EXPECT_NE(merged.task_context->text().find("seen"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Dialects, NullData,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::events

// Every query form, the same answers on both backends.
#include <gtest/gtest.h>

#include <algorithm>

#include "retort/error.hpp"
#include "sample_models.hpp"

namespace retort::orm_test {
namespace {

class QueryTest : public OrmTest {
 protected:
  // Ten tickets with known values: title "t0".."t9", priority i % 4, score i * 1.5,
  // urgent for even i, assignee for i < 5, status cycling open/pending/closed,
  // created_at 2026-01-01T00:00:0i.
  void SetUp() override {
    Customer c = customer();
    tx([&](Session& s) {
      Repository<Ticket> tickets(s);
      const char* statuses[] = {"open", "pending", "closed"};
      for (int i = 0; i < 10; ++i) {
        Ticket t;
        t.customer_id = c.id;
        t.title = "t" + std::to_string(i);
        t.priority = i % 4;
        t.score = i * 1.5;
        t.urgent = i % 2 == 0;
        if (i < 5) t.assignee = i % 2 == 0 ? "Bob" : "alice";
        t.status = statuses[i % 3];
        t.created_at = at(i);
        t.data = JsonText{"{\"i\": " + std::to_string(i) + "}"};
        tickets.create(t);
      }
    });
  }

  static Timestamp at(int second) {
    return Timestamp::parse("2026-01-01T00:00:0" + std::to_string(second) + "Z");
  }

  // The titles find(where) returns in the given order (default: title ascending).
  std::vector<std::string> titles(const Condition& where) {
    return tx([&](Session& s) {
      std::vector<std::string> out;
      for (const Ticket& t : Repository<Ticket>(s).find(where).order_by("title").all()) {
        out.push_back(t.title);
      }
      return out;
    });
  }
};

using Titles = std::vector<std::string>;

TEST_P(QueryTest, Comparisons) {
  EXPECT_EQ(titles(col("priority") == 3), (Titles{"t3", "t7"}));
  EXPECT_EQ(titles(col("priority") != 0), (Titles{"t1", "t2", "t3", "t5", "t6", "t7", "t9"}));
  EXPECT_EQ(titles(col("score") < 3.0), (Titles{"t0", "t1"}));
  EXPECT_EQ(titles(col("score") <= 3), (Titles{"t0", "t1", "t2"}));
  EXPECT_EQ(titles(col("score") > 12), (Titles{"t9"}));
  EXPECT_EQ(titles(col("score") >= 12), (Titles{"t8", "t9"}));
  EXPECT_EQ(titles(col("urgent") == true && col("priority") >= 2), (Titles{"t2", "t6"}));
  EXPECT_EQ(titles(col("title") > "t7"), (Titles{"t8", "t9"}));
  EXPECT_EQ(titles(col("status") == "closed"), (Titles{"t2", "t5", "t8"}));
}

TEST_P(QueryTest, FieldReferencesThroughMemberPointers) {
  EXPECT_EQ(titles(field(&Ticket::priority) == 3), (Titles{"t3", "t7"}));
  EXPECT_EQ(model<Ticket>().column_of(&Ticket::created_at), "created_at");
}

TEST_P(QueryTest, AndOrNot) {
  EXPECT_EQ(titles(col("priority") == 0 || col("priority") == 1),
            (Titles{"t0", "t1", "t4", "t5", "t8", "t9"}));
  EXPECT_EQ(titles((col("priority") == 0 || col("priority") == 1) && col("urgent") == false),
            (Titles{"t1", "t5", "t9"}));
  EXPECT_EQ(titles(!(col("priority") < 3)), (Titles{"t3", "t7"}));
  EXPECT_EQ(titles(Condition() && col("priority") == 3), (Titles{"t3", "t7"}));
  EXPECT_EQ(titles(!Condition()), Titles{});
}

TEST_P(QueryTest, InAndNotIn) {
  EXPECT_EQ(titles(col("title").in({"t1", "t3", "nope"})), (Titles{"t1", "t3"}));
  EXPECT_EQ(titles(col("priority").not_in({0, 1, 2})), (Titles{"t3", "t7"}));
  EXPECT_EQ(titles(col("priority").in({})), Titles{});
  EXPECT_EQ(titles(col("priority").not_in({})).size(), 10u);
}

TEST_P(QueryTest, NullTests) {
  EXPECT_EQ(titles(col("assignee").is_null()), (Titles{"t5", "t6", "t7", "t8", "t9"}));
  EXPECT_EQ(titles(col("assignee").is_not_null()), (Titles{"t0", "t1", "t2", "t3", "t4"}));
  EXPECT_EQ(titles(col("assignee") == std::nullopt), titles(col("assignee").is_null()));
  EXPECT_EQ(titles(col("assignee") != std::nullopt), titles(col("assignee").is_not_null()));
  // SQL three-valued logic on both: NULL is neither "Bob" nor not "Bob".
  EXPECT_EQ(titles(col("assignee") != "Bob"), (Titles{"t1", "t3"}));
}

TEST_P(QueryTest, LikeIsCaseSensitiveOnBothBackends) {
  EXPECT_EQ(titles(col("assignee").like("B%")), (Titles{"t0", "t2", "t4"}));
  EXPECT_EQ(titles(col("assignee").like("b%")), Titles{});
  EXPECT_EQ(titles(col("assignee").like("_lice")), (Titles{"t1", "t3"}));
  EXPECT_EQ(titles(col("title").like("t_")).size(), 10u);
  EXPECT_EQ(titles(col("status").like("clo%")), (Titles{"t2", "t5", "t8"}));  // enum column
}

TEST_P(QueryTest, TimeRanges) {
  EXPECT_EQ(titles(col("created_at").in_range(at(2), at(5))), (Titles{"t2", "t3", "t4"}));
  EXPECT_EQ(titles(col("created_at").between(at(2), at(5))), (Titles{"t2", "t3", "t4", "t5"}));
  EXPECT_EQ(titles(col("created_at").in_range(at(8), Value())), (Titles{"t8", "t9"}));
  EXPECT_EQ(titles(col("created_at").in_range(Value(), at(1))), (Titles{"t0"}));
  // ISO text is accepted for a timestamp column and compared as a time, not as text.
  EXPECT_EQ(titles(col("created_at") >= "2026-01-01T01:00:08+01:00"), (Titles{"t8", "t9"}));
}

TEST_P(QueryTest, OrderByLimitOffset) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    std::vector<Ticket> page =
        tickets.find().order_by("priority", desc).order_by("title").limit(3).offset(1).all();
    ASSERT_EQ(page.size(), 3u);
    EXPECT_EQ(page[0].title, "t7");  // priority 3: t3, t7; then 2: t2, t6
    EXPECT_EQ(page[1].title, "t2");
    EXPECT_EQ(page[2].title, "t6");
    EXPECT_EQ(tickets.find().offset(8).all().size(), 2u);
    // Nullable columns: NULLs last ascending, first descending; text in byte order ("Bob"
    // before "alice") whatever the server's collation.
    std::vector<Ticket> by_assignee = tickets.find().order_by("assignee").order_by("title").all();
    EXPECT_EQ(by_assignee.front().title, "t0");
    EXPECT_EQ(by_assignee[3].title, "t1");
    EXPECT_EQ(by_assignee.back().title, "t9");
    EXPECT_EQ(tickets.find().order_by("assignee", desc).order_by("title").first()->title, "t5");
  });
}

TEST_P(QueryTest, KeysetPaginationWalksEveryRowOnce) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    std::vector<std::string> seen;
    std::optional<Ticket> last;
    for (int pages = 0; pages < 10; ++pages) {
      Finder<Ticket> query =
          tickets.find().order_by("priority", desc).order_by("created_at").limit(3);
      if (last) query.after(*last);
      std::vector<Ticket> page = query.all();
      if (page.empty()) break;
      for (const Ticket& t : page) seen.push_back(t.title);
      last = page.back();
    }
    EXPECT_EQ(seen, (Titles{"t3", "t7", "t2", "t6", "t1", "t5", "t9", "t0", "t4", "t8"}));
    EXPECT_THROW(tickets.find().order_by("assignee").after(*last).all(), UsageError);
  });
}

TEST_P(QueryTest, CountExistsFirst) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    EXPECT_EQ(tickets.count(), 10);
    EXPECT_EQ(tickets.count(col("urgent") == true), 5);
    EXPECT_TRUE(tickets.exists(col("title") == "t4"));
    EXPECT_FALSE(tickets.exists(col("title") == "t44"));
    EXPECT_EQ(tickets.find(col("priority") == 1).order_by("title", desc).first()->title, "t9");
    EXPECT_FALSE(tickets.find(col("priority") == 9).first().has_value());
    EXPECT_EQ(tickets.find(col("priority") == 1).limit(1).count(), 3);  // limit ignored
  });
}

TEST_P(QueryTest, UnknownColumnsAreUsageErrors) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    try {
      tickets.find(col("nope") == 1).all();
      FAIL() << "no exception";
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), "unknown column tickets.nope");
    }
    EXPECT_THROW(tickets.find().order_by("nope").all(), UsageError);
    EXPECT_THROW(tickets.find().order_by("data").all(), UsageError);  // JSON has no order
    EXPECT_THROW(tickets.count(col("data") == JsonText{"{}"}), UsageError);
    EXPECT_THROW(tickets.count(col("priority").like("1%")), UsageError);
    EXPECT_THROW(tickets.count(col("priority") < std::nullopt), UsageError);
    EXPECT_THROW(tickets.find().limit(-1).all(), UsageError);
  });
}

TEST_P(QueryTest, ValuesOfTheWrongKindAreInvalidInput) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    EXPECT_THROW(tickets.count(col("priority") == "three"), InvalidInput);
    EXPECT_THROW(tickets.count(col("title") == 3), InvalidInput);
    EXPECT_THROW(tickets.count(col("created_at") < "yesterday"), InvalidInput);
    EXPECT_THROW(tickets.count(col("id") == "not-a-uuid"), InvalidInput);
    try {
      tickets.count(col("status") == "lost");  // not a label of the enum
      FAIL() << "no exception";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "tickets.status");
    }
  });
}

TEST_P(QueryTest, StreamHandsOverRowsInOrder) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    std::vector<std::string> seen;
    tickets.find(col("urgent") == true).order_by("title", desc).stream([&](const Ticket& t) {
      seen.push_back(t.title);
    });
    EXPECT_EQ(seen, (Titles{"t8", "t6", "t4", "t2", "t0"}));
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, QueryTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::orm_test

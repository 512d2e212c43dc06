// JSON filters: containment and path equality/existence give PostgreSQL's jsonb answers on
// both backends (the same expected rows on each), and random documents give the same rows on
// both.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "json_helpers.hpp"
#include "retort/error.hpp"
#include "sample_models.hpp"

namespace retort::orm_test {
namespace {

// Each document is stored with task_context {"i": <index>} so results map back to indexes.
const std::vector<std::string> kDocuments = {
    R"({"type": "ticket", "tags": ["a", "b"], "customer": {"name": "Ada", "address": {"city": "Paris"}}})",
    R"({"type": "ticket", "tags": ["b"], "n": 1})",
    R"({"type": "chat", "n": 1.0, "items": [{"sku": "x", "qty": 2}, {"sku": "y"}]})",
    R"(["a", "b", {"k": 1}])",
    R"("a")",
    R"(5)",
    R"({"nested": {"arr": [[1, 2], [3]]}})",
    R"({"type": null, "flag": true})",
    R"({"weird key \"'; DROP TABLE events; --": "v", "a.b": {"[0]": "dot"}, "$1": "?", "%_": "\\"})",
    R"({})",
    R"([])",
    R"({"n": 10})",
    R"({"tags": "a"})",
};

using Rows = std::set<int>;

class JsonQueryTest : public OrmTest {
 protected:
  void SetUp() override {
    tx([&](Session& s) {
      Repository<Event> events(s);
      for (std::size_t i = 0; i < kDocuments.size(); ++i) {
        events.create({.data = JsonText{kDocuments[i]},
                       .task_context = JsonText{"{\"i\": " + std::to_string(i) + "}"}});
      }
    });
  }

  Rows matching(const Condition& where) {
    return tx([&](Session& s) {
      Rows out;
      for (const Event& e : Repository<Event>(s).find(where).all()) {
        out.insert(nlohmann::json::parse(e.task_context->text())["i"].get<int>());
      }
      return out;
    });
  }
};

TEST_P(JsonQueryTest, ContainmentHasJsonbSemantics) {
  auto contains = [&](const char* pattern) { return matching(col("data").contains(pattern)); };
  EXPECT_EQ(contains(R"({"type": "ticket"})"), (Rows{0, 1}));
  EXPECT_EQ(contains(R"({"tags": ["a"]})"), (Rows{0}));
  EXPECT_EQ(contains(R"({"tags": ["b", "b"]})"), (Rows{0, 1}));
  EXPECT_EQ(contains(R"({"tags": "a"})"), (Rows{12}));  // a nested array holds no raw scalar
  EXPECT_EQ(contains(R"({"customer": {"address": {"city": "Paris"}}})"), (Rows{0}));
  EXPECT_EQ(contains(R"({"n": 1})"), (Rows{1, 2}));  // 1 == 1.0
  EXPECT_EQ(contains(R"({"items": [{"sku": "y"}]})"), (Rows{2}));
  EXPECT_EQ(contains(R"(["a"])"), (Rows{3}));
  EXPECT_EQ(contains(R"("a")"), (Rows{3, 4}));  // top-level array contains its scalar
  EXPECT_EQ(contains(R"([{"k": 1}])"), (Rows{3}));
  EXPECT_EQ(contains("5"), (Rows{5}));
  EXPECT_EQ(contains("{}"), (Rows{0, 1, 2, 6, 7, 8, 9, 11, 12}));
  EXPECT_EQ(contains("[]"), (Rows{3, 10}));
  EXPECT_EQ(contains(R"({"nested": {"arr": [[1]]}})"), (Rows{6}));
  EXPECT_EQ(contains(R"({"nested": {"arr": [1]}})"), Rows{});
  EXPECT_EQ(contains(R"({"type": null})"), (Rows{7}));
  EXPECT_EQ(contains(R"({"flag": true})"), (Rows{7}));
  EXPECT_EQ(contains(R"({"flag": 1})"), Rows{});
  EXPECT_EQ(contains(R"({"weird key \"'; DROP TABLE events; --": "v"})"), (Rows{8}));
  EXPECT_EQ(contains(R"({"a.b": {"[0]": "dot"}})"), (Rows{8}));
}

TEST_P(JsonQueryTest, PathEquality) {
  auto at = [&](std::vector<PathStep> path, const Value& v) {
    return matching(col("data").path(std::move(path)) == v);
  };
  EXPECT_EQ(at({"customer", "address", "city"}, "Paris"), (Rows{0}));
  EXPECT_EQ(at({"n"}, 1), (Rows{1, 2}));
  EXPECT_EQ(at({"n"}, 1.0), (Rows{1, 2}));
  EXPECT_EQ(at({"n"}, "1"), Rows{});  // a string is not a number
  EXPECT_EQ(at({"items", 0, "sku"}, "x"), (Rows{2}));
  EXPECT_EQ(at({"items", -1, "sku"}, "y"), (Rows{2}));
  EXPECT_EQ(at({"items", "0", "sku"}, "x"), Rows{});  // a key is not an index
  EXPECT_EQ(at({"type"}, std::nullopt), (Rows{7}));   // JSON null
  EXPECT_EQ(at({"flag"}, true), (Rows{7}));
  EXPECT_EQ(at({"flag"}, 1), Rows{});
  EXPECT_EQ(at({"weird key \"'; DROP TABLE events; --"}, "v"), (Rows{8}));
  EXPECT_EQ(at({"a.b", "[0]"}, "dot"), (Rows{8}));
  EXPECT_EQ(at({"$1"}, "?"), (Rows{8}));
  EXPECT_EQ(at({"%_"}, "\\"), (Rows{8}));
  EXPECT_EQ(at({}, JsonText{"5"}), (Rows{5}));
  EXPECT_EQ(at({"tags"}, JsonText{R"(["a", "b"])"}), (Rows{0}));
  EXPECT_EQ(at({"tags"}, JsonText{R"(["b", "a"])"}), Rows{});  // arrays are ordered
  EXPECT_EQ(at({"customer"}, JsonText{R"({"address": {"city": "Paris"}, "name": "Ada"})"}),
            (Rows{0}));  // objects are not
  EXPECT_EQ(at({"nested", "arr", 1, 0}, 3), (Rows{6}));
}

TEST_P(JsonQueryTest, PathExistence) {
  auto exists = [&](std::vector<PathStep> path) {
    return matching(col("data").path(std::move(path)).exists());
  };
  EXPECT_EQ(exists({"type"}), (Rows{0, 1, 2, 7}));  // null counts
  EXPECT_EQ(exists({0}), (Rows{3}));  // not the scalars "a" and 5: they have no elements
  EXPECT_EQ(exists({-1}), (Rows{3}));
  EXPECT_EQ(exists({"n", 0}), Rows{});  // nor does the number at "n"
  EXPECT_EQ(exists({"tags", 0}), (Rows{0, 1}));
  EXPECT_EQ(exists({"tags", 2}), Rows{});
  EXPECT_EQ(exists({"tags", 9'000'000'000LL}), Rows{});
  EXPECT_EQ(exists({"items", 1}), (Rows{2}));
  EXPECT_EQ(exists({"items", 2}), Rows{});
  EXPECT_EQ(exists({"a.b", "[0]"}), (Rows{8}));
  EXPECT_EQ(exists({}).size(), kDocuments.size());
}

TEST_P(JsonQueryTest, CombinesWithOtherConditions) {
  EXPECT_EQ(
      matching(col("data").contains(R"({"type": "ticket"})") && !col("data").path({"n"}).exists()),
      (Rows{0}));
  EXPECT_EQ(matching(col("data").path({"n"}) == 10 || col("data").contains(R"("a")")),
            (Rows{3, 4, 11}));
}

TEST_P(JsonQueryTest, JsonColumnsWorkLikeJsonb) {
  Customer c = customer();
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    tickets.create({.customer_id = c.id, .title = "a", .context = JsonText{R"({"k": [1, 2]})"}});
    tickets.create({.customer_id = c.id, .title = "b", .context = JsonText{R"({"k": [3]})"}});
    EXPECT_EQ(tickets.count(col("context").contains(R"({"k": [2]})")), 1);
    EXPECT_EQ(tickets.count(col("context").path({"k", 0}) == 3), 1);
    EXPECT_EQ(tickets.count(col("context").path({"k"}).exists()), 2);
  });
}

TEST_P(JsonQueryTest, MalformedPatternsAreInvalidInput) {
  tx([&](Session& s) {
    Repository<Event> events(s);
    EXPECT_THROW(events.count(col("data").contains("{nope")), InvalidInput);
    EXPECT_THROW(events.count(col("data").contains(R"({"a": "\u0000"})")), InvalidInput);
    EXPECT_THROW(events.count(col("data").path({"a"}) == JsonText{"[1,"}), InvalidInput);
    EXPECT_THROW(events.count(col("created_at").contains("{}")), UsageError);
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, JsonQueryTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

// Random small documents and patterns: every filter gives the same rows on both backends.
nlohmann::json random_json(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, depth > 0 ? 6 : 3);
  const char* keys[] = {"a", "b", "c\"'", "d.e"};
  switch (pick(rng)) {
    case 0:
      return static_cast<int>(rng() % 3);
    case 1:
      return rng() % 2 == 0 ? nlohmann::json("x") : nlohmann::json("y'");
    case 2:
      return rng() % 2 == 0;
    case 3:
      return rng() % 4 == 0 ? nlohmann::json(nullptr) : nlohmann::json(1.0);
    case 4:
    case 5: {
      nlohmann::json object = nlohmann::json::object();
      for (auto n = rng() % 3; n > 0; --n) object[keys[rng() % 4]] = random_json(rng, depth - 1);
      return object;
    }
    default: {
      nlohmann::json array = nlohmann::json::array();
      for (auto n = rng() % 3; n > 0; --n) array.push_back(random_json(rng, depth - 1));
      return array;
    }
  }
}

// The indexes of the documents each filter matches, on a fresh database of dialect.
std::vector<Rows> answers(Dialect dialect, const std::vector<std::string>& docs,
                          const std::vector<Condition>& filters) {
  testing::TestDatabase test_db(dialect);
  Database db(test_db.url());
  return db.transaction([&](Session& s) {
    create_all(s, metadata<Event>());
    Repository<Event> events(s);
    for (std::size_t i = 0; i < docs.size(); ++i) {
      events.create({.data = JsonText{docs[i]},
                     .task_context = JsonText{"{\"i\": " + std::to_string(i) + "}"}});
    }
    std::vector<Rows> out;
    for (const Condition& filter : filters) {
      Rows& rows = out.emplace_back();
      for (const Event& e : events.find(filter).all()) {
        rows.insert(nlohmann::json::parse(e.task_context->text())["i"].get<int>());
      }
    }
    return out;
  });
}

TEST(JsonParity, RandomDocumentsGiveTheSameRowsOnBothBackends) {
  std::mt19937 rng(20261121);
  std::vector<std::string> docs;
  for (int i = 0; i < 150; ++i) docs.push_back(random_json(rng, 3).dump());
  std::vector<Condition> filters;
  std::vector<PathStep> paths[] = {{"a"}, {"b", 0}, {"c\"'"}, {0}, {"a", "d.e"}, {1, "b"}};
  for (int i = 0; i < 60; ++i) filters.push_back(col("data").contains(random_json(rng, 2).dump()));
  for (const auto& path : paths) {
    filters.push_back(col("data").path(path).exists());
    filters.push_back(col("data").path(path) == JsonText{random_json(rng, 1).dump()});
    filters.push_back(col("data").path(path) == 1);
  }
  std::vector<Rows> lite = answers(Dialect::sqlite, docs, filters);
  std::vector<Rows> pg = answers(Dialect::postgresql, docs, filters);
  ASSERT_EQ(lite.size(), pg.size());
  std::size_t non_trivial = 0;
  for (std::size_t i = 0; i < lite.size(); ++i) {
    EXPECT_EQ(lite[i], pg[i]) << "filter " << i;
    if (!lite[i].empty() && lite[i].size() < docs.size()) ++non_trivial;
  }
  EXPECT_GT(non_trivial, 20u);  // the filters did discriminate
}

}  // namespace
}  // namespace retort::orm_test

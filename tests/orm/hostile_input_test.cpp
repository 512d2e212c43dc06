// Strings full of SQL metacharacters and quotes are stored and matched verbatim, never
// executed: in text columns, LIKE patterns, JSON values, JSON keys and JSON paths.
#include <gtest/gtest.h>

#include "json_helpers.hpp"
#include "retort/error.hpp"
#include "sample_models.hpp"

namespace retort::orm_test {
namespace {

const std::vector<std::string> kHostile = {
    "'; DROP TABLE tickets; --",
    "\"; DROP TABLE \"tickets\"; --",
    "' OR '1'='1",
    "Robert'); DELETE FROM customers; --",
    "back\\slash \\' \\\" \\\\",
    "$1 $2 ? ?1 :name @p",
    "100% _under_ [brackets] *star* ?q",
    "$$ dollar $tag$ quoted $tag$",
    "line\nbreak\ttab\r",
    "unicode \xC3\xA9 \xF0\x9F\x98\x80",
    "/* comment */ -- trailing",
    "{\"json\": \"inside\"}",
};

// A LIKE pattern matching text literally.
std::string literal_pattern(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

using HostileInputTest = OrmTest;

TEST_P(HostileInputTest, TextValuesAreStoredAndMatchedVerbatim) {
  Customer c = customer();
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    for (const std::string& text : kHostile) {
      tickets.create({.customer_id = c.id, .title = text, .assignee = text});
    }
  });
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    EXPECT_EQ(tickets.count(), static_cast<std::int64_t>(kHostile.size()));
    for (const std::string& text : kHostile) {
      std::vector<Ticket> found = tickets.find(col("title") == text).all();
      ASSERT_EQ(found.size(), 1u) << text;
      EXPECT_EQ(found[0].title, text);
      EXPECT_EQ(found[0].assignee, text);
      EXPECT_EQ(tickets.count(col("assignee").like(literal_pattern(text))), 1) << text;
      EXPECT_EQ(tickets.count(col("title").in({text, "other"})), 1) << text;
    }
  });
  EXPECT_EQ(rows("customers"), 1);  // nothing was executed
}

TEST_P(HostileInputTest, JsonKeysValuesAndPathsAreMatchedVerbatim) {
  tx([&](Session& s) {
    Repository<Event> events(s);
    for (const std::string& text : kHostile) {
      nlohmann::json doc = {{text, {{"inner " + text, text}}}, {"plain", text}};
      events.create({.data = JsonText{doc.dump()}});
    }
  });
  tx([&](Session& s) {
    Repository<Event> events(s);
    for (const std::string& text : kHostile) {
      nlohmann::json pattern = {{text, {{"inner " + text, text}}}};
      EXPECT_EQ(events.count(col("data").contains(pattern.dump())), 1) << text;
      EXPECT_EQ(events.count(col("data").path({text, "inner " + text}) == text), 1) << text;
      EXPECT_EQ(events.count(col("data").path({"plain"}) == text), 1) << text;
      EXPECT_EQ(events.count(col("data").path({text}).exists()), 1) << text;
      std::optional<Event> found = events.find(col("data").path({"plain"}) == text).first();
      ASSERT_TRUE(found.has_value());
      EXPECT_EQ(nlohmann::json::parse(found->data.text())["plain"], text);
    }
  });
  EXPECT_EQ(rows("events"), static_cast<std::int64_t>(kHostile.size()));
}

TEST_P(HostileInputTest, EnumLabelsWithQuotes) {
  Customer c = tx([&](Session& s) {
    return Repository<Customer>(s).create(
        {.email = "q@example.com", .name = "Q", .tier = "it's \"enterprise\""});
  });
  EXPECT_EQ(c.tier, "it's \"enterprise\"");
  tx([&](Session& s) {
    EXPECT_EQ(Repository<Customer>(s).count(col("tier") == "it's \"enterprise\""), 1);
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, HostileInputTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::orm_test

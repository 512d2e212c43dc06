// jsonb containment and equality as implemented for SQLite, checked case by case against what
// PostgreSQL 15 answers for `a @> b` and `a = b` on jsonb.
#include "core/json_semantics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace retort::json {
namespace {

bool contains_text(const char* doc, const char* pattern) {
  return contains(Json::parse(doc), Json::parse(pattern));
}

bool equal_text(const char* a, const char* b) {
  return equal(Json::parse(a), Json::parse(b));
}

TEST(JsonSemantics, ContainmentMatchesPostgresql) {
  struct Case {
    const char* doc;
    const char* pattern;
    bool expected;  // SELECT doc::jsonb @> pattern::jsonb on PostgreSQL 15
  };
  const Case cases[] = {
      {R"({"a": 1, "b": 2})", R"({"a": 1})", true},
      {R"({"a": 1})", R"({"a": 1, "b": 2})", false},
      {R"({"a": {"b": 1, "c": 2}})", R"({"a": {"b": 1}})", true},
      {R"({"a": [1, 2, 3]})", R"({"a": [3, 1]})", true},
      {R"({"a": [1, 2, 3]})", R"({"a": [1, 1, 1]})", true},
      {R"({"a": [1, 2]})", R"({"a": 1})", false},
      {R"([1, 2, 3])", "1", true},
      {"1", "[1]", false},
      {"1", "1", true},
      {"1", "1.0", true},
      {R"("a")", R"("a")", true},
      {R"([[1, 2], [3]])", R"([[1]])", true},
      {R"([[1, 2], [3]])", "[1]", false},
      {R"([{"a": 1, "b": 2}])", R"([{"a": 1}])", true},
      {R"({"a": null})", R"({"a": null})", true},
      {R"({"a": true})", R"({"a": 1})", false},
      {R"({})", R"({})", true},
      {R"([])", R"([])", true},
      {R"({"a": 1})", R"([])", false},
      {R"([])", R"({})", false},
      {R"({"a": {}})", R"({"a": []})", false},
      {R"({"a": "1"})", R"({"a": 1})", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(contains_text(c.doc, c.pattern), c.expected) << c.doc << " @> " << c.pattern;
  }
}

TEST(JsonSemantics, EqualityMatchesPostgresql) {
  EXPECT_TRUE(equal_text(R"({"a": 1, "b": [1, 2]})", R"({"b": [1, 2], "a": 1.0})"));
  EXPECT_FALSE(equal_text("[1, 2]", "[2, 1]"));
  EXPECT_FALSE(equal_text("[1, 1]", "[1]"));
  EXPECT_FALSE(equal_text(R"("1")", "1"));
  EXPECT_FALSE(equal_text("true", "1"));
  EXPECT_FALSE(equal_text(R"("a")", R"(["a"])"));
  EXPECT_TRUE(equal_text("null", "null"));
  EXPECT_FALSE(equal_text(R"({"a": 1})", R"({"a": 1, "b": 2})"));
}

}  // namespace
}  // namespace retort::json

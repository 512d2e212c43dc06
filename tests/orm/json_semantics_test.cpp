// jsonb containment and equality as implemented for SQLite, checked case by case against what
// PostgreSQL 15 answers for `a @> b` and `a = b` on jsonb.
#include "orm/json_semantics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "retort/connection.hpp"
#include "retort/settings.hpp"

namespace retort::orm::json {
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

TEST(JsonSemantics, ProblemsPostgresqlWouldRefuse) {
  EXPECT_FALSE(problem(R"({"a": [1, 2.5e3, "x", null, true]})").has_value());
  EXPECT_FALSE(problem("123456789012345678901234567890").has_value());    // numeric holds it
  EXPECT_FALSE(problem(R"({"a": "\\u0000 is text here"})").has_value());  // an escaped backslash
  EXPECT_TRUE(problem(R"({"a": "\u0000"})").has_value());
  EXPECT_TRUE(problem("{\"a\": 1,}").has_value());
  EXPECT_TRUE(problem("NaN").has_value());
  EXPECT_TRUE(problem("").has_value());
  EXPECT_TRUE(problem("{} {}").has_value());
}

// SQLite's bulk path skips its json_valid() CHECKs for documents problem() accepted, so every
// document problem() accepts must be one json_valid() accepts (SQLite 3.40, Debian's).
TEST(JsonSemantics, WhatTheClientAcceptsSqliteJsonValidAccepts) {
  std::unique_ptr<Connection> sqlite = connect(DatabaseUrl::sqlite(":memory:"));
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  const std::vector<std::string> accepted = {"0",
                                             "-0",
                                             "-1.5E-3",
                                             "123456789012345678901234567890",
                                             "true",
                                             "null",
                                             "\"\"",
                                             R"("\/\b\f\n\r\t\u0041")",
                                             "\"\x7f\"",
                                             "\"\u2028 \xc3\xa9\xf0\x9f\x98\x80\"",
                                             " \t\r\n[1] \n",
                                             "{}",
                                             "[]",
                                             R"({"a":{"b":[{"c":null}]}})",
                                             R"({"a":1,"a":2})",
                                             nested(1024),
                                             nested(1025),
                                             nested(2000)};
  const std::vector<std::string> refused = {
      nested(2001), "[1,]",     "{\"a\":1,}", "01",      "1.",  ".5",    "\"a\tb\"", "\"\x1f\"",
      "\x0c[1]",    "[1] // c", "NaN",        R"("\x")", "'a'", "{a:1}", "[1 2]",    ""};
  // Unpaired surrogate escapes and numbers no double holds: either answer is safe, as long as
  // json_valid() agrees with a "yes".
  const std::vector<std::string> either = {R"("\ud800")", R"("\uDFFF\u0041")", "1e999"};
  auto json_valid = [&](const std::string& doc) {
    return sqlite->execute("SELECT json_valid($1)", {doc}).at(0)[0].as_int64() == 1;
  };
  for (const std::string& doc : accepted) {
    EXPECT_FALSE(problem(doc).has_value()) << doc.substr(0, 60);
    EXPECT_TRUE(json_valid(doc)) << doc.substr(0, 60);
  }
  for (const std::string& doc : refused) EXPECT_TRUE(problem(doc).has_value()) << doc.substr(0, 60);
  for (const std::string& doc : either) {
    if (!problem(doc).has_value()) {
      EXPECT_TRUE(json_valid(doc)) << doc;
    }
  }
}

}  // namespace
}  // namespace retort::orm::json

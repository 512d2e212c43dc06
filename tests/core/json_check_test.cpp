// The one JSON check (core/json_check.hpp): what it refuses, in which order, at which byte, and
// the checked JsonText it makes.
#include "core/json_check.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "retort/error.hpp"

namespace retort::json {
namespace {

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// The problem find_problem reports; fails the test when there is none.
Problem problem_of(std::string_view text, std::size_t max_bytes = kNoSizeLimit) {
  std::optional<Problem> problem = find_problem(text, max_bytes);
  EXPECT_TRUE(problem.has_value()) << "accepted: " << text.substr(0, 60);
  return problem.value_or(Problem{});
}

TEST(JsonCheck, AcceptsWhatBothBackendsStore) {
  for (const std::string& ok : std::vector<std::string>{
           R"({"a": [1, 2.5e3, "x", null, true]})", "3", "\"x\"", "null", "[]",
           R"({"e": "\\u0000 is text here"})",  // an escaped backslash, then "u0000"
           "123456789012345678901234567890",    // no double holds it; numeric does
           "{\"unicode\": \"S\xc3\xb8ren \xe2\x82\xac\"}", nested(1025), nested(2000)}) {
    const std::optional<Problem> problem = find_problem(ok);
    EXPECT_FALSE(problem.has_value()) << ok.substr(0, 60) << ": " << problem->reason;
  }
}

TEST(JsonCheck, EachReasonNamesItsByte) {
  Problem p = problem_of(std::string("{\"a\": \"x\0y\"}", 12));
  EXPECT_EQ(p.reason, "NUL byte in JSON text");
  EXPECT_EQ(p.offset, 8u);

  p = problem_of("{\"a\": \"\xff\"}");
  EXPECT_EQ(p.reason, "invalid UTF-8");
  EXPECT_EQ(p.offset, 7u);

  p = problem_of("{\"a\": " + nested(2000) + "}");
  EXPECT_EQ(p.reason, "JSON nested deeper than 2000 levels");
  EXPECT_EQ(p.offset, 6u + 1999u);

  p = problem_of(R"({"a": 1,})");
  EXPECT_EQ(p.reason.rfind("malformed JSON: ", 0), 0u) << p.reason;
  EXPECT_EQ(p.offset, 8u);

  p = problem_of(R"({"a": "x\u0000"})");
  EXPECT_EQ(p.reason, "\\u0000 escape in JSON text (PostgreSQL's jsonb cannot store it)");
  EXPECT_EQ(p.offset, 8u);

  p = problem_of(R"({"a": 1})", 5);
  EXPECT_EQ(p.reason, "event is 8 bytes, over the maximum of 5 bytes");
  EXPECT_EQ(p.offset, 5u);

  for (const char* malformed : {"", "{} {}", "NaN", "[1 2]", "{a:1}"}) {
    EXPECT_EQ(problem_of(malformed).reason.rfind("malformed JSON: ", 0), 0u) << malformed;
  }
}

TEST(JsonCheck, ReasonsComeInTheDocumentedOrder) {
  // size, NUL, UTF-8, depth, syntax, \u0000: a text with several faults gets the first.
  const std::string deep = nested(2001);
  EXPECT_EQ(problem_of(deep + std::string(1, '\0') + "\xff", 10).reason,
            "event is 4004 bytes, over the maximum of 10 bytes");
  EXPECT_EQ(problem_of(deep + "\xff" + std::string(1, '\0')).reason, "NUL byte in JSON text");
  EXPECT_EQ(problem_of(deep + "\xff").reason, "invalid UTF-8");
  EXPECT_EQ(problem_of(deep + "{").reason, "JSON nested deeper than 2000 levels");
  EXPECT_EQ(problem_of(R"({"a": "\u0000",})").reason.rfind("malformed JSON: ", 0), 0u);
}

TEST(JsonCheck, CheckMakesACheckedJsonText) {
  std::variant<JsonText, Problem> checked = check(R"({"a": 1})");
  ASSERT_TRUE(std::holds_alternative<JsonText>(checked));
  const JsonText& document = std::get<JsonText>(checked);
  EXPECT_TRUE(document.is_checked());
  EXPECT_EQ(document.text(), R"({"a": 1})");

  // A copy carries the proof; a document built from text does not, whatever the text.
  const JsonText copy = document;
  EXPECT_TRUE(copy.is_checked());
  const JsonText built{std::string(R"({"a": 1})")};
  EXPECT_FALSE(built.is_checked());
  EXPECT_EQ(built, document);  // equality is about the text

  checked = check(R"({"a": )");
  ASSERT_TRUE(std::holds_alternative<Problem>(checked));
  EXPECT_EQ(std::get<Problem>(checked).offset, 6u);
}

TEST(JsonCheck, JsonTextCheckedThrowsInvalidInputNamingFieldAndByte) {
  EXPECT_TRUE(JsonText::checked("[1]").is_checked());
  try {
    (void)JsonText::checked(R"({"a": tru})", "tickets.data");
    FAIL() << "accepted malformed JSON";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "tickets.data");
    EXPECT_GE(e.offset(), 6u);
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos) << e.what();
  }
}

// SQLite's bulk path skips its json_valid() CHECKs for documents the check accepted, so every
// document it accepts must be one json_valid() accepts (SQLite 3.40, Debian's).
TEST(JsonCheck, WhatItAcceptsSqliteJsonValidAccepts) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  const std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  sqlite3_stmt* raw_statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT json_valid(?1)", -1, &raw_statement, nullptr),
            SQLITE_OK);
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw_statement,
                                                                        sqlite3_finalize);
  auto json_valid = [&](const std::string& doc) {
    sqlite3_reset(raw_statement);
    sqlite3_bind_text(raw_statement, 1, doc.data(), static_cast<int>(doc.size()), SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(raw_statement), SQLITE_ROW);
    return sqlite3_column_int(raw_statement, 0) == 1;
  };
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
  for (const std::string& doc : accepted) {
    EXPECT_FALSE(find_problem(doc).has_value()) << doc.substr(0, 60);
    EXPECT_TRUE(json_valid(doc)) << doc.substr(0, 60);
  }
  for (const std::string& doc : refused) {
    EXPECT_TRUE(find_problem(doc).has_value()) << doc.substr(0, 60);
  }
  for (const std::string& doc : either) {
    if (!find_problem(doc).has_value()) {
      EXPECT_TRUE(json_valid(doc)) << doc;
    }
  }
}

}  // namespace
}  // namespace retort::json

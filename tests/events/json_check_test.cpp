// Event JSON validation: what is refused, and the byte offset named.
#include <gtest/gtest.h>

#include <sstream>

#include "events/line_reader.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

TEST(JsonCheck, AcceptsValidDocuments) {
  for (const char* ok :
       {R"({"a": 1})", "[]", "3", "\"x\"", "null", R"({"k\"'; DROP TABLE x; --": "v"})",
        R"({"big": 123456789012345678901234567890})", R"({"e": "\\u0000 is text"})",
        "{\"unicode\": \"S\xc3\xb8ren \xe2\x82\xac\"}"}) {
    EXPECT_FALSE(check_json(ok).has_value()) << ok << ": " << check_json(ok)->reason;
  }
}

TEST(JsonCheck, MalformedJsonNamesTheByte) {
  std::optional<JsonProblem> p = check_json(R"({"a": tru})");
  ASSERT_TRUE(p.has_value());
  EXPECT_NE(p->reason.find("malformed JSON"), std::string::npos) << p->reason;
  EXPECT_GE(p->offset, 6u);
  EXPECT_LE(p->offset, 9u);

  p = check_json(R"({"a": 1,})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 8u) << p->reason;

  p = check_json(R"({"a": 1)");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 7u) << p->reason;

  EXPECT_TRUE(check_json("").has_value());
  EXPECT_TRUE(check_json("{} {}").has_value());
}

TEST(JsonCheck, NulByteInvalidUtf8AndNulEscapeAreRefusedWithOffset) {
  std::optional<JsonProblem> p = check_json(std::string("{\"a\": \"x\0y\"}", 12));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 8u);
  EXPECT_NE(p->reason.find("NUL"), std::string::npos);

  p = check_json("{\"a\": \"\xff\"}");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 7u);
  EXPECT_NE(p->reason.find("UTF-8"), std::string::npos);

  p = check_json(R"({"a": "x\u0000"})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 8u);
}

TEST(JsonCheck, NestingDeeperThanSqliteStoresIsRefusedWithOffset) {
  const std::string deep = "{\"a\": " + std::string(2000, '[') + std::string(2000, ']') + "}";
  std::optional<JsonProblem> p = check_json(deep);  // 2001 levels with the object
  ASSERT_TRUE(p.has_value());
  EXPECT_NE(p->reason.find("nested deeper than 2000 levels"), std::string::npos) << p->reason;
  EXPECT_EQ(p->offset, 6u + 1999u);  // the 2000th '[' is the 2001st level
  EXPECT_FALSE(check_json(std::string(2000, '[') + std::string(2000, ']')).has_value());
}

TEST(JsonCheck, SizeLimit) {
  const std::string big = "{\"a\": \"" + std::string(100, 'x') + "\"}";
  EXPECT_FALSE(check_json(big, 200).has_value());
  std::optional<JsonProblem> p = check_json(big, 50);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 50u);
  EXPECT_NE(p->reason.find("maximum of 50"), std::string::npos);
  // Default: 1 MiB.
  EXPECT_TRUE(check_json("\"" + std::string(kDefaultMaxEventBytes, 'x') + "\"").has_value());
}

TEST(JsonCheck, ValidateThrowsInvalidInput) {
  try {
    validate_json(R"({"a": })", "events.data");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "events.data");
    EXPECT_EQ(e.offset(), 6u);
  }
}

TEST(LineReader, SplitsLinesAndSkipsOverlongOnesWithBoundedMemory) {
  std::string input = "a\n" + std::string(300000, 'y') + "\nbb\r\n\nlast";
  std::istringstream in(input);
  LineReader reader(in, 1000);
  LineReader::Line line;
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "a");
  ASSERT_TRUE(reader.next(line));
  EXPECT_TRUE(line.too_long);
  EXPECT_EQ(line.full_size, 300000u);
  EXPECT_LE(line.text.capacity(), 70000u);
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "bb\r");
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "");
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "last");
  EXPECT_FALSE(reader.next(line));
}

}  // namespace
}  // namespace retort::events

#include <gtest/gtest.h>

#include "retort/error.hpp"
#include "retort/value.hpp"

namespace retort {
namespace {

TEST(Value, HoldsEachKind) {
  EXPECT_EQ(Value().kind(), Value::Kind::null);
  EXPECT_EQ(Value(std::nullopt).kind(), Value::Kind::null);
  EXPECT_EQ(Value(true).kind(), Value::Kind::boolean);
  EXPECT_EQ(Value(42).kind(), Value::Kind::int64);
  EXPECT_EQ(Value(std::int64_t{1} << 40).as_int64(), std::int64_t{1} << 40);
  EXPECT_EQ(Value(std::size_t{7}).as_int64(), 7);
  EXPECT_EQ(Value(2.5).kind(), Value::Kind::float64);
  EXPECT_EQ(Value("text").kind(), Value::Kind::text);
  EXPECT_EQ(Value(std::string_view("sv")).as_text(), "sv");
  EXPECT_EQ(Value(Bytes{"\x01\x02"}).kind(), Value::Kind::bytes);
  EXPECT_EQ(Value(Uuid::v4()).kind(), Value::Kind::uuid);
  EXPECT_EQ(Value(Timestamp::now()).kind(), Value::Kind::timestamp);
  EXPECT_EQ(Value(JsonText{"{}"}).kind(), Value::Kind::json);
}

TEST(Value, OptionalMapsToNull) {
  std::optional<int> none;
  std::optional<std::string> some = "x";
  EXPECT_TRUE(Value(none).is_null());
  EXPECT_EQ(Value(some).as_text(), "x");
  EXPECT_EQ(Value().get<std::optional<std::string>>(), std::nullopt);
  EXPECT_EQ(Value(5).get<std::optional<int>>(), 5);
}

TEST(Value, WrongKindIsAUsageErrorNamingBothKinds) {
  try {
    (void)Value("abc").as_int64();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "value is text, not int64");
  }
  EXPECT_THROW((void)Value().as_text(), UsageError);
  EXPECT_THROW((void)Value(1).as_json(), UsageError);
}

TEST(Value, ConvertsWhereTheBackendsDiffer) {
  EXPECT_TRUE(Value(1).as_bool());  // SQLite stores booleans as 0/1
  EXPECT_FALSE(Value(0).get<bool>());
  EXPECT_DOUBLE_EQ(Value(3).as_double(), 3.0);
  const Uuid id = Uuid::v7();
  EXPECT_EQ(Value(id.to_string()).as_uuid(), id);
  EXPECT_EQ(Value("2026-01-02T03:04:05Z").as_timestamp().to_string(),
            "2026-01-02T03:04:05.000000Z");
}

TEST(Value, DisplaysForPeople) {
  EXPECT_EQ(Value().to_display(), "NULL");
  EXPECT_EQ(Value(false).to_display(), "false");
  EXPECT_EQ(Value(Bytes{std::string("\x00\xff", 2)}).to_display(), "\\x00ff");
  EXPECT_EQ(Value(JsonText{R"({"a":1})"}).to_display(), R"({"a":1})");
  EXPECT_EQ(Value(1.5).to_display(), "1.5");
}

}  // namespace
}  // namespace retort

#include <gtest/gtest.h>

#include "retort/error.hpp"
#include "retort/value.hpp"

namespace retort {
namespace {

TEST(Timestamp, ParsesIsoAndPostgresForms) {
  const Timestamp t = Timestamp::parse("2026-11-21T05:22:27.123456Z");
  EXPECT_EQ(t.to_string(), "2026-11-21T05:22:27.123456Z");
  EXPECT_EQ(Timestamp::parse("2026-11-21 05:22:27.123456+00"), t);
  EXPECT_EQ(Timestamp::parse("2026-11-21 07:22:27.123456+02:00"), t);
  EXPECT_EQ(Timestamp::parse("2026-11-21T00:52:27.123456-0430"), t);
  EXPECT_EQ(Timestamp::parse("2026-11-21").to_string(), "2026-11-21T00:00:00.000000Z");
  EXPECT_EQ(Timestamp::parse("2026-11-21 05:22").to_string(), "2026-11-21T05:22:00.000000Z");
  EXPECT_EQ(Timestamp::parse("2026-11-21T05:22:27.1Z").to_string(), "2026-11-21T05:22:27.100000Z");
  // More than six fractional digits: truncated to microseconds.
  EXPECT_EQ(Timestamp::parse("2026-11-21T05:22:27.1234567Z").micros() % 1000000, 123456);
}

TEST(Timestamp, BeforeTheEpochPrintsCorrectly) {
  EXPECT_EQ(Timestamp::parse("1969-12-31T23:59:59.999999Z").micros(), -1);
  EXPECT_EQ(Timestamp::from_micros(-1).to_string(), "1969-12-31T23:59:59.999999Z");
}

TEST(Timestamp, RejectsBadInputWithOffset) {
  try {
    Timestamp::parse("2026-02-30T00:00:00Z");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("no such date"), std::string::npos);
  }
  try {
    Timestamp::parse("2026-11-21X05");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.offset(), 10u);
  }
  EXPECT_THROW(Timestamp::parse("2026-11-21T25:00:00Z"), InvalidInput);
  EXPECT_THROW(Timestamp::parse("2026-11-21T05:22:27Zjunk"), InvalidInput);
  EXPECT_THROW(Timestamp::parse("yesterday"), InvalidInput);
}

TEST(Timestamp, TextOrderIsTimeOrder) {
  const Timestamp a = Timestamp::parse("2026-11-21T05:22:27.000001Z");
  const Timestamp b = Timestamp::parse("2026-11-21T05:22:27.1Z");
  EXPECT_LT(a, b);
  EXPECT_LT(a.to_string(), b.to_string());
}

TEST(Timestamp, NowIsCloseToTheSystemClock) {
  const auto sys = std::chrono::system_clock::now();
  const auto diff =
      Timestamp::now().time_point() - std::chrono::time_point_cast<std::chrono::microseconds>(sys);
  EXPECT_LT(std::chrono::abs(diff), std::chrono::seconds(1));
}

}  // namespace
}  // namespace retort

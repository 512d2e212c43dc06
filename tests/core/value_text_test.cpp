#include "core/value_text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace retort {
namespace {

// The same text computed a second, independent way: the C library's calendar (gmtime_r).
std::string reference_text(const Timestamp& ts) {
  const std::int64_t micros = ts.micros();
  std::int64_t seconds = micros / 1'000'000;
  std::int64_t fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    seconds -= 1;
  }
  const auto clock = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&clock, &parts);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<long long>(fraction));
  return text;
}

TEST(ValueText, TimestampsAtTheEdgesOfTheFourDigitYears) {
  std::array<char, 27> buffer{};
  auto text = [&](std::int64_t micros) {
    return std::string(text::format_timestamp(Timestamp::from_micros(micros), buffer));
  };
  EXPECT_EQ(text(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(text(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(text(951'782'400'000'001), "2000-02-29T00:00:00.000001Z");
  EXPECT_EQ(text(-62'167'219'200'000'000), "0000-01-01T00:00:00.000000Z");
  EXPECT_EQ(text(253'402'300'799'999'999), "9999-12-31T23:59:59.999999Z");
  // Outside 0000..9999 the fixed width does not fit: empty, and to_string() takes over.
  EXPECT_EQ(text(253'402'300'800'000'000), "");
  EXPECT_EQ(text(-62'167'219'200'000'001), "");
  EXPECT_EQ(Timestamp::from_micros(253'402'300'800'000'000).to_string(),
            "10000-01-01T00:00:00.000000Z");
}

TEST(ValueText, TimestampsMatchAnIndependentFormatting) {
  std::array<char, 27> buffer{};
  // About 3,000 steps of a little under a year each, landing on varied dates and times.
  for (std::int64_t micros = -30'000'000'000'000'000; micros < 60'000'000'000'000'000;
       micros += 30'000'176'543'219) {
    const Timestamp ts = Timestamp::from_micros(micros);
    EXPECT_EQ(text::format_timestamp(ts, buffer), reference_text(ts)) << micros;
    EXPECT_EQ(ts.to_string(), reference_text(ts)) << micros;
  }
}

TEST(ValueText, UuidsInTheCanonicalForm) {
  std::array<char, 36> buffer{};
  const Uuid id = Uuid::parse("0189F7E1-2B3C-7D4E-8F60-123456789ABC");
  EXPECT_EQ(text::format_uuid(id, buffer), "0189f7e1-2b3c-7d4e-8f60-123456789abc");
  EXPECT_EQ(text::format_uuid(Uuid(), buffer), "00000000-0000-0000-0000-000000000000");
  for (int i = 0; i < 50; ++i) {
    const Uuid random = Uuid::v4();
    EXPECT_EQ(Uuid::parse(text::format_uuid(random, buffer)), random);
  }
}

}  // namespace
}  // namespace retort

// The one duration parser: PostgreSQL's units, the bare-number unit each setting documents, and
// clear refusals.
#include "config/duration.hpp"

#include <gtest/gtest.h>

#include "retort/error.hpp"

namespace retort::config {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

std::optional<milliseconds> ms(std::string_view text) {
  return parse_duration(text, BareNumber::milliseconds);
}
std::optional<milliseconds> sec(std::string_view text) {
  return parse_duration(text, BareNumber::seconds);
}

TEST(Duration, EveryPostgresqlUnit) {
  EXPECT_EQ(ms("250ms"), 250ms);
  EXPECT_EQ(ms("30s"), 30s);
  EXPECT_EQ(ms("5min"), 5min);
  EXPECT_EQ(ms("5m"), 5min);
  EXPECT_EQ(ms("2h"), 2h);
  EXPECT_EQ(ms("7d"), milliseconds(7 * 24 * 3600 * 1000LL));
}

TEST(Duration, BareNumberTakesTheSettingsUnit) {
  EXPECT_EQ(ms("1500"), 1500ms);
  EXPECT_EQ(sec("10"), 10s);
  EXPECT_EQ(ms("0"), 0ms);
  EXPECT_EQ(sec("0"), 0ms);
}

TEST(Duration, SpacesAroundAndBeforeTheUnit) {
  EXPECT_EQ(ms(" 5 s "), 5s);
  EXPECT_EQ(ms("  30d"), milliseconds(30 * 24 * 3600 * 1000LL));
}

TEST(Duration, MalformedIsRefused) {
  for (const char* bad : {"", " ", "s", "-5s", "1.5h", "5 seconds", "5S", "5sec", "1w", "0x10",
                          "5s5", "5 s s", "+5s"}) {
    EXPECT_FALSE(ms(bad).has_value()) << bad;
  }
}

TEST(Duration, AbsurdlyLongIsRefusedNotWrapped) {
  EXPECT_TRUE(ms("36525d").has_value());
  EXPECT_FALSE(ms("36526d").has_value());
  EXPECT_FALSE(ms("99999999999999999999999ms").has_value());
  EXPECT_FALSE(ms("9223372036854775807h").has_value());
}

TEST(Duration, RequireNamesTheSettingAndTheBareUnit) {
  EXPECT_EQ(require_duration("2min", BareNumber::seconds, "--lease"), 2min);
  try {
    require_duration("soon", BareNumber::seconds, "--lease");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--lease: bad duration 'soon'"), std::string::npos) << what;
    EXPECT_NE(what.find("a bare number is seconds"), std::string::npos) << what;
  }
}

TEST(Duration, FormatIsTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(120s), "2min");
  EXPECT_EQ(format_duration(milliseconds(7 * 24 * 3600 * 1000LL)), "7d");
  EXPECT_EQ(format_duration(0ms), "0ms");
  for (const char* text : {"1500ms", "90s", "2min", "3h", "7d"}) {
    EXPECT_EQ(format_duration(*ms(text)), text);
  }
}

}  // namespace
}  // namespace retort::config

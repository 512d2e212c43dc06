#include <gtest/gtest.h>

#include "core/text.hpp"
#include "retort/error.hpp"

namespace retort {
namespace {

TEST(Text, AcceptsValidUtf8) {
  EXPECT_FALSE(text::find_invalid_utf8("plain ascii").has_value());
  EXPECT_FALSE(text::find_invalid_utf8("Grüße, мир, 世界, 🎉").has_value());
  EXPECT_NO_THROW(text::require_valid_text("Grüße", "parameter $1"));
}

TEST(Text, FindsTheFirstInvalidByte) {
  EXPECT_EQ(text::find_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(text::find_invalid_utf8("\xc3"), 0u);              // truncated sequence
  EXPECT_EQ(text::find_invalid_utf8("x\xc0\xaf"), 1u);         // overlong '/'
  EXPECT_EQ(text::find_invalid_utf8("xy\xed\xa0\x80"), 2u);    // UTF-16 surrogate
  EXPECT_EQ(text::find_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(text::find_invalid_utf8("ok\xe2\x82"), 2u);
}

TEST(Text, RefusesNulAndInvalidUtf8NamingFieldAndOffset) {
  try {
    text::require_valid_text(std::string_view("abc\0def", 7), text::parameter_name(2));
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $3");
    EXPECT_EQ(e.offset(), 3u);
    EXPECT_STREQ(e.what(), "invalid parameter $3: text contains a NUL byte at byte 3");
  }
  try {
    text::require_valid_text("caf\xe9", "data");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.offset(), 3u);
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos);
  }
}

TEST(Text, ParametersAreNamedOnlyWhenRefused) {
  EXPECT_TRUE(text::is_valid_text("Grüße"));
  EXPECT_FALSE(text::is_valid_text(std::string_view("a\0b", 3)));
  EXPECT_FALSE(text::is_valid_text("\xff"));
  EXPECT_NO_THROW(text::require_valid_parameter("Grüße", 0));
  try {
    text::require_valid_parameter("ok\xc3", 4);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "parameter $5");
    EXPECT_EQ(e.offset(), 2u);
  }
}

TEST(Text, FindsTheFirstUnescapedNulEscapeInJson) {
  EXPECT_EQ(text::find_json_nul_escape(R"({"a": "no escapes here, much unused"})"), std::nullopt);
  EXPECT_EQ(text::find_json_nul_escape(R"({"a": "x\u0000"})"), 8u);            // the backslash
  EXPECT_EQ(text::find_json_nul_escape(R"({"a": "\\u0000"})"), std::nullopt);  // "\\" + u0000
  EXPECT_EQ(text::find_json_nul_escape(R"({"a": "\\\u0000"})"), 9u);           // "\\" then \u0000
  EXPECT_EQ(text::find_json_nul_escape(R"({"u0000": "\n"})"), std::nullopt);
}

TEST(Text, FindsJsonNestedDeeperThanTheLimit) {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_EQ(text::find_excess_json_nesting(nested(text::kMaxJsonDepth)), std::nullopt);
  EXPECT_EQ(text::find_excess_json_nesting(nested(text::kMaxJsonDepth + 1)), text::kMaxJsonDepth);
  EXPECT_EQ(text::find_excess_json_nesting(R"({"a": [{"b": []}]})", 4), std::nullopt);
  EXPECT_EQ(text::find_excess_json_nesting(R"({"a": [{"b": []}]})", 2), 7u);
  // Brackets inside strings, escaped quotes included, are text.
  EXPECT_EQ(text::find_excess_json_nesting(R"(["[[[", "\"[[[", "\\"])", 1), std::nullopt);
  EXPECT_EQ(text::find_excess_json_nesting(R"(["\"", [1]])", 1), 7u);
}

TEST(Text, PrintableEscapesEverythingThatCouldStartALineOrASequence) {
  EXPECT_EQ(text::printable("app"), "'app'");
  EXPECT_EQ(text::printable("app\nDROP TABLE events; --"), "'app\\nDROP TABLE events; --'");
  EXPECT_EQ(text::printable("a\rb\tc"), "'a\\rb\\tc'");
  EXPECT_EQ(text::printable("it's \\"), "'it\\'s \\\\'");
  EXPECT_EQ(text::printable(std::string_view("n\0l", 3)), "'n\\x00l'");
  EXPECT_EQ(text::printable("\x1b[31mred"), "'\\x1B[31mred'");
  EXPECT_EQ(text::printable("del\x7f"), "'del\\x7F'");
  EXPECT_EQ(text::printable("csi\xc2\x9b"), "'csi\\u009B'");  // C1 control, as UTF-8
  EXPECT_EQ(text::printable("caf\xc3\xa9 \xe9t\xe9"), "'caf\xc3\xa9 \\xE9t\\xE9'");
  EXPECT_EQ(text::printable("*/ -- /*"), "'*/ -- /*'");
  const std::string long_input(1000, 'x');
  EXPECT_EQ(text::printable(long_input), "'" + std::string(200, 'x') + "'...");
  // Whatever the input, the output holds no byte below 0x20 and no DEL.
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  const std::string out = text::printable(every_byte, every_byte.size());
  for (char c : out) {
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << static_cast<int>(c);
  }
}

TEST(Text, FindsTheFirstUnprintableByteWithItsOffsetAndKind) {
  EXPECT_FALSE(text::find_unprintable("Grüße, мир").has_value());
  const auto esc = text::find_unprintable("ab\x1b[2J");
  ASSERT_TRUE(esc.has_value());
  EXPECT_EQ(esc->offset, 2u);
  EXPECT_EQ(esc->description, "the control character U+001B");
  // A C1 control (U+009B, which some terminals read as ESC [) is caught in its UTF-8 form.
  const auto c1 = text::find_unprintable(
      "x\xC2\x9B"
      "2J");
  ASSERT_TRUE(c1.has_value());
  EXPECT_EQ(c1->offset, 1u);
  EXPECT_EQ(c1->description, "the control character U+009B");
  EXPECT_EQ(text::find_unprintable(std::string_view("a\0b", 3))->description,
            "the control character U+0000");
  EXPECT_EQ(text::find_unprintable("ab\xff")->description, "invalid UTF-8");
  EXPECT_EQ(text::find_unprintable("\x7f")->description, "the control character U+007F");
}

TEST(Text, AllowedControlCharactersPassButNoOthers) {
  EXPECT_FALSE(text::find_unprintable("a\tb", "\t").has_value());
  const auto newline = text::find_unprintable("a\tb\nc", "\t");
  ASSERT_TRUE(newline.has_value());
  EXPECT_EQ(newline->offset, 3u);
  // Allowing C0 bytes never lets a C1 control or invalid UTF-8 through.
  EXPECT_TRUE(text::find_unprintable("\xC2\x85", "\x05\x0a").has_value());
  EXPECT_TRUE(text::find_unprintable("\xff", "\t").has_value());
}

}  // namespace
}  // namespace retort

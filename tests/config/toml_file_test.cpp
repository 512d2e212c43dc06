// The one TOML reader (config/toml_file.cpp, config/toml_ascii.cpp): what TOML forbids and toml++
// 3.3 mishandled is refused with FILE:LINE:COL before toml++ sees it, what TOML allows parses to
// the same values from the ASCII rewrite, and a parse error (one toml++ asserted on instead) or an
// unreadable file says where. The cases were found by fuzzing.
#include "config/toml_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort::config {
namespace {

namespace fs = std::filesystem;

class TomlFileTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& bytes) {
    const fs::path file = dir_.path() / "retort.toml";
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  std::string error_of(const std::string& bytes) {
    const fs::path file = write(bytes);
    try {
      parse_toml_file(file);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }

  testing::TempDir dir_;
};

TEST_F(TomlFileTest, ControlCharactersAreRefusedWithTheirPlace) {
  const std::string file = (dir_.path() / "retort.toml").string();
  EXPECT_EQ(error_of("[\x12\x12"
                     "dat#\n"),
            file +
                ":1:2: control character U+0012 is not allowed in TOML (inside a string, "
                "write it as \\u0012)");
  const std::string nul_in_a_string("[database]\nurl = \"sqlite:///a\0.db\"\n", 35);
  EXPECT_NE(error_of(nul_in_a_string).find(":2:19: control character U+0000"), std::string::npos);
  // Columns count characters, not bytes: "é" is two bytes.
  EXPECT_NE(error_of("# é\x7f\n").find(":1:4: control character U+007F"), std::string::npos);
  EXPECT_NE(error_of("[a]\nk = 1\x0b\n").find(":2:6: control character U+000B"), std::string::npos);
}

// toml++ 3.3 reached __builtin_unreachable() on U+00A1..U+0499 outside a string (found by
// fuzzing with U+037F): TOML 1.0 allows no non-ASCII character there, so it is refused first.
TEST_F(TomlFileTest, NonAsciiOutsideStringsAndCommentsIsRefusedWithItsPlace) {
  const std::string file = (dir_.path() / "retort.toml").string();
  EXPECT_EQ(error_of("\xcd\xbf"), file +
                                      ":1:1: a non-ASCII character outside a string or comment "
                                      "(TOML keys are ASCII unless quoted: write \"name\" = "
                                      "..., not name = ...)");
  EXPECT_NE(error_of("[database]\nnam\xc3\xa9 = \"x\"\n").find(":2:4: a non-ASCII character"),
            std::string::npos);
  EXPECT_NE(error_of("[migrations]\nscript_location = \"a\" \xc3\xa9\n").find(":2:23: a non-ASCII"),
            std::string::npos);
}

TEST_F(TomlFileTest, NonAsciiInStringsQuotedKeysAndCommentsParses) {
  const fs::path file = write(
      "# r\xc3\xa9sum\xc3\xa9 \"quoted in a comment\n"
      "[t]\n"
      "\"nam\xc3\xa9\" = \"caf\xc3\xa9 \\\" # not a comment\"\n"
      "'lit\xc3\xa9ral' = 'x # y'\n"
      "ml = \"\"\"\nl\xc3\xadne \"\" two\n\"\"\"\"\n"
      "ml2 = '''\nsay ''\xc3\xa9'' '''''\n"
      "after = \"\xc3\xa9\" # \xc3\xa9\n");
  const toml::table t = parse_toml_file(file);
  EXPECT_EQ(t["t"]["nam\xc3\xa9"].value<std::string>(),
            std::string("caf\xc3\xa9 \" # not a comment"));
  EXPECT_EQ(t["t"]["lit\xc3\xa9ral"].value<std::string>(), std::string("x # y"));
  EXPECT_EQ(t["t"]["ml"].value<std::string>(), std::string("l\xc3\xadne \"\" two\n\""));
  EXPECT_EQ(t["t"]["ml2"].value<std::string>(), std::string("say ''\xc3\xa9'' ''"));
  EXPECT_EQ(t["t"]["after"].value<std::string>(), std::string("\xc3\xa9"));
}

// Valid documents whose non-ASCII characters toml++ 3.3 examined with its broken whitespace test
// (after a line-ending backslash) parse to the same values from the ASCII rewrite, and a
// position toml++ reports on a rewritten line is the file's.
TEST_F(TomlFileTest, RewrittenStringsKeepTheirValuesAndPositions) {
  const fs::path file = write(
      "a = \"\"\"one \\\n    \xcd\xbf two\"\"\"\n"
      "b = '''C:\\dir\\\"q\" \xf0\x9f\x98\x80'''\n"
      "c = 'x\\y'\n"
      "t = {k = \"\xc3\xa9\", n = 5}\n");
  const toml::table t = parse_toml_file(file);
  EXPECT_EQ(t["a"].value<std::string>(), std::string("one \xcd\xbf two"));
  EXPECT_EQ(t["b"].value<std::string>(), std::string("C:\\dir\\\"q\" \xf0\x9f\x98\x80"));
  EXPECT_EQ(t["c"].value<std::string>(), std::string("x\\y"));
  const toml::node* n = t["t"]["n"].node();
  ASSERT_NE(n, nullptr);
  try {
    fail_at(file, n->source(), "n is wrong");
    ADD_FAILURE() << "fail_at returned";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ":5:19: n is wrong");
  }
  EXPECT_NE(error_of("a = \"\\\xc3\xa9\"\n").find(":1:7: a backslash before a non-ASCII character"),
            std::string::npos);
  EXPECT_NE(error_of("# \xff\n").find(":1:3: invalid UTF-8"), std::string::npos);
  EXPECT_NE(error_of("a = \"\xed\xa0\x80\"\n").find(":1:6: invalid UTF-8"), std::string::npos);
}

TEST_F(TomlFileTest, WhatTomlAllowsStillParses) {
  const fs::path file = write("# a comment\twith a tab\r\n[database]\r\nurl = \"x\\u0001y\"\r\n");
  const toml::table t = parse_toml_file(file);
  EXPECT_EQ(t["database"]["url"].value<std::string>(), std::string("x\x01y"));
}

TEST_F(TomlFileTest, ParseErrorsAndUnreadableFilesSayWhere) {
  const std::string file = (dir_.path() / "retort.toml").string();
  const std::string bad = error_of("[database]\nurl = \n");
  EXPECT_EQ(bad.rfind(file + ":2:", 0), 0u) << bad;
  // toml++ asserted on this one in debug builds instead of reporting it (found by fuzzing).
  const std::string dotted = error_of("[.database]\nurl = \"sqlite:///app.db\"\n");
  EXPECT_EQ(
      dotted.rfind(file + ":1:2: Error while parsing key: expected bare key starting character", 0),
      0u)
      << dotted;
  const std::string missing = (dir_.path() / "missing.toml").string();
  try {
    parse_toml_file(missing);
    ADD_FAILURE() << "a missing file parsed";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read " + missing + ": No such file or directory");
  }
}

}  // namespace
}  // namespace retort::config

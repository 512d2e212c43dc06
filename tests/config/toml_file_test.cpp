// The one TOML reader (config/toml_file.cpp): control characters TOML forbids are refused with
// FILE:LINE:COL before toml++ sees them (toml++ 3.3 asserted on one in a table header: found by
// fuzzing), what TOML allows still parses, and a parse error or an unreadable file says where.
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

TEST_F(TomlFileTest, WhatTomlAllowsStillParses) {
  const fs::path file = write("# a comment\twith a tab\r\n[database]\r\nurl = \"x\\u0001y\"\r\n");
  const toml::table t = parse_toml_file(file);
  EXPECT_EQ(t["database"]["url"].value<std::string>(), std::string("x\x01y"));
}

TEST_F(TomlFileTest, ParseErrorsAndUnreadableFilesSayWhere) {
  const std::string file = (dir_.path() / "retort.toml").string();
  const std::string bad = error_of("[database]\nurl = \n");
  EXPECT_EQ(bad.rfind(file + ":2:", 0), 0u) << bad;
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

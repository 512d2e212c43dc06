#include "config/toml_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort::config {
namespace {

// TOML allows no control character but tab, and CR and LF as line ends, anywhere in a document
// (strings write them as escapes). toml++ 3.3 trips an internal assertion on some of them in
// a table header instead of reporting an error (found by fuzzing), so they are refused here,
// with the place, before it parses.
bool is_refused_control(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

void refuse_control_characters(const std::filesystem::path& file, std::string_view text) {
  std::size_t line = 1;
  std::size_t column = 1;  // in characters: UTF-8 continuation bytes do not advance it
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_refused_control(c)) {
      throw ConfigError(fmt::format(
          "{}:{}:{}: control character U+{:04X} is not allowed in TOML (inside a string, write "
          "it as \\u{:04X})",
          file.string(), line, column, c, c));
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
}

}  // namespace

void fail_at(const std::filesystem::path& file, const toml::source_region& where,
             std::string_view message) {
  throw ConfigError(
      fmt::format("{}:{}:{}: {}", file.string(), where.begin.line, where.begin.column, message));
}

toml::table parse_toml_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    throw ConfigError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  refuse_control_characters(file, text);
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    fail_at(file, e.source(), e.description());
  }
}

}  // namespace retort::config

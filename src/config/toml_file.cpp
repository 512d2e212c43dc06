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

// What toml++ 3.3 must never be given, found by fuzzing, checked here with the place first:
// - a control character other than tab, CR and LF (TOML allows none anywhere; strings write them
//   as escapes): on some of them in a table header toml++ reached an internal assertion;
// - a non-ASCII character outside a string or comment (TOML 1.0 allows none there: bare keys are
//   ASCII): on U+00A1..U+0499 there, toml++'s whitespace test reaches __builtin_unreachable(),
//   undefined behaviour in a release build.
class Prescan {
 public:
  Prescan(const std::filesystem::path& file, std::string_view text) : file_(file), text_(text) {}

  void run() {
    while (i_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[i_]);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        fail(
            fmt::format("control character U+{:04X} is not allowed in TOML (inside a string, "
                        "write it as \\u{:04X})",
                        c, c));
      }
      if (state_ == State::structure) {
        structure(c);
      } else {
        inside(c);
      }
    }
  }

 private:
  enum class State { structure, comment, basic, multiline_basic, literal, multiline_literal };

  void structure(unsigned char c) {
    if (c >= 0x80) {
      fail(
          "a non-ASCII character outside a string or comment (TOML keys are ASCII unless "
          "quoted: write \"name\" = ..., not name = ...)");
    }
    if (c == '#') {
      state_ = State::comment;
    } else if (c == '"') {
      state_ = run_of('"') >= 3 ? State::multiline_basic : State::basic;
      if (state_ == State::multiline_basic) return advance(3);
    } else if (c == '\'') {
      state_ = run_of('\'') >= 3 ? State::multiline_literal : State::literal;
      if (state_ == State::multiline_literal) return advance(3);
    }
    advance(1);
  }

  // Inside a comment or string: only its end matters. An unterminated one ends at the line's end
  // (toml++ reports it); a multi-line string's closing quotes may be preceded by one or two
  // quotes of its content, so the whole run of quotes is taken.
  void inside(unsigned char c) {
    const bool basic = state_ == State::basic || state_ == State::multiline_basic;
    const bool multiline = state_ == State::multiline_basic || state_ == State::multiline_literal;
    if (c == '\n' && !multiline) {
      state_ = State::structure;
    } else if (basic && c == '\\' && i_ + 1 < text_.size() && text_[i_ + 1] != '\n') {
      return advance(2);  // an escape: \" does not end the string
    } else if (state_ == State::comment) {
    } else if (c == (basic ? '"' : '\'')) {
      const std::size_t quotes = run_of(static_cast<char>(c));
      if (!multiline) {
        state_ = State::structure;
      } else if (quotes >= 3) {
        state_ = State::structure;
        return advance(quotes);
      }
    }
    advance(1);
  }

  std::size_t run_of(char quote) const {
    std::size_t n = 0;
    while (i_ + n < text_.size() && text_[i_ + n] == quote) ++n;
    return n;
  }

  void advance(std::size_t bytes) {
    for (std::size_t k = 0; k < bytes && i_ < text_.size(); ++k, ++i_) {
      const auto c = static_cast<unsigned char>(text_[i_]);
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((c & 0xC0) != 0x80) {  // columns count characters, not UTF-8 bytes
        ++column_;
      }
    }
  }

  [[noreturn]] void fail(std::string_view message) const {
    throw ConfigError(fmt::format("{}:{}:{}: {}", file_.string(), line_, column_, message));
  }

  const std::filesystem::path& file_;
  std::string_view text_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  State state_ = State::structure;
};

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
  Prescan(file, text).run();
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    fail_at(file, e.source(), e.description());
  }
}

}  // namespace retort::config

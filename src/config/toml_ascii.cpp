#include "config/toml_ascii.hpp"

#include <utility>

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort::config {
namespace {

// The code point at s[i] and the number of its bytes; 0 bytes when they are not valid UTF-8
// (overlong forms, surrogates and values above U+10FFFF included).
std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  char32_t c = 0;
  char32_t least = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, c = lead & 0x1Fu, least = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, c = lead & 0x0Fu, least = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, c = lead & 0x07u, least = 0x10000;
  } else {
    return {0, 0};
  }
  if (i + length > s.size()) return {0, 0};
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return {0, 0};
    c = (c << 6) | (byte(k) & 0x3Fu);
  }
  if (c < least || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return {0, 0};
  return {c, length};
}

class Transcriber {
 public:
  Transcriber(std::string_view text, std::string_view where) : in_(text), where_(where) {
    out_.columns.emplace_back();
  }

  AsciiToml run() && {
    while (i_ < in_.size()) step();
    return std::move(out_);
  }

 private:
  enum class State { structure, comment, basic, multiline_basic, literal, multiline_literal };

  void step() {
    const auto c = static_cast<unsigned char>(in_[i_]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      fail(fmt::format(
          "control character U+{:04X} is not allowed in TOML (inside a string, write it as "
          "\\u{:04X})",
          c, c));
    }
    if (c >= 0x80) return non_ascii();
    switch (state_) {
      case State::structure:
        return structure(static_cast<char>(c));
      case State::comment:
        if (c == '\n') state_ = State::structure;
        return copy(1);
      case State::basic:
      case State::multiline_basic:
        return basic(static_cast<char>(c));
      case State::literal:
      case State::multiline_literal:
        return literal(static_cast<char>(c));
    }
  }

  void structure(char c) {
    if (c == '#') {
      state_ = State::comment;
    } else if (c == '"' && run_of('"') >= 3) {
      state_ = State::multiline_basic;
      return copy(3);
    } else if (c == '"') {
      state_ = State::basic;
    } else if (c == '\'' && run_of('\'') >= 3) {
      state_ = State::multiline_literal;
      return replace(3, "\"\"\"");
    } else if (c == '\'') {
      state_ = State::literal;
      return replace(1, "\"");
    }
    copy(1);
  }

  // An unterminated single-line string ends at the line's end (toml++ reports it). A
  // multi-line string's closing quotes may come after one or two quotes of its content.
  void basic(char c) {
    const bool multiline = state_ == State::multiline_basic;
    if (escaped_) {
      // The character after a backslash (checked like any other first): \" does not end the
      // string; toml++ judges the escape, or a line-ending backslash.
      escaped_ = false;
      if (c == '\n' && !multiline) state_ = State::structure;
      return copy(1);
    }
    if (c == '\\') {
      escaped_ = true;
      return copy(1);
    }
    if (c == '\n' && !multiline) state_ = State::structure;
    if (c == '"' && !multiline) {
      state_ = State::structure;
    } else if (c == '"' && run_of('"') >= 3) {
      state_ = State::structure;
      return copy(run_of('"'));
    }
    copy(1);
  }

  void literal(char c) {
    const bool multiline = state_ == State::multiline_literal;
    if (c == '\'' && !multiline) {
      state_ = State::structure;
      return replace(1, "\"");
    }
    if (c == '\'' && run_of('\'') >= 3) {
      const std::size_t quotes = run_of('\'');
      state_ = State::structure;
      return replace(quotes, std::string(quotes - 3, '\'') + "\"\"\"");
    }
    if (c == '\n' && !multiline) state_ = State::structure;
    if (c == '\\') return replace(1, "\\\\");
    if (c == '"') return replace(1, "\\\"");
    copy(1);
  }

  void non_ascii() {
    const auto [code, length] = decode(in_, i_);
    if (length == 0) fail("invalid UTF-8");
    if (escaped_) fail("a backslash before a non-ASCII character is not a TOML escape");
    switch (state_) {
      case State::structure:
        fail(
            "a non-ASCII character outside a string or comment (TOML keys are ASCII unless "
            "quoted: write \"name\" = ..., not name = ...)");
      case State::comment:
        return replace(length, "?");
      default:
        return replace(length, code <= 0xFFFF ? fmt::format("\\u{:04X}", std::uint32_t{code})
                                              : fmt::format("\\U{:08X}", std::uint32_t{code}));
    }
  }

  std::size_t run_of(char quote) const {
    std::size_t n = 0;
    while (i_ + n < in_.size() && in_[i_ + n] == quote) ++n;
    return n;
  }

  // Copies `bytes` bytes of the input (ASCII: the callers checked).
  void copy(std::size_t bytes) {
    for (std::size_t k = 0; k < bytes && i_ < in_.size(); ++k) {
      const char c = in_[i_];
      emit(c);
      advance(1, c == '\n');
    }
  }

  // Writes `text` in place of the next `bytes` bytes, which are one character (or a run of
  // quotes, each its own column in both).
  void replace(std::size_t bytes, std::string_view text) {
    for (const char c : text) emit(c);
    advance(bytes, false);
  }

  void emit(char c) {
    if (c == '\n') {
      out_.columns.emplace_back();
    } else {
      out_.columns.back().push_back(static_cast<std::uint32_t>(column_));
    }
    out_.text.push_back(c);
  }

  void advance(std::size_t bytes, bool newline) {
    if (newline) {
      ++line_;
      column_ = 1;
    } else {
      // Columns count characters: a run of ASCII quotes is `bytes` columns, a UTF-8 sequence one.
      column_ += static_cast<unsigned char>(in_[i_]) < 0x80 ? bytes : 1;
    }
    i_ += bytes;
  }

  [[noreturn]] void fail(std::string_view message) const {
    throw ConfigError(fmt::format("{}:{}:{}: {}", where_, line_, column_, message));
  }

  std::string_view in_;
  std::string_view where_;
  AsciiToml out_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  State state_ = State::structure;
  bool escaped_ = false;  // in a basic string, the last character was a backslash
};

}  // namespace

std::uint32_t AsciiToml::original_column(std::uint32_t line, std::uint32_t column) const {
  if (line == 0 || line > columns.size() || column == 0) return column;
  const std::vector<std::uint32_t>& map = columns[line - 1];
  if (column <= map.size()) return map[column - 1];
  // Past the line's last character (its end): one past the last one's original column.
  return map.empty() ? column : map.back() + (column - static_cast<std::uint32_t>(map.size()));
}

AsciiToml ascii_toml(std::string_view document, std::string_view where) {
  return Transcriber(document, where).run();
}

}  // namespace retort::config

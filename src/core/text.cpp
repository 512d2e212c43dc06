#include "core/text.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>

#include "retort/error.hpp"

namespace retort::text {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not valid (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF).
std::size_t valid_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  const std::size_t left = s.size() - i;
  const auto cont = [&](std::size_t k) { return (byte(i + k) & 0xC0) == 0x80; };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    const unsigned char b1 = byte(i + 1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    const unsigned char b1 = byte(i + 1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept {
  // The SIMD check answers the common case (valid) fast; the scalar scan finds the offset.
  if (simdjson::validate_utf8(text.data(), text.size())) return std::nullopt;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = valid_sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

std::optional<UnprintableByte> find_unprintable(std::string_view text, std::string_view allowed) {
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t n = valid_sequence_length(text, i);
    if (n == 0) return UnprintableByte{i, "invalid UTF-8"};
    const bool c1 = byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
    const bool c0 = byte < 0x20 || byte == 0x7F;
    if ((c0 && allowed.find(text[i]) == std::string_view::npos) || c1) {
      const unsigned code = c1 ? static_cast<unsigned char>(text[i + 1]) : byte;
      return UnprintableByte{i, fmt::format("the control character U+{:04X}", code)};
    }
    i += n;
  }
  return std::nullopt;
}

bool is_valid_text(std::string_view text) noexcept {
  return std::memchr(text.data(), '\0', text.size()) == nullptr &&
         !find_invalid_utf8(text).has_value();
}

void require_valid_parameter(std::string_view text, std::size_t zero_based_index) {
  if (!is_valid_text(text)) require_valid_text(text, parameter_name(zero_based_index));
}

void require_valid_text(std::string_view text, std::string_view field) {
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const auto offset = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
    throw InvalidInput(std::string(field), "text contains a NUL byte", offset);
  }
  if (auto bad = find_invalid_utf8(text)) {
    throw InvalidInput(std::string(field), "text is not valid UTF-8", *bad);
  }
}

std::optional<std::size_t> find_excess_json_nesting(std::string_view json,
                                                    std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> find_json_nul_escape(std::string_view json) noexcept {
  // Most documents hold no escape at all: one scan for a backslash settles them (searching for
  // "u0000" instead stops at every 'u' of ordinary text).
  if (json.find('\\') == std::string_view::npos) return std::nullopt;
  for (std::size_t at = json.find("u0000"); at != std::string_view::npos;
       at = json.find("u0000", at + 1)) {
    std::size_t backslashes = 0;
    for (std::size_t i = at; i > 0 && json[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 == 1) return at - 1;
  }
  return std::nullopt;
}

std::string printable(std::string_view text, std::size_t max_bytes) {
  const bool cut = text.size() > max_bytes;
  if (cut) text = text.substr(0, max_bytes);
  std::string out = "'";
  std::size_t i = 0;
  while (i < text.size()) {
    // Valid UTF-8 sequences pass whole; a bad byte is escaped and the scan resumes after it.
    const std::optional<std::size_t> bad = find_invalid_utf8(text.substr(i));
    const std::size_t good_end = bad ? i + *bad : text.size();
    for (; i < good_end; ++i) {
      const char c = text[i];
      const auto byte = static_cast<unsigned char>(c);
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\'':
          out += "\\'";
          break;
        case '\\':
          out += "\\\\";
          break;
        default:
          if (byte < 0x20 || byte == 0x7F) {
            out += fmt::format("\\x{:02X}", byte);
          } else if (byte == 0xC2 && i + 1 < good_end &&
                     static_cast<unsigned char>(text[i + 1]) < 0xA0) {
            // U+0080..U+009F: C1 controls, which some terminals obey (CSI is U+009B).
            out += fmt::format("\\u{:04X}", static_cast<unsigned char>(text[++i]));
          } else {
            out.push_back(c);
          }
      }
    }
    if (i < text.size()) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(text[i]));
      ++i;
    }
  }
  out += cut ? "'..." : "'";
  return out;
}

std::string parameter_name(std::size_t zero_based_index) {
  return fmt::format("parameter ${}", zero_based_index + 1);
}

}  // namespace retort::text

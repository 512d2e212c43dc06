#include "migrate/script/checksum.hpp"

#include <cctype>
#include <cstdint>
#include <vector>

#include "migrate/script/lines.hpp"
#include "migrate/script/sha256.hpp"

namespace retort::migrate {
namespace {

using detail::is_blank;
using detail::split_lines;
using detail::trim;

// The first `digits` hex digits of the text's SHA-256 (the v2 halves are 128 bits each).
std::string digest(std::string_view text, std::size_t digits = 64) {
  return Sha256::hex(text).substr(0, digits);
}

bool is_space(char c) {
  return is_blank(c) || c == '\n';
}
bool is_word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '.' || c == '\'' || c == '"' || c == '`' || u >= 0x80;
}
bool is_operator_char(char c) {
  return std::string_view("+-*/<>=~!@#%^&|?:").find(c) != std::string_view::npos;
}
// Whitespace between a and b is kept (as one space) only where removing it could join two
// tokens into one: two word characters (quotes count: 'a' 'b' is not 'a''b') or two operators.
bool separates(char a, char b) {
  return (is_word_char(a) && is_word_char(b)) || (is_operator_char(a) && is_operator_char(b));
}

// The end of a quoted token starting at `begin` (the quote), doubled quotes escaping it;
// backslashes escape too in an E'...' string. An unterminated one runs to the end.
std::size_t quoted_end(std::string_view s, std::size_t begin, bool backslash_escapes) {
  const char quote = s[begin];
  std::size_t i = begin + 1;
  while (i < s.size()) {
    if (backslash_escapes && s[i] == '\\') {
      i += 2;
    } else if (s[i] == quote) {
      if (i + 1 < s.size() && s[i + 1] == quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return s.size();
}

// $tag$...$tag$ starting at `begin`, or npos when the '$' does not open one ($1, a$b).
std::size_t dollar_quoted_end(std::string_view s, std::size_t begin) {
  if (begin > 0 && is_word_char(s[begin - 1]) && s[begin - 1] != '\'' && s[begin - 1] != '"') {
    return std::string_view::npos;
  }
  std::size_t i = begin + 1;
  while (i < s.size() && s[i] != '$' &&
         (std::isalnum(static_cast<unsigned char>(s[i])) != 0 || s[i] == '_' ||
          static_cast<unsigned char>(s[i]) >= 0x80)) {
    if (i == begin + 1 && s[i] >= '0' && s[i] <= '9') return std::string_view::npos;
    ++i;
  }
  if (i >= s.size() || s[i] != '$') return std::string_view::npos;
  const std::string_view tag = s.substr(begin, i - begin + 1);
  const std::size_t close = s.find(tag, i + 1);
  return close == std::string_view::npos ? s.size() : close + tag.size();
}

std::size_t block_comment_end(std::string_view s, std::size_t begin) {
  int depth = 0;
  std::size_t i = begin;
  while (i + 1 < s.size()) {
    if (s[i] == '/' && s[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (s[i] == '*' && s[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return s.size();
}

struct Parts {
  std::string header;
  std::string sql;
};

// The first line, header lines and section markers (trimmed, blank lines dropped) on one side;
// each section's normalised SQL, after its marker's number, on the other.
Parts split_parts(std::string_view content) {
  Parts parts;
  std::string section;
  int markers = 0;
  const auto flush = [&] {
    if (markers == 0) return;
    parts.sql += std::to_string(markers) + ":" + normalize_sql_for_checksum(section) + "\n";
    section.clear();
  };
  for (std::string_view line : split_lines(content)) {
    const std::string_view t = trim(line);
    if (t.substr(0, 4) == "-- +") {
      flush();
      ++markers;
      parts.header.append(t).push_back('\n');
    } else if (markers > 0) {
      section.append(line).push_back('\n');
    } else if (!t.empty()) {
      parts.header.append(t).push_back('\n');
    }
  }
  flush();
  return parts;
}

}  // namespace

std::string normalize_sql_for_checksum(std::string_view s) {
  std::string out;
  bool space = false;  // whitespace or a comment since the last token character
  const auto emit = [&](std::string_view piece) {
    if (space && !out.empty() && separates(out.back(), piece.front())) out.push_back(' ');
    space = false;
    out.append(piece);
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    if (is_space(c)) {
      space = true;
      ++i;
    } else if (c == '-' && next == '-') {
      const std::size_t end = s.find('\n', i);
      i = end == std::string_view::npos ? s.size() : end;
      space = true;
    } else if (c == '/' && next == '*') {
      i = block_comment_end(s, i);
      space = true;
    } else if (c == '\'' || c == '"' || c == '`') {
      const bool e_string = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                            (i < 2 || !is_word_char(s[i - 2]));
      const std::size_t end = quoted_end(s, i, e_string);
      emit(s.substr(i, end - i));
      i = end;
    } else if (const std::size_t end = c == '$' ? dollar_quoted_end(s, i) : std::string_view::npos;
               end != std::string_view::npos) {
      emit(s.substr(i, end - i));
      i = end;
    } else {
      emit(s.substr(i, 1));
      ++i;
    }
  }
  return out;
}

std::string revision_checksum(std::string_view content) {
  // Whitespace at the end of the file never counts, even when the last section ends inside an
  // unclosed quote, dollar quote or /* comment, where it would otherwise be part of the token
  // (found by fuzzing). For every other file this changes nothing: trailing whitespace there
  // already normalises away.
  while (!content.empty() && is_space(content.back())) content.remove_suffix(1);
  const Parts parts = split_parts(content);
  return "v2:" + digest(parts.header, 32) + "." + digest(parts.sql, 32);
}

std::string revision_checksum_v1(std::string_view content) {
  std::vector<std::string_view> lines = split_lines(content);
  for (std::string_view& line : lines) {
    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string normalised;
  for (std::string_view line : lines) normalised.append(line).push_back('\n');
  return "v1:" + digest(normalised);
}

bool checksum_matches(std::string_view recorded, const Revision& revision) {
  if (recorded.substr(0, 3) == "v1:" && !revision.checksum_v1.empty()) {
    return recorded == revision.checksum_v1;
  }
  return recorded == revision.checksum;
}

std::string describe_checksum_change(std::string_view recorded, const Revision& revision) {
  if (checksum_matches(recorded, revision)) return {};
  const std::string_view now = revision.checksum;
  constexpr std::size_t kHalf = 32;  // hex digits of each part
  const bool both_v2 = recorded.substr(0, 3) == "v2:" && now.substr(0, 3) == "v2:" &&
                       recorded.size() == now.size() && now.size() == 3 + 2 * kHalf + 1;
  if (!both_v2) {
    return recorded.substr(0, 3) == "v1:"
               ? "recorded as a v1 checksum, which also counts comments and whitespace: the kind "
                 "of change cannot be told (if only those changed, `retort verify --accept` "
                 "records a v2 checksum)"
               : "a different kind of checksum (the revision changed between SQL and C++?)";
  }
  const bool header = recorded.substr(3, kHalf) != now.substr(3, kHalf);
  const bool sql = recorded.substr(4 + kHalf) != now.substr(4 + kHalf);
  if (header && sql) return "its header lines or section markers and its SQL changed";
  if (header) return "its header lines or section markers changed (the SQL did not)";
  return "its SQL changed (beyond comments and whitespace)";
}

}  // namespace retort::migrate

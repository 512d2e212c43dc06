#include "migrate/graph/identifier_syntax.hpp"

#include <limits>

namespace retort::migrate::syntax {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// (\w+)?((?:\+|-)\d+) at `pos`. The greedy \w+ only needs its longest run tried: a shorter
// run would leave a word character where the sign must be.
std::optional<RelativeTarget> match_tail(std::string_view text, std::size_t pos) {
  std::size_t sign = pos;
  while (sign < text.size() && is_word(text[sign])) {
    ++sign;
  }
  if (sign + 1 >= text.size() || (text[sign] != '+' && text[sign] != '-') ||
      !is_digit(text[sign + 1])) {
    return std::nullopt;
  }
  std::size_t end = sign + 1;
  while (end < text.size() && is_digit(text[end])) {
    ++end;
  }
  RelativeTarget out;
  if (sign > pos) {
    out.symbol = std::string(text.substr(pos, sign - pos));
  }
  out.relative = std::string(text.substr(sign, end - sign));
  return out;
}

}  // namespace

std::optional<long long> python_int(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) {
    ++begin;
  }
  while (end > begin && is_space(text[end - 1])) {
    --end;
  }
  bool negative = false;
  if (begin < end && (text[begin] == '+' || text[begin] == '-')) {
    negative = text[begin] == '-';
    ++begin;
  }
  if (begin == end) {
    return std::nullopt;
  }
  constexpr long long kMax = std::numeric_limits<long long>::max();
  long long value = 0;
  bool previous_digit = false;
  for (std::size_t i = begin; i < end; ++i) {
    const char c = text[i];
    if (c == '_') {
      if (!previous_digit || i + 1 == end) {
        return std::nullopt;  // "_1", "1__2", "1_"
      }
      previous_digit = false;
      continue;
    }
    if (!is_digit(c)) {
      return std::nullopt;
    }
    previous_digit = true;
    const int digit = c - '0';
    value = value > (kMax - digit) / 10 ? kMax : value * 10 + digit;
  }
  return negative ? -value : value;
}

std::optional<RelativeTarget> match_relative(std::string_view text) {
  // (?:(.+?)@)? is tried first, shortest label first; '.' does not match a newline.
  for (std::size_t at = 1; at < text.size() && text[at - 1] != '\n'; ++at) {
    if (text[at] != '@') {
      continue;
    }
    if (auto tail = match_tail(text, at + 1)) {
      tail->branch_label = std::string(text.substr(0, at));
      return tail;
    }
  }
  return match_tail(text, 0);
}

}  // namespace retort::migrate::syntax

#include "config/duration.hpp"

#include <array>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort::config {
namespace {

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
// 100 years: far beyond any timeout or retention, far below int64 milliseconds' range.
constexpr std::int64_t kLongest = 36'525 * kDay;

constexpr std::array<std::pair<std::string_view, std::int64_t>, 6> kUnits{
    {{"ms", 1}, {"s", kSecond}, {"min", kMinute}, {"m", kMinute}, {"h", kHour}, {"d", kDay}}};

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::optional<std::int64_t> unit_factor(std::string_view unit, BareNumber bare) {
  if (unit.empty()) return bare == BareNumber::seconds ? kSecond : 1;
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return factor;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, BareNumber bare) {
  text = trimmed(text);
  std::size_t i = 0;
  std::int64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > kLongest) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  const auto factor = unit_factor(trimmed(text.substr(i)), bare);
  if (!factor || value > kLongest / *factor) return std::nullopt;
  return std::chrono::milliseconds(value * *factor);
}

std::chrono::milliseconds require_duration(std::string_view text, BareNumber bare,
                                           std::string_view what) {
  if (auto parsed = parse_duration(text, bare)) return *parsed;
  throw ConfigError(fmt::format(
      "{}: bad duration '{}' (expected a whole number with a unit: ms, s, min, h or d, e.g. "
      "\"500ms\", \"30s\", \"5min\", \"7d\"; a bare number is {})",
      what, text, bare == BareNumber::seconds ? "seconds" : "milliseconds"));
}

std::string format_duration(std::chrono::milliseconds duration) {
  const std::int64_t ms = duration.count();
  for (auto [name, factor] : {std::pair{"d", kDay}, std::pair{"h", kHour},
                              std::pair{"min", kMinute}, std::pair{"s", kSecond}}) {
    if (ms != 0 && ms % factor == 0) return fmt::format("{}{}", ms / factor, name);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace retort::config

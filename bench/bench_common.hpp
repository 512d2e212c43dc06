// What the benchmark executables share: the reference payload, COPY text escaping, argument
// parsing helpers and the clock.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/core.h>

namespace retort::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The deadline S seconds after start.
inline Clock::time_point deadline_after(Clock::time_point start, double seconds) {
  return start +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// The reference payload (seed_repo.py's payload(i) as json.dumps writes it), with fixed-width
// numbers so that every row, and the anchors' copy of it, has the same size (571-572 bytes).
inline std::string payload(std::int64_t i) {
  const std::int64_t n = 1000000000 + i % 1000000000;
  return fmt::format(
      R"({{"type": "ticket.created", "source": "helpdesk", "ticket": {{"id": {0}, "subject": "Order {0} has not arrived", "body": "{1}{1}{1}{1}", "customer": {{"email": "user{0}@example.com", "name": "Jane Doe", "tier": "{2}"}}, "tags": ["shipping", "delay"], "priority": {3}}}}})",
      n, "Hello, I ordered a blue kettle two weeks ago and it has still not arrived. ",
      i % 2 == 0 ? "free" : "pro", i % 4);
}

// The document ../shared/anchors/ingest/sqlite_floor.c stores for event i, byte for byte: the
// same event written compactly (about 520 bytes), since the floor formats its own rather than
// taking the reference payload. Comparing with the floor on these gives both sides the same bytes.
inline std::string floor_payload(std::int64_t i) {
  const auto n = static_cast<int>(i);
  return fmt::format(
      R"({{"type":"ticket.created","source":"helpdesk","ticket":{{"id":{0},"subject":"Order {0} has not arrived","body":"{1}{1}{1}{1}","customer":{{"email":"user{0}@example.com","name":"Jane Doe","tier":"pro"}},"tags":["shipping","delay"],"priority":{2}}}}})",
      n, "Hello, I ordered a blue kettle two weeks ago and it has still not arrived. ", n % 4);
}

// Appends field in COPY text format: backslash, tab, newline and carriage return escaped.
inline void append_copy_field(std::string& out, std::string_view field) {
  for (char c : field) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

// A non-negative integer argument, or nullopt-like failure reported through fail(message).
template <class Fail>
std::int64_t parse_count(std::string_view flag, std::string_view text, Fail&& fail) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    fail(fmt::format("{}: expected a non-negative integer, got '{}'", flag, text));
  return value;
}

// A positive number of seconds.
template <class Fail>
double parse_seconds(std::string_view flag, std::string_view text, Fail&& fail) {
  const std::string s(text);
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !(value > 0))
    fail(fmt::format("{}: expected a positive number, got '{}'", flag, text));
  return value;
}

}  // namespace retort::bench

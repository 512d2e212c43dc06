// The process logger: lines on stderr, every line scrubbed of registered secrets.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace retort::log {

enum class Level { debug, info, warn, error, off };

void set_level(Level level);
Level level() noexcept;

// text: "info message" (coloured on a terminal unless NO_COLOR is set); json: one object per
// line, {"time": "2026-12-07T06:40:00.123Z", "level": "info", "message": "..."}, for services
// that ship their logs to a collector.
enum class Format { text, json };
void set_format(Format format);

// The JSON line (with its newline) that `json` format writes for one message.
std::string json_line(Level level, std::string_view message);
Format format() noexcept;

// Whether stderr is a terminal that may be coloured: isatty(2) and NO_COLOR unset or empty
// (https://no-color.org).
bool stderr_is_colour_terminal() noexcept;
// Writes one line (after redact::scrub) if level is enabled.
void write(Level level, std::string_view message);

// Sends lines (already scrubbed) to sink instead of stderr; an empty function restores stderr.
// For tests that check what was logged, and for embedding applications with their own logger.
using Sink = std::function<void(Level level, const std::string& line)>;
void set_sink(Sink sink);

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::debug) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::info) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::warn) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::error) write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace retort::log

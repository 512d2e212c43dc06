// The process logger: spdlog on stderr, every line scrubbed of registered secrets.
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

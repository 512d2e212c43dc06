#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "core/redact.hpp"

namespace retort::log {
namespace {

std::atomic<Level> g_level{Level::warn};
std::atomic<Format> g_format{Format::text};
std::mutex g_sink_mutex;
Sink g_sink;

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warning";
    case Level::error:
      return "error";
    case Level::off:
      break;
  }
  return "off";
}

// The text format's line: the level's name, coloured on a colour terminal, then the message.
// Written directly rather than through a logging library: linking one cost every retort
// process a shared object and about 1,200 symbol look-ups at start-up (docs/benchmarks.md).
const char* level_colour(Level level) {
  switch (level) {
    case Level::debug:
      return "\033[36m";  // cyan
    case Level::info:
      return "\033[32m";  // green
    case Level::warn:
      return "\033[33m\033[1m";  // bold yellow
    case Level::error:
      return "\033[31m\033[1m";  // bold red
    case Level::off:
      break;
  }
  return "";
}

std::string text_line(Level level, std::string_view message, bool colour) {
  std::string out;
  out.reserve(message.size() + 24);
  if (colour) out += level_colour(level);
  out += level_name(level);
  if (colour) out += "\033[m";
  out.push_back(' ');
  out += message;
  out.push_back('\n');
  return out;
}

// A JSON string: quotes, backslashes and control characters escaped (the message is UTF-8
// already: every line passed redaction, which works on text).
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\u{:04x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

std::string json_line(Level level, std::string_view message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::string out = fmt::format(
      "{{\"time\": \"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\", \"level\": \"{}\", "
      "\"message\": ",
      utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis,
      level_name(level));
  append_json_string(out, message);
  out += "}\n";
  return out;
}

bool stderr_is_colour_terminal() noexcept {
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDERR_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
}

void set_format(Format format) {
  g_format.store(format);
}

Format format() noexcept {
  return g_format.load(std::memory_order_relaxed);
}

void set_level(Level level) {
  g_level.store(level);
}

void set_sink(Sink sink) {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(sink);
}

Level level() noexcept {
  return g_level.load(std::memory_order_relaxed);
}

void write(Level at, std::string_view message) {
  if (at < level() || at == Level::off) return;
  std::string line = redact::scrub(message);
  {
    std::lock_guard lock(g_sink_mutex);
    if (g_sink) {
      g_sink(at, line);
      return;
    }
    // stderr, so stdout stays clean for command output (JSON Lines, SQL); one write per line,
    // under the lock, so lines from several threads do not interleave.
    static const bool colour = stderr_is_colour_terminal();
    const std::string out =
        g_format.load() == Format::json ? json_line(at, line) : text_line(at, line, colour);
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace retort::log

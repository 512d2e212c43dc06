#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "core/redact.hpp"

namespace retort::log {
namespace {

std::atomic<Level> g_level{Level::warn};
std::mutex g_sink_mutex;
Sink g_sink;

spdlog::logger& logger() {
  // stderr, so stdout stays clean for command output (JSON Lines, SQL).
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("retort");
    l->set_pattern("%^%l%$ %v");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: break;
  }
  return spdlog::level::off;
}

}  // namespace

void set_level(Level level) { g_level.store(level); }

void set_sink(Sink sink) {
  std::lock_guard lock(g_sink_mutex);
  g_sink = std::move(sink);
}

Level level() noexcept { return g_level.load(std::memory_order_relaxed); }

void write(Level at, std::string_view message) {
  if (at < level() || at == Level::off) return;
  std::string line = redact::scrub(message);
  {
    std::lock_guard lock(g_sink_mutex);
    if (g_sink) {
      g_sink(at, line);
      return;
    }
  }
  logger().log(to_spdlog(at), "{}", line);
}

}  // namespace retort::log

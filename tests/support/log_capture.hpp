// Captures retort's log (core/log.hpp) for a test's length: what a component said while it
// carried on (a worker's warnings, a driver's notices).
#pragma once

#include <mutex>
#include <string>

#include "core/log.hpp"

namespace retort::testing {

class LogCapture {
 public:
  LogCapture() {
    log::set_sink([this](log::Level, const std::string& line) {
      std::lock_guard lock(mutex_);
      text_ += line + "\n";
    });
  }
  ~LogCapture() { log::set_sink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Every line so far, each ending in a newline.
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

}  // namespace retort::testing

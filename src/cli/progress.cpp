#include "cli/progress.hpp"

#include <cmath>
#include <iostream>

#include <fmt/format.h>

namespace retort::cli {
namespace {

constexpr std::string_view kEraseLine = "\r\033[K";

}  // namespace

StatusLine::~StatusLine() {
  clear();
}

void StatusLine::show(std::string_view text) {
  if (!enabled_) return;
  current_ = text;
  std::cerr << kEraseLine << current_ << std::flush;
}

void StatusLine::print_line(std::string_view line) {
  if (enabled_ && !current_.empty()) std::cerr << kEraseLine;
  std::cerr << line << '\n';
  if (enabled_ && !current_.empty()) std::cerr << current_;
  std::cerr << std::flush;
}

void StatusLine::clear() {
  if (!enabled_ || current_.empty()) return;
  std::cerr << kEraseLine << std::flush;
  current_.clear();
}

std::string per_second(double rate) {
  if (rate >= 1e6) return fmt::format("{:.1f}M/s", rate / 1e6);
  if (rate >= 1e4) return fmt::format("{:.0f}k/s", rate / 1e3);
  if (rate >= 1e3) return fmt::format("{:.1f}k/s", rate / 1e3);
  return fmt::format("{:.0f}/s", rate);
}

std::string ingest_progress_text(std::size_t lines, std::size_t accepted, std::size_t rejected,
                                 double seconds, std::optional<double> fraction_done) {
  std::string text =
      fmt::format("{} lines read, {} accepted, {} rejected", lines, accepted, rejected);
  if (seconds > 0) {
    text += ", " + per_second(static_cast<double>(accepted + rejected) / seconds);
  }
  if (seconds > 0 && fraction_done && *fraction_done > 0 && *fraction_done < 1) {
    text += ", " + duration_text(seconds * (1 - *fraction_done) / *fraction_done) + " left";
  }
  return text;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, total % 3600 / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

}  // namespace retort::cli

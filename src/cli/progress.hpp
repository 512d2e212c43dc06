// A status line on a terminal: progress that rewrites itself in place ("[3/12] upgrade a1 ->
// b2"), with ordinary log lines printed above it. Nothing at all when stderr is not a terminal
// (or with -q, or --log-format json): logs and CI output stay plain.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace retort::cli {

class StatusLine {
 public:
  // enabled: stderr is a terminal and the user did not ask for quiet or JSON logs.
  explicit StatusLine(bool enabled) : enabled_(enabled) {}
  ~StatusLine();
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  bool enabled() const noexcept { return enabled_; }
  // Replaces the status text.
  void show(std::string_view text);
  // A log line above the status (printed as is when the status line is disabled).
  void print_line(std::string_view line);
  // Removes the status text.
  void clear();

 private:
  bool enabled_;
  std::string current_;
};

// "1.2k/s", "2m05s": short forms for status lines.
std::string per_second(double rate);
std::string duration_text(double seconds);

// The status of a running `events ingest`: "12,000 lines read, 11,990 accepted, 10 rejected,
// 4.1k/s, 2m05s left". The rate is of lines handled (accepted + rejected) over `seconds`; the time
// left is estimated from `fraction_done` (bytes of the file read / its size), left out when it is
// not known (standard input) or nothing was read yet.
std::string ingest_progress_text(std::size_t lines, std::size_t accepted, std::size_t rejected,
                                 double seconds, std::optional<double> fraction_done);

}  // namespace retort::cli

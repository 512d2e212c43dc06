#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>

#include "core/value_text.hpp"
#include "retort/error.hpp"
#include "retort/value.hpp"

namespace retort {
namespace {

using namespace std::chrono;

// A small cursor over the text being parsed; every failure reports the byte offset.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  std::size_t pos() const { return pos_; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  int digits(std::size_t count) {
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = peek();
      if (c < '0' || c > '9') fail(fmt::format("expected {} digits", count));
      value = value * 10 + (c - '0');
      ++pos_;
    }
    return value;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidInput("timestamp", fmt::format("{} in '{}'", what, text_), pos_);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::int64_t parse_fraction_micros(Cursor& c) {
  std::int64_t micros = 0;
  int seen = 0;
  while (c.peek() >= '0' && c.peek() <= '9') {
    if (seen < 6) micros = micros * 10 + (c.peek() - '0');
    ++seen;
    c.accept(c.peek());
  }
  if (seen == 0) c.fail("expected digits after '.'");
  for (int i = seen; i < 6; ++i) micros *= 10;
  return micros;
}

// Offset east of UTC in seconds: Z, +HH, +HHMM, +HH:MM (and -).
std::int64_t parse_offset_seconds(Cursor& c) {
  if (c.done()) return 0;
  if (c.accept('Z') || c.accept('z')) return 0;
  const bool negative = c.peek() == '-';
  if (!c.accept('+') && !c.accept('-')) c.fail("expected 'Z' or a +HH:MM offset");
  std::int64_t seconds = c.digits(2) * 3600;
  c.accept(':');
  if (!c.done()) seconds += c.digits(2) * 60;
  if (c.accept(':')) seconds += c.digits(2);
  return negative ? -seconds : seconds;
}

}  // namespace

Timestamp Timestamp::from_micros(std::int64_t micros_since_epoch) noexcept {
  return Timestamp(TimePoint(microseconds(micros_since_epoch)));
}

Timestamp Timestamp::now() noexcept {
  return Timestamp(time_point_cast<microseconds>(system_clock::now()));
}

Timestamp Timestamp::parse(std::string_view text) {
  Cursor c(text);
  const int y = c.digits(4);
  if (!c.accept('-')) c.fail("expected '-' after the year");
  const int mo = c.digits(2);
  if (!c.accept('-')) c.fail("expected '-' after the month");
  const int d = c.digits(2);
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) c.fail("no such date");
  std::int64_t micros = duration_cast<microseconds>(sys_days(date).time_since_epoch()).count();
  if (c.done()) return from_micros(micros);
  if (!c.accept('T') && !c.accept('t') && !c.accept(' '))
    c.fail("expected 'T' or ' ' after the date");
  const int hh = c.digits(2);
  if (!c.accept(':')) c.fail("expected ':' after the hour");
  const int mm = c.digits(2);
  int ss = 0;
  if (c.accept(':')) ss = c.digits(2);
  if (hh > 23 || mm > 59 || ss > 60) c.fail("time of day out of range");
  micros += (static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss) * 1'000'000;
  if (c.accept('.')) micros += parse_fraction_micros(c);
  micros -= parse_offset_seconds(c) * 1'000'000;
  if (!c.done()) c.fail("unexpected trailing characters");
  return from_micros(micros);
}

std::string Timestamp::to_string() const {
  std::array<char, 27> buffer{};
  if (const std::string_view fast = text::format_timestamp(*this, buffer); !fast.empty()) {
    return std::string(fast);
  }
  // Years outside 0000..9999: wider or signed, which the fixed-width writer does not do.
  const TimePoint tp = time_point();
  const sys_days day_point = floor<days>(tp);
  const year_month_day date(day_point);
  const hh_mm_ss<microseconds> tod(tp - day_point);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count(),
                     tod.subseconds().count());
}

}  // namespace retort

#include "core/value_text.hpp"

#include <chrono>
#include <cstdint>

namespace retort::text {
namespace {

char* put_digits(char* out, unsigned value, int width) noexcept {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::string_view format_timestamp(const Timestamp& ts, std::span<char, 27> out) noexcept {
  using namespace std::chrono;
  const sys_time<microseconds> tp = ts.time_point();
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return {};
  const auto micros = static_cast<std::uint64_t>((tp - day).count());  // 0 .. 86'399'999'999
  const auto seconds = static_cast<unsigned>(micros / 1'000'000);
  char* p = out.data();
  p = put_digits(p, static_cast<unsigned>(year), 4);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = put_digits(p, seconds / 3600, 2);
  *p++ = ':';
  p = put_digits(p, seconds / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, seconds % 60, 2);
  *p++ = '.';
  p = put_digits(p, static_cast<unsigned>(micros % 1'000'000), 6);
  *p = 'Z';
  return {out.data(), out.size()};
}

std::string_view format_uuid(const Uuid& uuid, std::span<char, 36> out) noexcept {
  constexpr std::string_view kHex = "0123456789abcdef";
  char* p = out.data();
  const Uuid::Bytes& bytes = uuid.bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[bytes[i] >> 4];
    *p++ = kHex[bytes[i] & 0x0f];
  }
  return {out.data(), out.size()};
}

}  // namespace retort::text

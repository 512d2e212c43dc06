#include <fmt/format.h>

#include <array>
#include <chrono>
#include <mutex>
#include <random>

#include "core/value_text.hpp"
#include "retort/error.hpp"
#include "retort/value.hpp"

namespace retort {
namespace {

// One generator for the process; ids need uniqueness, not cryptographic secrecy.
class Entropy {
 public:
  std::uint64_t next() {
    std::lock_guard lock(mutex_);
    return engine_();
  }

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_{std::random_device{}() ^
                          (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
};

Entropy& entropy() {
  static Entropy e;
  return e;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void put_be(Uuid::Bytes& b, std::size_t at, std::uint64_t value, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    b[at + i] = static_cast<std::uint8_t>(value >> (8 * (count - 1 - i)));
  }
}

std::string_view strip_decorations(std::string_view text) {
  if (text.size() > 9 && (text.substr(0, 9) == "urn:uuid:" || text.substr(0, 9) == "URN:UUID:"))
    text.remove_prefix(9);
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  return text;
}

// Parses into out; returns the offset of the first bad character, or npos on success.
std::size_t parse_into(std::string_view text, Uuid::Bytes& out) {
  if (text.size() != 36) return text.size() < 36 ? text.size() : 36;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return i;
      ++i;
      continue;
    }
    const int hi = hex_value(text[i]);
    if (hi < 0) return i;
    const int lo = hex_value(text[i + 1]);
    if (lo < 0) return i + 1;
    out[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return std::string_view::npos;
}

}  // namespace

Uuid Uuid::parse(std::string_view text) {
  const std::string_view core = strip_decorations(text);
  Bytes b{};
  const std::size_t bad = parse_into(core, b);
  if (bad != std::string_view::npos) {
    throw InvalidInput("uuid",
                       core.size() != 36
                           ? fmt::format("expected 36 characters (8-4-4-4-12), got {}", core.size())
                           : "expected a hex digit or '-' in the 8-4-4-4-12 form",
                       core.size() != 36 ? InvalidInput::npos : bad);
  }
  return Uuid(b);
}

std::optional<Uuid> Uuid::try_parse(std::string_view text) noexcept {
  Bytes b{};
  if (parse_into(strip_decorations(text), b) != std::string_view::npos) return std::nullopt;
  return Uuid(b);
}

Uuid Uuid::v7() {
  // RFC 9562 6.2 method 1: the 74 bits after the timestamp act as a counter within one
  // millisecond, seeded randomly each new millisecond, so ids stay strictly increasing.
  static std::mutex mutex;
  static std::int64_t last_ms = 0;
  static std::uint64_t rand_a = 0;  // 12 bits
  static std::uint64_t rand_b = 0;  // 62 bits
  constexpr std::uint64_t kMaskB = (std::uint64_t{1} << 62) - 1;

  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  std::int64_t ms;
  std::uint64_t a, b_bits;
  {
    std::lock_guard lock(mutex);
    if (now_ms > last_ms) {
      last_ms = now_ms;
      rand_a = entropy().next() & 0x7FF;  // top bit clear leaves room to count up
      rand_b = entropy().next() & kMaskB;
    } else if (++rand_b > kMaskB) {  // same (or earlier) millisecond: count up
      rand_b = 0;
      if (++rand_a > 0xFFF) {
        rand_a = 0;
        ++last_ms;  // counter exhausted: borrow the next millisecond
      }
    }
    ms = last_ms;
    a = rand_a;
    b_bits = rand_b;
  }
  Bytes b{};
  put_be(b, 0, static_cast<std::uint64_t>(ms), 6);
  put_be(b, 6, (std::uint64_t{0x7} << 12) | a, 2);
  put_be(b, 8, (std::uint64_t{0x2} << 62) | b_bits, 8);
  return Uuid(b);
}

Uuid Uuid::v1() {
  // 100-ns intervals since 1582-10-15 (the Gregorian reform), as RFC 9562 5.1 specifies.
  constexpr std::uint64_t kGregorianOffset = 0x01B21DD213814000ULL;
  static std::mutex mutex;
  static std::uint64_t last_ticks = 0;
  static const std::uint64_t clock_seq = entropy().next() & 0x3FFF;
  static const std::uint64_t node = (entropy().next() & 0xFFFFFFFFFFFFULL) | 0x010000000000ULL;

  const auto now = std::chrono::system_clock::now().time_since_epoch();
  std::uint64_t ticks =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() /
                                 100) +
      kGregorianOffset;
  {
    std::lock_guard lock(mutex);
    if (ticks <= last_ticks) ticks = last_ticks + 1;
    last_ticks = ticks;
  }
  Bytes b{};
  put_be(b, 0, ticks & 0xFFFFFFFF, 4);
  put_be(b, 4, (ticks >> 32) & 0xFFFF, 2);
  put_be(b, 6, ((ticks >> 48) & 0x0FFF) | 0x1000, 2);
  put_be(b, 8, clock_seq | 0x8000, 2);
  put_be(b, 10, node, 6);
  return Uuid(b);
}

Uuid Uuid::v4() {
  Bytes b{};
  put_be(b, 0, entropy().next(), 8);
  put_be(b, 8, entropy().next(), 8);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
  return Uuid(b);
}

std::string Uuid::to_string() const {
  std::array<char, 36> buffer{};
  return std::string(text::format_uuid(*this, buffer));
}

}  // namespace retort

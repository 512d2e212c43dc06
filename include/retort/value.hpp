// Values exchanged with the database: parameters and result cells.
//
// The same C++ types on both backends: uuid, text, int64, double, bool, bytes, UTC timestamp
// (microseconds) and JSON text; NULL is the empty Value (or an empty std::optional).
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace retort {

enum class Dialect { postgresql, sqlite };

// "postgresql" or "sqlite".
std::string_view dialect_name(Dialect dialect) noexcept;

// A 128-bit UUID (RFC 9562).
class Uuid {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  Uuid() = default;  // the nil UUID
  explicit Uuid(const Bytes& bytes) : bytes_(bytes) {}

  // Parses the canonical 8-4-4-4-12 form (case-insensitive; braces and a "urn:uuid:" prefix are
  // accepted). Throws InvalidInput naming the offending byte.
  static Uuid parse(std::string_view text);
  static std::optional<Uuid> try_parse(std::string_view text) noexcept;

  // Time-ordered UUIDv7: 48-bit Unix milliseconds, then a counter that keeps ids strictly
  // increasing within this process even when the clock stalls or steps back (RFC 9562 6.2).
  static Uuid v7();
  // UUIDv1 (Gregorian time, random node id with the multicast bit set), for compatibility
  // with Python's uuid.uuid1() (ids written by SQLAlchemy services that use it).
  static Uuid v1();
  // Random UUIDv4.
  static Uuid v4();

  std::string to_string() const;  // lower-case canonical form
  int version() const noexcept { return bytes_[6] >> 4; }
  bool is_nil() const noexcept { return bytes_ == Bytes{}; }
  const Bytes& bytes() const noexcept { return bytes_; }

  auto operator<=>(const Uuid&) const = default;

 private:
  Bytes bytes_{};
};

// A point in time in UTC with microsecond precision.
class Timestamp {
 public:
  using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

  Timestamp() = default;  // the Unix epoch
  explicit Timestamp(TimePoint tp) : micros_(tp.time_since_epoch().count()) {}

  static Timestamp from_micros(std::int64_t micros_since_epoch) noexcept;
  static Timestamp now() noexcept;
  // Accepts ISO 8601 ("2026-11-21T05:22:27.123456Z", "...+02:00") and PostgreSQL's output
  // ("2026-11-21 05:22:27.123456+00"); a date alone means midnight UTC; no offset means UTC.
  // Throws InvalidInput on anything else.
  static Timestamp parse(std::string_view text);

  std::int64_t micros() const noexcept { return micros_; }
  TimePoint time_point() const noexcept { return TimePoint(std::chrono::microseconds(micros_)); }
  // "2026-11-21T05:22:27.123456Z": fixed width, so text order is time order.
  std::string to_string() const;

  auto operator<=>(const Timestamp&) const = default;

 private:
  std::int64_t micros_ = 0;
};

// Binary data (bytea on PostgreSQL, BLOB on SQLite).
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

namespace detail {
struct JsonCheck;  // retort's JSON check, the only maker of a checked JsonText
}  // namespace detail

// A JSON document as text (jsonb/json on PostgreSQL, JSON text on SQLite).
//
// JsonText{text} is unchecked: the repository checks it before anything is sent (syntax, UTF-8,
// NUL bytes, nesting deeper than 2000 levels, \u0000 escapes, which jsonb cannot store) and the
// driver refuses a NUL byte in it. JsonText::checked(text) checks once and keeps the proof; so
// do event ingest and the repository. A checked document's text cannot change afterwards, so no
// layer below checks it again.
class JsonText {
 public:
  JsonText() = default;
  explicit JsonText(std::string text) noexcept : text_(std::move(text)) {}

  // text as a checked document. Throws InvalidInput(field, reason, byte offset) when it is not
  // one both backends store, e.g. "malformed JSON: syntax error while parsing object key ...".
  static JsonText checked(std::string text, std::string_view field = "json");

  const std::string& text() const noexcept { return text_; }
  // True when a check built this document (it is then valid JSON that both backends store).
  bool is_checked() const noexcept { return checked_; }

  // The same text, checked or not.
  bool operator==(const JsonText& other) const noexcept { return text_ == other.text_; }

 private:
  friend struct detail::JsonCheck;
  std::string text_;
  bool checked_ = false;
};

class Value {
 public:
  enum class Kind { null, boolean, int64, float64, text, bytes, uuid, timestamp, json };

  Value() = default;
  Value(std::nullopt_t) {}
  Value(bool v) : storage_(v) {}
  Value(int v) : storage_(static_cast<std::int64_t>(v)) {}
  Value(long v) : storage_(static_cast<std::int64_t>(v)) {}
  Value(long long v) : storage_(static_cast<std::int64_t>(v)) {}
  Value(unsigned v) : storage_(static_cast<std::int64_t>(v)) {}
  Value(unsigned long v) : storage_(static_cast<std::int64_t>(v)) {}
  Value(double v) : storage_(v) {}
  Value(std::string v) : storage_(std::move(v)) {}
  Value(std::string_view v) : storage_(std::string(v)) {}
  Value(const char* v) : storage_(std::string(v)) {}
  Value(Bytes v) : storage_(std::move(v)) {}
  Value(Uuid v) : storage_(v) {}
  Value(Timestamp v) : storage_(v) {}
  Value(JsonText v) : storage_(std::move(v)) {}
  template <class T>
  Value(const std::optional<T>& v) {
    if (v) *this = Value(*v);
  }

  Kind kind() const noexcept { return static_cast<Kind>(storage_.index()); }
  bool is_null() const noexcept { return kind() == Kind::null; }

  // Typed access; throws UsageError when the value holds another kind (or NULL).
  // as_int64 and as_double convert between the two numeric kinds.
  bool as_bool() const;
  std::int64_t as_int64() const;
  double as_double() const;
  const std::string& as_text() const;
  const Bytes& as_bytes() const;
  Uuid as_uuid() const;            // also parses a text value
  Timestamp as_timestamp() const;  // also parses a text value
  const JsonText& as_json() const;

  // Generic access for models: get<T>() and get<std::optional<T>>() (NULL -> nullopt).
  template <class T>
  T get() const;

  // Human-readable rendering for tables and logs ("NULL" for null).
  std::string to_display() const;

  bool operator==(const Value&) const = default;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes, Uuid, Timestamp,
               JsonText>
      storage_;
};

std::string_view kind_name(Value::Kind kind) noexcept;

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

template <class T>
T Value::get() const {
  if constexpr (detail::is_optional<T>::value) {
    if (is_null()) return std::nullopt;
    return get<typename T::value_type>();
  } else if constexpr (std::is_same_v<T, bool>) {
    return as_bool();
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(as_int64());
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(as_double());
  } else if constexpr (std::is_same_v<T, std::string>) {
    return as_text();
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return as_bytes();
  } else if constexpr (std::is_same_v<T, Uuid>) {
    return as_uuid();
  } else if constexpr (std::is_same_v<T, Timestamp>) {
    return as_timestamp();
  } else if constexpr (std::is_same_v<T, JsonText>) {
    return as_json();
  } else {
    static_assert(sizeof(T) == 0, "retort::Value::get: unsupported type");
  }
}

}  // namespace retort

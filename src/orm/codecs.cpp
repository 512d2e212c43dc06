// The built-in member types to values, and result cells back.
//
// The same member must read the same way on both backends, although SQLite only reports a
// declared type for plain column references: values computed by expressions (RETURNING, JSON
// functions) arrive by storage class, so uuids and timestamps may come as text, booleans as
// integers and small JSON documents as numbers.
#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "retort/error.hpp"
#include "retort/model.hpp"

namespace retort::detail {
namespace {

template <class Int>
Int narrowed(const Value& v) {
  std::int64_t wide = v.as_int64();
  if (wide < std::numeric_limits<Int>::min() || wide > std::numeric_limits<Int>::max()) {
    throw UsageError(fmt::format("value {} does not fit the member type", wide));
  }
  return static_cast<Int>(wide);
}

// The shortest text that reads back as the same double (JSON numbers SQLite stored as REAL).
std::string double_text(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ec == std::errc() ? end : buffer);
}

}  // namespace

Value encode_value(bool v) {
  return v;
}
Value encode_value(short v) {
  return v;
}
Value encode_value(int v) {
  return v;
}
Value encode_value(long v) {
  return v;
}
Value encode_value(long long v) {
  return v;
}
Value encode_value(double v) {
  return v;
}
Value encode_value(const std::string& v) {
  return v;
}
Value encode_value(const Bytes& v) {
  return v;
}
Value encode_value(const Uuid& v) {
  return v;
}
Value encode_value(const Timestamp& v) {
  return v;
}
Value encode_value(const JsonText& v) {
  return v;
}

void decode_value(const Value& v, bool& out) {
  out = v.as_bool();
}
void decode_value(const Value& v, short& out) {
  out = narrowed<short>(v);
}
void decode_value(const Value& v, int& out) {
  out = narrowed<int>(v);
}
void decode_value(const Value& v, long& out) {
  out = narrowed<long>(v);
}
void decode_value(const Value& v, long long& out) {
  out = narrowed<long long>(v);
}
void decode_value(const Value& v, double& out) {
  out = v.as_double();
}

void decode_value(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::int64:
      out = std::to_string(v.as_int64());
      return;
    case Value::Kind::float64:
      out = double_text(v.as_double());
      return;
    case Value::Kind::uuid:
      out = v.as_uuid().to_string();
      return;
    case Value::Kind::timestamp:
      out = v.as_timestamp().to_string();
      return;
    default:
      out = v.as_text();  // text or JSON; anything else throws
  }
}

void decode_value(const Value& v, Bytes& out) {
  if (v.kind() == Value::Kind::text) {
    out.data = v.as_text();  // a BLOB column SQLite was given text for
  } else {
    out = v.as_bytes();
  }
}

void decode_value(const Value& v, Uuid& out) {
  if (v.kind() == Value::Kind::bytes && v.as_bytes().data.size() == 16) {
    Uuid::Bytes raw{};
    for (std::size_t i = 0; i < raw.size(); ++i) {
      raw[i] = static_cast<std::uint8_t>(v.as_bytes().data[i]);
    }
    out = Uuid(raw);
    return;
  }
  out = v.as_uuid();
}

void decode_value(const Value& v, Timestamp& out) {
  out = v.as_timestamp();
}

void decode_value(const Value& v, JsonText& out) {
  switch (v.kind()) {
    case Value::Kind::json:
      out = v.as_json();
      return;
    case Value::Kind::text:
      out = JsonText(v.as_text());
      return;
    // A JSON column has NUMERIC affinity on SQLite: the document 5 is stored as the integer 5.
    case Value::Kind::int64:
      out = JsonText(std::to_string(v.as_int64()));
      return;
    case Value::Kind::float64:
      out = JsonText(double_text(v.as_double()));
      return;
    case Value::Kind::boolean:
      out = JsonText(v.as_bool() ? "true" : "false");
      return;
    default:
      throw UsageError(fmt::format("value is {}, not json", kind_name(v.kind())));
  }
}

}  // namespace retort::detail

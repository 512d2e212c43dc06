#include "retort/value.hpp"

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort {
namespace {

[[noreturn]] void wrong_kind(Value::Kind actual, std::string_view wanted) {
  throw UsageError(fmt::format("value is {}, not {}", kind_name(actual), wanted));
}

}  // namespace

std::string_view dialect_name(Dialect dialect) noexcept {
  return dialect == Dialect::postgresql ? "postgresql" : "sqlite";
}

std::string_view kind_name(Value::Kind kind) noexcept {
  switch (kind) {
    case Value::Kind::null:
      return "NULL";
    case Value::Kind::boolean:
      return "bool";
    case Value::Kind::int64:
      return "int64";
    case Value::Kind::float64:
      return "double";
    case Value::Kind::text:
      return "text";
    case Value::Kind::bytes:
      return "bytes";
    case Value::Kind::uuid:
      return "uuid";
    case Value::Kind::timestamp:
      return "timestamp";
    case Value::Kind::json:
      return "json";
  }
  return "?";
}

bool Value::as_bool() const {
  if (const bool* v = std::get_if<bool>(&storage_)) return *v;
  // SQLite has no boolean storage class; 0/1 integers read back as bool here.
  if (const std::int64_t* v = std::get_if<std::int64_t>(&storage_)) return *v != 0;
  wrong_kind(kind(), "bool");
}

std::int64_t Value::as_int64() const {
  if (const std::int64_t* v = std::get_if<std::int64_t>(&storage_)) return *v;
  if (const bool* v = std::get_if<bool>(&storage_)) return *v ? 1 : 0;
  wrong_kind(kind(), "int64");
}

double Value::as_double() const {
  if (const double* v = std::get_if<double>(&storage_)) return *v;
  if (const std::int64_t* v = std::get_if<std::int64_t>(&storage_)) return static_cast<double>(*v);
  wrong_kind(kind(), "double");
}

const std::string& Value::as_text() const {
  if (const std::string* v = std::get_if<std::string>(&storage_)) return *v;
  if (const JsonText* v = std::get_if<JsonText>(&storage_)) return v->text();
  wrong_kind(kind(), "text");
}

const Bytes& Value::as_bytes() const {
  if (const Bytes* v = std::get_if<Bytes>(&storage_)) return *v;
  wrong_kind(kind(), "bytes");
}

Uuid Value::as_uuid() const {
  if (const Uuid* v = std::get_if<Uuid>(&storage_)) return *v;
  if (const std::string* v = std::get_if<std::string>(&storage_)) return Uuid::parse(*v);
  wrong_kind(kind(), "uuid");
}

Timestamp Value::as_timestamp() const {
  if (const Timestamp* v = std::get_if<Timestamp>(&storage_)) return *v;
  if (const std::string* v = std::get_if<std::string>(&storage_)) return Timestamp::parse(*v);
  wrong_kind(kind(), "timestamp");
}

const JsonText& Value::as_json() const {
  if (const JsonText* v = std::get_if<JsonText>(&storage_)) return *v;
  wrong_kind(kind(), "json");
}

std::string Value::to_display() const {
  struct Visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const Bytes& v) const {
      std::string out = "\\x";
      for (unsigned char c : v.data) out += fmt::format("{:02x}", c);
      return out;
    }
    std::string operator()(const Uuid& v) const { return v.to_string(); }
    std::string operator()(const Timestamp& v) const { return v.to_string(); }
    std::string operator()(const JsonText& v) const { return v.text(); }
  };
  return std::visit(Visitor{}, storage_);
}

}  // namespace retort

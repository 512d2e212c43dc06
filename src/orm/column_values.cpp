// Checking and converting values for a column before they are bound.
//
// Both backends must refuse the same inputs, and refuse them before anything is sent (so a
// refused write leaves the table, and the session, untouched). PostgreSQL would reject some of
// these itself (bad JSON, an unknown enum label, a too-long varchar) and SQLite would store them
// happily; checking here gives one behaviour and an InvalidInput that names the column.
#include "orm/column_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/json_check.hpp"
#include "core/json_semantics.hpp"
#include "core/text.hpp"
#include "retort/error.hpp"

namespace retort::detail {
namespace {

using Kind = schema::ColumnType::Kind;

[[noreturn]] void refuse(const FieldInfo& field, const std::string& reason) {
  throw InvalidInput(field.label, reason);
}

[[noreturn]] void wrong_kind(const FieldInfo& field, const schema::Column& column,
                             const Value& value) {
  refuse(field, fmt::format("a {} value does not fit a {} column", kind_name(value.kind()),
                            column.type.sql(Dialect::postgresql)));
}

void check_text(const FieldInfo& field, std::string_view text) {
  text::require_valid_text(text, field.label);
}

std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

Value text_value(const FieldInfo& field, const schema::Column& column, Value value) {
  if (value.kind() != Value::Kind::text) wrong_kind(field, column, value);
  const std::string& text = value.as_text();
  check_text(field, text);
  if (column.type.kind == Kind::varchar && column.type.length > 0 && !column.type.array &&
      code_points(text) > static_cast<std::size_t>(column.type.length)) {
    refuse(field, fmt::format("text is longer than {} characters", column.type.length));
  }
  if (column.type.kind == Kind::enum_) {
    const std::vector<std::string>& allowed = field.enum_values;
    if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
      refuse(field, fmt::format("'{}' is not a value of enum {}", text, column.type.enum_name));
    }
  }
  return value;
}

Value integer_value(const FieldInfo& field, const schema::Column& column, Value value) {
  if (value.kind() != Value::Kind::int64 && value.kind() != Value::Kind::boolean) {
    wrong_kind(field, column, value);
  }
  std::int64_t n = value.as_int64();
  std::int64_t low = std::numeric_limits<std::int64_t>::min();
  std::int64_t high = std::numeric_limits<std::int64_t>::max();
  if (column.type.kind == Kind::smallint) {
    low = std::numeric_limits<std::int16_t>::min();
    high = std::numeric_limits<std::int16_t>::max();
  } else if (column.type.kind == Kind::integer) {
    low = std::numeric_limits<std::int32_t>::min();
    high = std::numeric_limits<std::int32_t>::max();
  }
  if (n < low || n > high) refuse(field, fmt::format("{} is out of the column's range", n));
  return n;
}

Value json_value(const FieldInfo& field, const schema::Column& column, Value value) {
  if (value.kind() != Value::Kind::json && value.kind() != Value::Kind::text) {
    wrong_kind(field, column, value);
  }
  // A checked document (event ingest, EventRepository, JsonText::checked) is bound as it is:
  // the check happened once, where the document came in.
  if (value.kind() == Value::Kind::json && value.as_json().is_checked()) return value;
  std::variant<JsonText, json::Problem> checked = json::check(value.as_text());
  if (json::Problem* problem = std::get_if<json::Problem>(&checked)) {
    throw InvalidInput(field.label, problem->reason, problem->offset);
  }
  return std::get<JsonText>(std::move(checked));
}

Value uuid_value(const FieldInfo& field, const schema::Column& column, Value value) {
  if (value.kind() == Value::Kind::uuid) return value;
  if (value.kind() != Value::Kind::text) wrong_kind(field, column, value);
  if (auto parsed = Uuid::try_parse(value.as_text())) return *parsed;
  refuse(field, "not a UUID");
}

Value timestamp_value(const FieldInfo& field, const schema::Column& column, Value value) {
  if (value.kind() == Value::Kind::timestamp) return value;
  if (value.kind() != Value::Kind::text) wrong_kind(field, column, value);
  try {
    return Timestamp::parse(value.as_text());
  } catch (const InvalidInput& e) {
    refuse(field, e.reason());
  }
}

Value double_value(const FieldInfo& field, const schema::Column& column, Value value) {
  if (value.kind() != Value::Kind::float64 && value.kind() != Value::Kind::int64) {
    wrong_kind(field, column, value);
  }
  return value.as_double();
}

// Types without a C++ counterpart (numeric, date, custom) pass as they are; only text is
// checked, as the driver would.
Value passthrough_value(const FieldInfo& field, Value value) {
  if (value.kind() == Value::Kind::text || value.kind() == Value::Kind::json) {
    check_text(field, value.as_text());
  }
  return value;
}

}  // namespace

Value column_value(const ModelData& data, std::size_t column_index, Value value) {
  if (value.is_null()) return value;
  const schema::Column& column = data.table.columns[column_index];
  const FieldInfo& field = data.fields[column_index];
  if (column.type.array) return passthrough_value(field, std::move(value));
  switch (column.type.kind) {
    case Kind::text:
    case Kind::varchar:
    case Kind::enum_:
      return text_value(field, column, std::move(value));
    case Kind::smallint:
    case Kind::integer:
    case Kind::bigint:
      return integer_value(field, column, std::move(value));
    case Kind::real:
    case Kind::double_:
      return double_value(field, column, std::move(value));
    case Kind::boolean:
      if (value.kind() != Value::Kind::boolean) wrong_kind(field, column, value);
      return value;
    case Kind::bytes:
      if (value.kind() != Value::Kind::bytes) wrong_kind(field, column, value);
      return value;
    case Kind::uuid:
      return uuid_value(field, column, std::move(value));
    case Kind::timestamptz:
    case Kind::timestamp:
      return timestamp_value(field, column, std::move(value));
    case Kind::json:
    case Kind::jsonb:
      return json_value(field, column, std::move(value));
    case Kind::numeric:
    case Kind::date:
    case Kind::custom:
      return passthrough_value(field, std::move(value));
  }
  return value;  // unreachable: every kind is handled above
}

namespace {

// The Value kind a column's checked values have (column_value's output); nullopt where
// column_value passes values through as they are.
std::optional<Value::Kind> checked_kind(const schema::ColumnType& type) {
  if (type.array) return std::nullopt;
  switch (type.kind) {
    case Kind::text:
    case Kind::varchar:
    case Kind::enum_:
      return Value::Kind::text;
    case Kind::smallint:
    case Kind::integer:
    case Kind::bigint:
      return Value::Kind::int64;
    case Kind::real:
    case Kind::double_:
      return Value::Kind::float64;
    case Kind::boolean:
      return Value::Kind::boolean;
    case Kind::bytes:
      return Value::Kind::bytes;
    case Kind::uuid:
      return Value::Kind::uuid;
    case Kind::timestamptz:
    case Kind::timestamp:
      return Value::Kind::timestamp;
    case Kind::json:
    case Kind::jsonb:
      return Value::Kind::json;
    case Kind::numeric:
    case Kind::date:
    case Kind::custom:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Value column_value_of_checked(const ModelData& data, std::size_t column_index, Value value) {
  const std::optional<Value::Kind> kind = checked_kind(data.table.columns[column_index].type);
  if (value.is_null() || !kind || value.kind() == *kind) return value;
  return column_value(data, column_index, std::move(value));
}

std::string json_of(const FieldInfo& field, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null:
      return "null";
    case Value::Kind::boolean:
      return value.as_bool() ? "true" : "false";
    case Value::Kind::int64:
      return std::to_string(value.as_int64());
    case Value::Kind::float64: {
      double d = value.as_double();
      if (!std::isfinite(d)) refuse(field, "JSON has no NaN or infinity");
      return json::Json(d).dump();
    }
    case Value::Kind::text:
      check_text(field, value.as_text());
      return json::Json(value.as_text()).dump();
    case Value::Kind::json:
      if (!value.as_json().is_checked()) {
        if (std::optional<json::Problem> problem = json::find_problem(value.as_text())) {
          throw InvalidInput(field.label, problem->reason, problem->offset);
        }
      }
      return value.as_text();
    case Value::Kind::uuid:
      return json::Json(value.as_uuid().to_string()).dump();
    case Value::Kind::timestamp:
      return json::Json(value.as_timestamp().to_string()).dump();
    case Value::Kind::bytes:
      break;
  }
  refuse(field, "bytes have no JSON form");
}

bool is_unset(const schema::Column& column, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null:
      return true;
    case Value::Kind::uuid:
      return value.as_uuid().is_nil();
    case Value::Kind::timestamp:
      return value.as_timestamp().micros() == 0;
    case Value::Kind::json:
      return value.as_json().text().empty();
    case Value::Kind::int64:
      return column.identity && value.as_int64() == 0;
    default:
      return false;
  }
}

}  // namespace retort::detail

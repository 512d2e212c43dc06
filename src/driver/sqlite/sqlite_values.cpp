#include "driver/sqlite/sqlite_values.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "core/text.hpp"
#include "core/value_text.hpp"
#include "retort/error.hpp"

namespace retort::driver::sqlite {
namespace {

// SQLITE_STATIC / SQLITE_TRANSIENT spelled without the C casts of their macros (-Wold-style-cast).
const sqlite3_destructor_type kStatic = nullptr;
const sqlite3_destructor_type kTransient =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));

int bind_text(sqlite3_stmt* stmt, int slot, std::string_view text, sqlite3_destructor_type how) {
  return sqlite3_bind_text64(stmt, slot, text.data(), text.size(), how, SQLITE_UTF8);
}

int bind_timestamp(sqlite3_stmt* stmt, int slot, const Timestamp& ts) {
  // A bulk write binds the same created_at / updated_at on every row: keep the last text.
  thread_local Timestamp last = Timestamp::from_micros(0);
  thread_local std::array<char, 27> buffer{};
  thread_local std::string_view formatted = text::format_timestamp(last, buffer);
  if (ts != last) {
    formatted = text::format_timestamp(ts, buffer);
    last = ts;
  }
  if (!formatted.empty()) return bind_text(stmt, slot, formatted, kTransient);
  return bind_text(stmt, slot, ts.to_string(), kTransient);
}

int bind_value(sqlite3_stmt* stmt, int slot, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null:
      return sqlite3_bind_null(stmt, slot);
    case Value::Kind::boolean:
      return sqlite3_bind_int(stmt, slot, value.as_bool() ? 1 : 0);
    case Value::Kind::int64:
      return sqlite3_bind_int64(stmt, slot, value.as_int64());
    case Value::Kind::float64:
      return sqlite3_bind_double(stmt, slot, value.as_double());
    case Value::Kind::text:
      return bind_text(stmt, slot, value.as_text(), kStatic);
    case Value::Kind::bytes: {
      const std::string& data = value.as_bytes().data;
      return sqlite3_bind_blob64(stmt, slot, data.data(), data.size(), kStatic);
    }
    case Value::Kind::uuid: {
      std::array<char, 36> buffer{};
      return bind_text(stmt, slot, text::format_uuid(value.as_uuid(), buffer), kTransient);
    }
    case Value::Kind::timestamp:
      return bind_timestamp(stmt, slot, value.as_timestamp());
    case Value::Kind::json:
      return bind_text(stmt, slot, value.as_json().text(), kStatic);
  }
  return SQLITE_MISUSE;  // unreachable: every kind is handled above
}

// Upper-cased declared type without a "(n)" size suffix or surrounding blanks.
std::string normalized_type(const char* declared) {
  std::string type;
  for (const char* p = declared; *p != '\0' && *p != '('; ++p) {
    char c = *p;
    type.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

std::string_view column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* data = sqlite3_column_text(stmt, column);
  if (data == nullptr) return {};
  return {reinterpret_cast<const char*>(data),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
}

Value decode_text(std::string_view text, ColumnHint hint) {
  switch (hint) {
    case ColumnHint::uuid:
      if (auto uuid = Uuid::try_parse(text)) return *uuid;
      break;
    case ColumnHint::timestamp:
      try {
        return Timestamp::parse(text);
      } catch (const Error&) {
        // Not a timestamp after all (SQLite does not enforce declared types): keep the text.
      }
      break;
    case ColumnHint::json:
      return JsonText{std::string(text)};
    default:
      break;
  }
  return std::string(text);
}

Value decode_blob(sqlite3_stmt* stmt, int column, ColumnHint hint) {
  const void* data = sqlite3_column_blob(stmt, column);  // null for a zero-length blob
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
  if (hint == ColumnHint::uuid && size == 16) {
    // Some schemas store UUIDs as their 16 raw bytes.
    Uuid::Bytes bytes{};
    std::memcpy(bytes.data(), data, bytes.size());
    return Uuid(bytes);
  }
  if (size == 0) return Bytes{};
  return Bytes{std::string(static_cast<const char*>(data), size)};
}

}  // namespace

void check_text_params(std::span<const Value> params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& value = params[i];
    std::string_view text;
    if (value.kind() == Value::Kind::text) {
      text = value.as_text();
    } else if (value.kind() == Value::Kind::json) {
      text = value.as_json().text();
    } else {
      continue;
    }
    // The cheap scan first, so the common clean case builds no "parameter $N" string.
    text::require_valid_parameter(text, i);
  }
}

void bind_params(SqliteDb& db, const PreparedStatement& statement, std::span<const Value> params,
                 std::string_view sql) {
  const ParamLayout& layout = statement.layout();
  if (params.size() != layout.expected) {
    throw UsageError(fmt::format("statement expects {} parameter{}, {} given: {}", layout.expected,
                                 layout.expected == 1 ? "" : "s", params.size(), sql));
  }
  sqlite3_stmt* stmt = statement.get();
  for (std::size_t slot = 0; slot < layout.param_of_slot.size(); ++slot) {
    int rc = bind_value(stmt, static_cast<int>(slot + 1), params[layout.param_of_slot[slot]]);
    if (rc != SQLITE_OK) db.fail(rc, sql);
  }
}

ColumnHint hint_for_declared_type(const char* declared) noexcept {
  if (declared == nullptr) return ColumnHint::none;
  try {
    std::string type = normalized_type(declared);
    if (type == "BOOL" || type == "BOOLEAN") return ColumnHint::boolean;
    if (type == "UUID") return ColumnHint::uuid;
    if (type == "TIMESTAMP" || type == "TIMESTAMPTZ" || type == "DATETIME" ||
        type == "TIMESTAMP WITH TIME ZONE" || type == "TIMESTAMP WITHOUT TIME ZONE") {
      return ColumnHint::timestamp;
    }
    if (type == "JSON" || type == "JSONB") return ColumnHint::json;
  } catch (...) {
    // Out of memory for a short string: decode by storage class instead.
  }
  return ColumnHint::none;
}

std::vector<ColumnHint> column_hints(sqlite3_stmt* stmt) {
  int count = sqlite3_column_count(stmt);
  std::vector<ColumnHint> hints;
  hints.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    hints.push_back(hint_for_declared_type(sqlite3_column_decltype(stmt, i)));
  }
  return hints;
}

std::vector<std::string> column_names(sqlite3_stmt* stmt) {
  int count = sqlite3_column_count(stmt);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    names.emplace_back(name != nullptr ? name : "");
  }
  return names;
}

Value decode_column(sqlite3_stmt* stmt, int column, ColumnHint hint) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER: {
      if (hint == ColumnHint::boolean) return sqlite3_column_int64(stmt, column) != 0;
      // A JSON column has NUMERIC affinity, so the document "5" is stored as the integer 5.
      if (hint == ColumnHint::json) return JsonText{std::string(column_text(stmt, column))};
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, column));
    }
    case SQLITE_FLOAT:
      if (hint == ColumnHint::json) return JsonText{std::string(column_text(stmt, column))};
      return sqlite3_column_double(stmt, column);
    case SQLITE_TEXT:
      return decode_text(column_text(stmt, column), hint);
    case SQLITE_BLOB:
      return decode_blob(stmt, column, hint);
    default:
      return Value();
  }
}

}  // namespace retort::driver::sqlite

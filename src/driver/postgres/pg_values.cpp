#include "driver/postgres/pg_values.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "core/text.hpp"
#include "retort/error.hpp"

namespace retort::driver::pg {
namespace {

// The protocol counts parameters in a 16-bit field.
constexpr std::size_t kMaxParams = 65535;

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_hex(std::string& out, std::string_view data) {
  for (char c : data) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kHexDigits[byte >> 4]);
    out.push_back(kHexDigits[byte & 0x0f]);
  }
}

// bytea output is hex ("\x0a0b") unless someone set bytea_output = escape; libpq decodes that.
Bytes decode_bytea(std::string_view text) {
  Bytes out;
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    out.data.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
      const int high = hex_value(text[i]);
      const int low = hex_value(text[i + 1]);
      out.data.push_back(static_cast<char>((high << 4) | low));
    }
    return out;
  }
  const std::string terminated(text);
  std::size_t length = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(terminated.c_str()), &length);
  if (raw == nullptr) throw std::bad_alloc();
  out.data.assign(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// COPY text format: backslash, tab, newline and carriage return must be escaped. Runs without
// them (nearly all of a JSON document) are appended whole: this is the bulk path's inner loop.
void append_copy_escaped(std::string& out, std::string_view text) {
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> special{};
    for (unsigned char c : {'\\', '\t', '\n', '\r'}) special[c] = true;
    return special;
  }();
  while (!text.empty()) {
    std::size_t run = 0;
    while (run < text.size() && !kSpecial[static_cast<unsigned char>(text[run])]) ++run;
    out.append(text.data(), run);
    if (run == text.size()) return;
    switch (text[run]) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += "\\r";
    }
    text.remove_prefix(run + 1);
  }
}

}  // namespace

std::string EncodedParams::type_signature() const {
  std::string out;
  char digits[16];
  for (Oid type : types_) {
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, type);
    out.append(digits, end);
    out.push_back(',');
  }
  return out;
}

void EncodedParams::reserve(std::size_t count) {
  storage_.reserve(count);
  types_.reserve(count);
  values_.reserve(count);
  lengths_.reserve(count);
  formats_.reserve(count);
}

void EncodedParams::add(Oid type, const char* value, int length, int format) {
  types_.push_back(type);
  values_.push_back(value);
  lengths_.push_back(length);
  formats_.push_back(format);
}

std::string format_double(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  // Without a precision, to_chars writes the shortest text that reads back as the same double.
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ec == std::errc() ? end : buffer);
}

EncodedParams encode_params(std::span<const Value> params) {
  if (params.size() > kMaxParams) {
    throw UsageError(fmt::format("{} parameters given; PostgreSQL accepts at most {}",
                                 params.size(), kMaxParams));
  }
  EncodedParams out;
  out.reserve(params.size());
  const auto keep = [&out](std::string text) {
    out.storage_.push_back(std::move(text));
    return out.storage_.back().c_str();
  };
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& value = params[i];
    switch (value.kind()) {
      case Value::Kind::null:
        out.add(oid::unknown, nullptr, 0, 0);
        break;
      case Value::Kind::boolean:
        out.add(oid::boolean, value.as_bool() ? "t" : "f", 0, 0);
        break;
      case Value::Kind::int64:
        out.add(oid::int8, keep(std::to_string(value.as_int64())), 0, 0);
        break;
      case Value::Kind::float64:
        out.add(oid::float8, keep(format_double(value.as_double())), 0, 0);
        break;
      case Value::Kind::text:
        // Text parameters travel as C strings: a NUL would silently cut them short.
        text::require_valid_parameter(value.as_text(), i);
        // Unknown type: the server infers it (text, varchar, numeric, date, an enum...).
        out.add(oid::unknown, value.as_text().c_str(), 0, 0);
        break;
      case Value::Kind::bytes: {
        const std::string& data = value.as_bytes().data;
        if (data.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
          throw InvalidInput(text::parameter_name(i), "bytes value larger than 2 GiB");
        }
        // Binary format: no escaping, and every byte value survives.
        out.add(oid::bytea, data.data(), static_cast<int>(data.size()), 1);
        break;
      }
      case Value::Kind::uuid:
        out.add(oid::uuid, keep(value.as_uuid().to_string()), 0, 0);
        break;
      case Value::Kind::timestamp:
        // Unknown type so the same value fits timestamptz and timestamp columns.
        out.add(oid::unknown, keep(value.as_timestamp().to_string()), 0, 0);
        break;
      case Value::Kind::json: {
        const JsonText& document = value.as_json();
        // A checked document holds no NUL (the check proved it); an unchecked one travels as a
        // C string too, so a NUL would cut it short.
        if (!document.is_checked()) text::require_valid_parameter(document.text(), i);
        // Unknown type: json and jsonb columns both accept it.
        out.add(oid::unknown, document.text().c_str(), 0, 0);
        break;
      }
    }
  }
  return out;
}

Value decode_cell(Oid type, std::string_view text) {
  switch (type) {
    case oid::boolean:
      return Value(text == "t");
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid:
      if (auto number = parse_int(text)) return Value(*number);
      break;
    case oid::float4:
    case oid::float8:
      if (auto number = parse_double(text)) return Value(*number);
      break;
    case oid::bytea:
      return Value(decode_bytea(text));
    case oid::uuid:
      if (auto uuid = Uuid::try_parse(text)) return Value(*uuid);
      break;
    case oid::timestamp:
    case oid::timestamptz:
      try {
        return Value(Timestamp::parse(text));
      } catch (const InvalidInput&) {
        // 'infinity' and BC dates have no Timestamp: they are returned as text below.
      }
      break;
    case oid::json:
    case oid::jsonb:
      return Value(JsonText{std::string(text)});
    default:
      break;
  }
  // numeric (exact, so not a double), text, varchar, date, arrays, enums, ...
  return Value(std::string(text));
}

std::vector<std::string> column_names(const PGresult* res) {
  const int columns = PQnfields(res);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) names.emplace_back(PQfname(res, c));
  return names;
}

void append_row(const PGresult* res, int row, std::vector<Value>& cells) {
  const int columns = PQnfields(res);
  for (int c = 0; c < columns; ++c) {
    if (PQgetisnull(res, row, c)) {
      cells.emplace_back();
    } else {
      const std::string_view text(PQgetvalue(res, row, c),
                                  static_cast<std::size_t>(PQgetlength(res, row, c)));
      cells.push_back(decode_cell(PQftype(res, c), text));
    }
  }
}

std::int64_t affected_rows(const PGresult* res) {
  if (auto count = parse_int(PQcmdTuples(const_cast<PGresult*>(res)))) return *count;
  return PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : 0;
}

Result to_result(const PGresult* res) {
  const int rows = PQntuples(res);
  std::vector<Value> cells;
  cells.reserve(static_cast<std::size_t>(rows) * static_cast<std::size_t>(PQnfields(res)));
  for (int r = 0; r < rows; ++r) append_row(res, r, cells);
  return Result(column_names(res), std::move(cells), affected_rows(res));
}

void append_copy_field(std::string& out, const Value& value, std::string_view field) {
  switch (value.kind()) {
    case Value::Kind::null:
      out += "\\N";
      break;
    case Value::Kind::boolean:
      out += value.as_bool() ? "t" : "f";
      break;
    case Value::Kind::int64:
      out += std::to_string(value.as_int64());
      break;
    case Value::Kind::float64:
      out += format_double(value.as_double());
      break;
    case Value::Kind::text:
      text::require_valid_text(value.as_text(), field);
      append_copy_escaped(out, value.as_text());
      break;
    case Value::Kind::bytes:
      // bytea hex input "\x..."; the backslash itself is doubled by COPY's escaping.
      out += "\\\\x";
      append_hex(out, value.as_bytes().data);
      break;
    case Value::Kind::uuid:
      out += value.as_uuid().to_string();
      break;
    case Value::Kind::timestamp:
      out += value.as_timestamp().to_string();
      break;
    case Value::Kind::json:
      // A checked document is valid UTF-8 without NUL (the check proved it).
      if (!value.as_json().is_checked()) text::require_valid_text(value.as_json().text(), field);
      append_copy_escaped(out, value.as_json().text());
      break;
  }
}

}  // namespace retort::driver::pg

#include "migrate/operations/sql_literals.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "retort/ddl.hpp"
#include "retort/error.hpp"

namespace retort::migrate::detail {
namespace {

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

std::string double_literal(double v, Dialect dialect) {
  if (std::isfinite(v)) return fmt::format("{}", v);  // shortest text that reads back as v
  if (dialect == Dialect::postgresql) {
    return std::isnan(v) ? "'NaN'" : (v > 0 ? "'Infinity'" : "'-Infinity'");
  }
  if (std::isnan(v)) throw UsageError("SQLite has no literal for NaN");
  return v > 0 ? "9e999" : "-9e999";  // SQLite reads an overflowing literal as infinity
}

// Where the quoted or commented region that starts at sql[i] ends (one past it), or i when
// nothing starts there.
std::size_t skip_quoted(std::string_view sql, std::size_t i) {
  const char c = sql[i];
  if (c == '\'' || c == '"') {
    std::size_t j = i + 1;
    while (j < sql.size()) {
      if (sql[j] == c) {
        if (j + 1 < sql.size() && sql[j + 1] == c) {
          j += 2;  // a doubled quote inside
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return sql.size();
  }
  if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
    const std::size_t end = sql.find('\n', i);
    return end == std::string_view::npos ? sql.size() : end;
  }
  if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
    const std::size_t end = sql.find("*/", i + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  if (c == '$') {
    // $tag$ ... $tag$ (PostgreSQL dollar quoting); $1 is a placeholder, not a tag.
    std::size_t j = i + 1;
    while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
      ++j;
    }
    const bool tag = j < sql.size() && sql[j] == '$' &&
                     (j == i + 1 || !std::isdigit(static_cast<unsigned char>(sql[i + 1])));
    if (!tag) return i;
    const std::string_view delimiter = sql.substr(i, j - i + 1);
    const std::size_t end = sql.find(delimiter, j + 1);
    return end == std::string_view::npos ? sql.size() : end + delimiter.size();
  }
  return i;
}

}  // namespace

std::string value_literal(const Value& value, Dialect dialect) {
  const bool pg = dialect == Dialect::postgresql;
  switch (value.kind()) {
    case Value::Kind::null:
      return "NULL";
    case Value::Kind::boolean:
      return pg ? (value.as_bool() ? "TRUE" : "FALSE") : (value.as_bool() ? "1" : "0");
    case Value::Kind::int64:
      return std::to_string(value.as_int64());
    case Value::Kind::float64:
      return double_literal(value.as_double(), dialect);
    case Value::Kind::text:
      return retort::ddl::string_literal(value.as_text());
    case Value::Kind::bytes:
      return pg ? "'\\x" + hex(value.as_bytes().data) + "'"
                : "X'" + hex(value.as_bytes().data) + "'";
    case Value::Kind::uuid:
      return retort::ddl::string_literal(value.as_uuid().to_string());
    case Value::Kind::timestamp:
      return retort::ddl::string_literal(value.as_timestamp().to_string());
    case Value::Kind::json:
      return retort::ddl::string_literal(value.as_json().text());
  }
  return "NULL";
}

std::string inline_parameters(std::string_view sql, const std::vector<Value>& params,
                              Dialect dialect) {
  std::vector<char> used(params.size(), 0);
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  while (i < sql.size()) {
    if (const std::size_t end = skip_quoted(sql, i); end != i) {
      out.append(sql.substr(i, end - i));
      i = end;
      continue;
    }
    if (sql[i] != '$' || i + 1 >= sql.size() ||
        !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out.push_back(sql[i++]);
      continue;
    }
    std::size_t j = i + 1;
    std::size_t number = 0;
    while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) && number < 100000) {
      number = number * 10 + static_cast<std::size_t>(sql[j] - '0');
      ++j;
    }
    if (number == 0 || number > params.size()) {
      throw UsageError(fmt::format("placeholder {} has no parameter ({} given)",
                                   sql.substr(i, j - i), params.size()));
    }
    out += value_literal(params[number - 1], dialect);
    used[number - 1] = 1;
    i = j;
  }
  for (std::size_t k = 0; k < used.size(); ++k) {
    if (!used[k]) throw UsageError(fmt::format("parameter ${} is given but not used", k + 1));
  }
  return out;
}

}  // namespace retort::migrate::detail

// Conditions, ordering and windows to SQL (see query.hpp for the semantics promised).
//
// Where the dialects differ the SQL differs so the answers do not:
// - text orders bytewise on both (PostgreSQL: COLLATE "C"; enum columns compare as text);
// - NULLs sort last ascending and first descending (explicit NULLS LAST/FIRST);
// - LIKE is case-sensitive (SQLite's LIKE is not, so SQLite gets the pattern as a GLOB);
// - JSON filters use jsonb operators and strict jsonpath on PostgreSQL, and retort's SQLite
//   functions (driver/sqlite/sqlite_json_functions.cpp) that implement the same semantics.
#include "orm/sql_builder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_check.hpp"
#include "core/json_semantics.hpp"
#include "core/text.hpp"
#include "orm/column_values.hpp"
#include "retort/connection.hpp"
#include "retort/error.hpp"

namespace retort::detail {
namespace {

using Kind = schema::ColumnType::Kind;
using Node = ConditionNode;

bool is_textual(const schema::ColumnType& type) {
  return !type.array &&
         (type.kind == Kind::text || type.kind == Kind::varchar || type.kind == Kind::enum_);
}

bool is_json(const schema::ColumnType& type) {
  return type.array || type.kind == Kind::json || type.kind == Kind::jsonb;
}

std::string_view operator_sql(CompareOp op) {
  switch (op) {
    case CompareOp::eq:
      return "=";
    case CompareOp::ne:
      return "<>";
    case CompareOp::lt:
      return "<";
    case CompareOp::le:
      return "<=";
    case CompareOp::gt:
      return ">";
    case CompareOp::ge:
      return ">=";
  }
  return "=";
}

// A LIKE pattern (backslash escapes, PostgreSQL's default) as the equivalent GLOB pattern:
// GLOB is case-sensitive as PostgreSQL's LIKE is, and its own wildcards are bracketed.
std::string like_to_glob(std::string_view pattern) {
  std::string glob;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    bool escaped = c == '\\';
    if (escaped) c = pattern[++i];  // the caller refused a trailing backslash
    if (!escaped && c == '%') {
      glob += '*';
    } else if (!escaped && c == '_') {
      glob += '?';
    } else if (c == '*' || c == '?' || c == '[') {
      glob += fmt::format("[{}]", c);
    } else {
      glob += c;
    }
  }
  return glob;
}

// A strict SQL/JSON path for steps: keys as JSON strings ($."a\"b"), indexes in brackets,
// negative ones counted from `last`. jsonb arrays hold fewer than 2^28 elements, so an index
// beyond that (clamped to stay in jsonpath's int32 range) can never match.
std::string jsonpath(const std::vector<PathStep>& path) {
  constexpr std::int64_t kBeyond = std::int64_t{1} << 28;
  std::string out = "strict $";
  for (const PathStep& step : path) {
    if (!step.is_index()) {
      out += "." + json::Json(step.key()).dump();
    } else if (step.index() >= 0) {
      out += fmt::format("[{}]", std::min(step.index(), kBeyond));
    } else if (step.index() == -1) {
      out += "[last]";
    } else {
      out += fmt::format("[last - {}]", std::min(-(step.index() + 1), kBeyond));
    }
  }
  return out;
}

bool ends_with_lone_escape(std::string_view pattern) {
  std::size_t backslashes = 0;
  for (auto it = pattern.rbegin(); it != pattern.rend() && *it == '\\'; ++it) ++backslashes;
  return backslashes % 2 == 1;
}

}  // namespace

std::vector<OrderTerm> total_order(const ModelData& data, const std::vector<OrderTerm>& order) {
  std::vector<OrderTerm> out;
  for (const OrderTerm& term : order) {
    std::size_t index = data.require_column(term.column);
    if (is_json(data.table.columns[index].type)) {
      throw UsageError(fmt::format("cannot order by JSON column {}", data.fields[index].label));
    }
    out.push_back(term);
  }
  for (std::size_t key : data.key_columns) {
    const std::string& name = data.table.columns[key].name;
    bool present =
        std::any_of(out.begin(), out.end(), [&](const auto& t) { return t.column == name; });
    if (!present) out.push_back({name, Direction::asc});
  }
  return out;
}

std::string SqlBuilder::bind(Value value) {
  params.push_back(std::move(value));
  return "$" + std::to_string(params.size());
}

std::string SqlBuilder::column(std::size_t index) const {
  return data_.quoted_names[index];
}

std::string SqlBuilder::ordered_column(std::size_t index) const {
  const schema::ColumnType& type = data_.table.columns[index].type;
  if (dialect_ == Dialect::sqlite || !is_textual(type)) return column(index);
  // An enum orders by declaration on PostgreSQL but as text on SQLite: compare as text.
  std::string text = type.kind == Kind::enum_ ? column(index) + "::text" : column(index);
  return text + " COLLATE \"C\"";
}

void SqlBuilder::where_clause(const Condition& where, const std::vector<OrderTerm>& order,
                              const std::vector<Value>& after) {
  std::vector<std::string> parts;
  if (!where.empty()) parts.push_back(condition(*where.node()));
  if (!after.empty()) parts.push_back(keyset(order, after));
  for (std::size_t i = 0; i < parts.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + parts[i];
}

void SqlBuilder::key_clause(const std::vector<Value>& key) {
  if (key.size() != data_.key_columns.size()) {
    throw UsageError(fmt::format("{}: the primary key has {} column(s), {} value(s) given",
                                 data_.table.name, data_.key_columns.size(), key.size()));
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    std::size_t index = data_.key_columns[i];
    if (key[i].is_null()) throw InvalidInput(data_.fields[index].label, "a key cannot be NULL");
    sql += fmt::format("{}{} = {}", i == 0 ? " WHERE " : " AND ", column(index),
                       bind(column_value(data_, index, key[i])));
  }
}

void SqlBuilder::order_clause(const std::vector<OrderTerm>& order) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::size_t index = data_.require_column(order[i].column);
    bool descending = order[i].direction == Direction::desc;
    sql += fmt::format("{}{} {}", i == 0 ? " ORDER BY " : ", ", ordered_column(index),
                       descending ? "DESC" : "ASC");
    // PostgreSQL's default (NULL is the largest value), made explicit for SQLite.
    if (data_.table.columns[index].nullable) sql += descending ? " NULLS FIRST" : " NULLS LAST";
  }
}

void SqlBuilder::window_clause(const std::optional<std::int64_t>& limit,
                               const std::optional<std::int64_t>& offset) {
  if ((limit && *limit < 0) || (offset && *offset < 0)) {
    throw UsageError("limit and offset must not be negative");
  }
  if (limit) {
    sql += " LIMIT " + bind(*limit);
  } else if (offset && dialect_ == Dialect::sqlite) {
    sql += " LIMIT -1";  // SQLite takes OFFSET only after a LIMIT
  }
  if (offset) sql += " OFFSET " + bind(*offset);
}

std::string SqlBuilder::condition(const Node& node) {
  switch (node.kind) {
    case Node::Kind::all_of:
    case Node::Kind::any_of: {
      std::string joined;
      std::string_view glue = node.kind == Node::Kind::all_of ? " AND " : " OR ";
      for (const auto& child : node.children) {
        joined += (joined.empty() ? "" : std::string(glue)) + condition(*child);
      }
      return "(" + joined + ")";
    }
    case Node::Kind::negation:
      return "NOT (" + condition(*node.children.at(0)) + ")";
    case Node::Kind::compare:
      return compare(node);
    case Node::Kind::in:
      return in_list(node);
    case Node::Kind::is_null:
      return column(data_.require_column(node.column)) +
             (node.negated ? " IS NOT NULL" : " IS NULL");
    case Node::Kind::like:
      return like(node);
    case Node::Kind::json_contains:
      return json_contains(node);
    case Node::Kind::json_path_equals:
    case Node::Kind::json_path_exists:
      return json_path(node);
    case Node::Kind::never:
      return "1 = 0";
  }
  return "1 = 0";  // unreachable: every kind is handled above
}

std::string SqlBuilder::compare_to(std::size_t index, CompareOp op, const Value& value) {
  const FieldInfo& field = data_.fields[index];
  if (is_json(data_.table.columns[index].type)) {
    throw UsageError(fmt::format("compare JSON column {} with contains() or path()", field.label));
  }
  if (value.is_null()) {
    if (op == CompareOp::eq) return column(index) + " IS NULL";
    if (op == CompareOp::ne) return column(index) + " IS NOT NULL";
    throw UsageError(fmt::format("{}: NULL has no order", field.label));
  }
  bool ordering = op != CompareOp::eq && op != CompareOp::ne;
  std::string lhs = ordering ? ordered_column(index) : column(index);
  return fmt::format("{} {} {}", lhs, operator_sql(op), bind(column_value(data_, index, value)));
}

std::string SqlBuilder::compare(const Node& node) {
  return compare_to(data_.require_column(node.column), node.op, node.values.at(0));
}

std::string SqlBuilder::in_list(const Node& node) {
  std::size_t index = data_.require_column(node.column);
  if (is_json(data_.table.columns[index].type)) {
    throw UsageError("IN on JSON column " + data_.fields[index].label);
  }
  if (node.values.empty()) return node.negated ? "1 = 1" : "1 = 0";  // IN () is not SQL
  std::string list;
  for (const Value& value : node.values) {
    list += (list.empty() ? "" : ", ") + bind(column_value(data_, index, value));
  }
  return fmt::format("{} {}IN ({})", column(index), node.negated ? "NOT " : "", list);
}

std::string SqlBuilder::like(const Node& node) {
  std::size_t index = data_.require_column(node.column);
  const FieldInfo& field = data_.fields[index];
  const schema::ColumnType& type = data_.table.columns[index].type;
  if (!is_textual(type)) throw UsageError("LIKE needs a text column; " + field.label + " is not");
  const std::string& pattern = node.values.at(0).as_text();
  text::require_valid_text(pattern, field.label);
  if (ends_with_lone_escape(pattern)) {
    throw InvalidInput(field.label, "LIKE pattern must not end with an escape character");
  }
  if (dialect_ == Dialect::sqlite)
    return fmt::format("{} GLOB {}", column(index), bind(like_to_glob(pattern)));
  std::string lhs = type.kind == Kind::enum_ ? column(index) + "::text" : column(index);
  return fmt::format("{} LIKE {}", lhs, bind(pattern));
}

std::string SqlBuilder::json_contains(const Node& node) {
  std::size_t index = data_.require_column(node.column);
  const FieldInfo& field = data_.fields[index];
  if (!is_json(data_.table.columns[index].type)) {
    throw UsageError("contains() needs a JSON column; " + field.label + " is not");
  }
  std::variant<JsonText, json::Problem> checked = json::check(node.values.at(0).as_text());
  if (json::Problem* problem = std::get_if<json::Problem>(&checked)) {
    throw InvalidInput(field.label, problem->reason, problem->offset);
  }
  JsonText& document = std::get<JsonText>(checked);
  if (dialect_ == Dialect::sqlite) {
    return fmt::format("retort_json_contains({}, {})", column(index), bind(std::move(document)));
  }
  return fmt::format("{} @> {}::jsonb", json_target(index, {}), bind(std::move(document)));
}

// The JSON value at path. SQLite: retort_json_get with each step bound (TEXT a key, INTEGER an
// index). PostgreSQL: a strict jsonpath bound as one parameter (keys quoted as JSON strings),
// read with errors silenced, so a missing key, a key on an array or an index on anything but an
// array give NULL; jsonb's -> would take `scalar -> 0` to be the scalar itself.
std::string SqlBuilder::json_target(std::size_t index, const std::vector<PathStep>& path) {
  const FieldInfo& field = data_.fields[index];
  // Cast even when the model says jsonb: the table may be older than the model (the original
  // service's events table is json). On a jsonb column PostgreSQL drops the same-type cast, so
  // its GIN index still serves @>.
  std::string target = column(index);
  if (dialect_ == Dialect::postgresql) target += "::jsonb";
  if (path.empty()) return target;
  for (const PathStep& step : path) {
    if (!step.is_index()) text::require_valid_text(step.key(), field.label);
  }
  if (dialect_ == Dialect::postgresql) {
    return fmt::format("jsonb_path_query_first({}, {}::jsonpath, '{{}}'::jsonb, true)", target,
                       bind(jsonpath(path)));
  }
  std::string steps;
  for (const PathStep& step : path) {
    steps += ", " + (step.is_index() ? bind(step.index()) : bind(step.key()));
  }
  return fmt::format("retort_json_get({}{})", target, steps);
}

std::string SqlBuilder::json_path(const Node& node) {
  std::size_t index = data_.require_column(node.column);
  const FieldInfo& field = data_.fields[index];
  if (!is_json(data_.table.columns[index].type)) {
    throw UsageError("path() needs a JSON column; " + field.label + " is not");
  }
  // One limit for both backends, checked before any SQL: SQLite's functions take at most 127
  // arguments, one per step.
  if (node.path.size() > kMaxJsonPathSteps) {
    throw InvalidInput(
        fmt::format("JSON path into {}", field.label),
        fmt::format("{} steps, more than the {} allowed", node.path.size(), kMaxJsonPathSteps));
  }
  std::string target = json_target(index, node.path);
  if (node.kind == Node::Kind::json_path_exists) return target + " IS NOT NULL";
  JsonText expected{json_of(field, node.values.at(0))};
  if (dialect_ == Dialect::sqlite) {
    return fmt::format("retort_json_equal({}, {})", target, bind(std::move(expected)));
  }
  return fmt::format("{} = {}::jsonb", target, bind(std::move(expected)));
}

// Rows after the given row in `order`: (a > x) OR (a = x AND b > y) OR ..., with < for
// descending terms. Spelled out rather than as a row comparison, which needs one direction.
std::string SqlBuilder::keyset(const std::vector<OrderTerm>& order,
                               const std::vector<Value>& after) {
  if (after.size() != data_.table.columns.size()) {
    throw UsageError("after(): the row does not have the model's columns");
  }
  std::string any;
  std::string equal_prefix;
  for (const OrderTerm& term : order) {
    std::size_t index = data_.require_column(term.column);
    if (data_.table.columns[index].nullable) {
      throw UsageError("keyset pagination needs NOT NULL ordering columns; " +
                       data_.fields[index].label + " is nullable");
    }
    CompareOp beyond = term.direction == Direction::desc ? CompareOp::lt : CompareOp::gt;
    any += fmt::format("{}({}{})", any.empty() ? "" : " OR ", equal_prefix,
                       compare_to(index, beyond, after[index]));
    equal_prefix += compare_to(index, CompareOp::eq, after[index]) + " AND ";
  }
  return "(" + any + ")";
}

}  // namespace retort::detail

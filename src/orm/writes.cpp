// Preparing the values of writes, and naming conflicts the same way on both backends.
#include "orm/writes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "orm/column_values.hpp"
#include "schema/sql_tokens.hpp"

namespace retort::detail {
namespace {

// The value a member contributes, NOT NULL checked.
Value checked(const ModelData& data, std::size_t index, Value raw) {
  Value value = column_value(data, index, std::move(raw));
  if (value.is_null() && !data.table.columns[index].nullable) {
    throw InvalidInput(data.fields[index].label, "must not be NULL");
  }
  return value;
}

bool is_key(const ModelData& data, std::size_t index) {
  return std::find(data.key_columns.begin(), data.key_columns.end(), index) !=
         data.key_columns.end();
}

// "events.a, events.b" (SQLite's message) -> {"a", "b"}.
std::vector<std::string> reported_columns(const std::string& table, std::string_view text) {
  std::vector<std::string> columns;
  std::string prefix = table + ".";
  while (!text.empty()) {
    std::size_t comma = text.find(", ");
    std::string_view item = text.substr(0, comma);
    if (item.starts_with(prefix)) item.remove_prefix(prefix.size());
    columns.emplace_back(item);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 2);
  }
  return columns;
}

// The name of the key, unique constraint or plain unique index over exactly these columns.
std::string constraint_over(const ModelData& data, const std::vector<std::string>& columns) {
  std::set<std::string> wanted(columns.begin(), columns.end());
  auto same = [&](const std::vector<std::string>& other) {
    return std::set<std::string>(other.begin(), other.end()) == wanted;
  };
  if (!data.key_columns.empty() && same(data.table.primary_key.columns)) {
    return data.primary_key_name;
  }
  for (const schema::UniqueConstraint& unique : data.table.unique_constraints) {
    if (same(unique.columns)) return unique.name;
  }
  for (const schema::Index& index : data.table.indexes) {
    std::vector<std::string> names;
    for (const schema::IndexElement& element : index.elements) names.push_back(element.column);
    bool plain = index.unique &&
                 std::none_of(names.begin(), names.end(), [](const auto& n) { return n.empty(); });
    if (plain && same(names)) return index.name;
  }
  return "";
}

}  // namespace

ColumnValues insert_values(const ModelBase& model, void* object, Timestamp now) {
  const ModelData& data = model.data();
  ColumnValues out;
  out.columns.reserve(data.table.columns.size());  // one allocation each, not one per growth
  out.values.reserve(data.table.columns.size());
  for (std::size_t i = 0; i < data.table.columns.size(); ++i) {
    const schema::Column& column = data.table.columns[i];
    const FieldInfo& field = data.fields[i];
    Value value = model.get(object, i);
    bool filled = false;
    if (is_unset(column, value)) {
      if (field.client_default) {
        value = field.client_default();
        filled = true;
      } else if (field.set_on_create || field.set_on_update) {
        value = now;
        filled = true;
      }
      if (is_unset(column, value) && (column.server_default || column.identity)) continue;
    }
    const Value::Kind given = value.kind();
    value = checked(data, i, std::move(value));
    // The object learns what a default filled in or what a conversion made of its member; an
    // unchanged member is not written back (a JSON document would be copied once more).
    if (filled || value.kind() != given) model.set(object, i, value);
    out.columns.push_back(i);
    out.values.push_back(std::move(value));
  }
  return out;
}

ColumnValues update_values(const ModelBase& model, void* object, Timestamp now) {
  const ModelData& data = model.data();
  ColumnValues out;
  for (std::size_t i = 0; i < data.table.columns.size(); ++i) {
    if (is_key(data, i)) continue;
    Value value = data.fields[i].set_on_update ? Value(now) : model.get(object, i);
    value = checked(data, i, std::move(value));
    if (data.fields[i].set_on_update) model.set(object, i, value);
    out.columns.push_back(i);
    out.values.push_back(std::move(value));
  }
  return out;
}

ColumnValues named_values(const ModelData& data, const FieldValues& fields, Timestamp now) {
  ColumnValues out;
  for (const auto& [name, value] : fields) {
    std::size_t index = data.require_column(name);
    if (is_key(data, index)) {
      throw UsageError(
          fmt::format("update_fields cannot change key column {}", data.fields[index].label));
    }
    if (std::find(out.columns.begin(), out.columns.end(), index) != out.columns.end()) {
      throw UsageError(fmt::format("update_fields names {} twice", data.fields[index].label));
    }
    out.columns.push_back(index);
    out.values.push_back(checked(data, index, value));
  }
  for (std::size_t i = 0; i < data.fields.size(); ++i) {
    bool named = std::find(out.columns.begin(), out.columns.end(), i) != out.columns.end();
    if (!data.fields[i].set_on_update || named) continue;
    out.columns.push_back(i);
    out.values.push_back(checked(data, i, now));
  }
  return out;
}

void rethrow_unique_violation(const ModelData& data, const UniqueViolation& error) {
  ErrorInfo info = error.info();
  constexpr std::string_view kIndexPrefix = "index '";
  bool names_columns = !info.constraint.empty() &&
                       !std::string_view(info.constraint).starts_with(kIndexPrefix) &&
                       info.constraint.find(data.table.name + ".") == 0;
  if (!names_columns) throw;  // PostgreSQL, or SQLite naming an expression index
  std::string name = constraint_over(data, reported_columns(data.table.name, info.constraint));
  if (name.empty()) throw;
  info.constraint = name;
  throw_database_error(std::move(info));
}

bool checks_verified_by_client(Session& session, const ModelData& data,
                               const std::vector<std::size_t>& columns) {
  if (session.dialect() != Dialect::sqlite) return false;
  const schema::Table& table = data.table;
  const std::string master = table.schema.empty()
                                 ? "sqlite_master"
                                 : Connection::quote_identifier(table.schema) + ".sqlite_master";
  Result result = session.execute(
      "SELECT sql FROM " + master + " WHERE type = 'table' AND name = $1", {Value(table.name)});
  if (result.empty() || result[0][0].is_null()) return false;
  const auto checked = schema::sql::json_checked_columns_only(result[0][0].as_text());
  if (!checked) return false;
  return std::all_of(checked->begin(), checked->end(), [&](const std::string& name) {
    return std::any_of(columns.begin(), columns.end(), [&](std::size_t k) {
      const schema::Column& column = table.columns[k];
      return column.name == name && (column.type.kind == schema::ColumnType::Kind::json ||
                                     column.type.kind == schema::ColumnType::Kind::jsonb);
    });
  });
}

}  // namespace retort::detail

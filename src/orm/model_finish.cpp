// Checking a model description and deriving what the repository needs from it.
//
// Problems are found once, when the model is first used, and reported with the model's table
// name, instead of surfacing later as a confusing SQL error.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "orm/model_data.hpp"
#include "retort/connection.hpp"
#include "retort/ddl.hpp"
#include "retort/error.hpp"

namespace retort::detail {
namespace {

using Kind = schema::ColumnType::Kind;

// PostgreSQL truncates identifiers to 63 bytes; names we generate are cut the same way (at a
// UTF-8 boundary) so what we render is what the server reports back.
constexpr std::size_t kMaxIdentifier = 63;

std::string truncated(std::string name) {
  if (name.size() <= kMaxIdentifier) return name;
  std::size_t cut = kMaxIdentifier;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  name.resize(cut);
  return name;
}

// PostgreSQL's own naming: <table>_<col>_<col>_<suffix>.
std::string default_name(const std::string& table, const std::vector<std::string>& columns,
                         std::string_view suffix) {
  std::string name = table;
  for (const std::string& column : columns) name += "_" + column;
  return truncated(fmt::format("{}_{}", name, suffix));
}

[[noreturn]] void invalid(const ModelData& data, const std::string& problem) {
  std::string table = data.table.name.empty() ? "(no table name)" : data.table.name;
  throw UsageError(fmt::format("model {}: {}", table, problem));
}

void require_columns(const ModelData& data, const std::vector<std::string>& columns,
                     std::string_view what) {
  if (columns.empty()) invalid(data, fmt::format("{} has no columns", what));
  for (const std::string& column : columns) {
    if (data.column_index(column) == ModelData::npos) {
      invalid(data, fmt::format("{} names unknown column {}", what, column));
    }
  }
}

bool is_time(Kind kind) {
  return kind == Kind::timestamptz || kind == Kind::timestamp;
}

bool is_integer(Kind kind) {
  return kind == Kind::smallint || kind == Kind::integer || kind == Kind::bigint;
}

void check_columns(ModelData& data) {
  if (data.table.name.empty()) invalid(data, "no table name (call m.table(\"...\"))");
  if (data.table.columns.empty()) invalid(data, "no columns");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < data.table.columns.size(); ++i) {
    const schema::Column& column = data.table.columns[i];
    FieldInfo& field = data.fields[i];
    field.label = fmt::format("{}.{}", data.table.name, column.name);
    if (column.name.empty()) invalid(data, "a column has no name");
    if (!seen.insert(column.name).second) invalid(data, "column " + column.name + " appears twice");
    if ((field.set_on_create || field.set_on_update) && !is_time(column.type.kind)) {
      invalid(data, field.label + ": set_on_create/set_on_update need a timestamp column");
    }
    if (column.identity && !is_integer(column.type.kind)) {
      invalid(data, field.label + ": identity needs an integer column");
    }
    if (column.type.kind != Kind::enum_) continue;
    auto type = std::find_if(data.enums.begin(), data.enums.end(),
                             [&](const auto& e) { return e.name == column.type.enum_name; });
    if (type == data.enums.end()) {
      invalid(data, fmt::format("{}: enum type {} is not declared (m.enum_type(...))", field.label,
                                column.type.enum_name));
    }
    field.enum_values = type->values;
  }
}

void check_key(ModelData& data) {
  schema::PrimaryKey& key = data.table.primary_key;
  if (data.table_level_key && data.column_level_key) {
    // Both forms together would disagree on the key's column order.
    invalid(data, "primary key: declare it either on the columns or with primary_key({...})");
  }
  std::set<std::string> distinct(key.columns.begin(), key.columns.end());
  if (distinct.size() != key.columns.size()) invalid(data, "primary key names a column twice");
  if (key.columns.empty()) return;  // allowed for metadata; the repository refuses it
  require_columns(data, key.columns, "primary key");
  for (const std::string& name : key.columns) {
    std::size_t index = data.column_index(name);
    data.table.columns[index].nullable = false;
    data.key_columns.push_back(index);
  }
  data.primary_key_name = key.name.empty() ? truncated(data.table.name + "_pkey") : key.name;
}

void name_constraints(ModelData& data) {
  schema::Table& table = data.table;
  for (schema::UniqueConstraint& unique : table.unique_constraints) {
    require_columns(data, unique.columns, "unique constraint");
    if (unique.name.empty()) unique.name = default_name(table.name, unique.columns, "key");
  }
  for (schema::ForeignKey& fk : table.foreign_keys) {
    require_columns(data, fk.columns, "foreign key");
    if (fk.referred_table.empty() || fk.referred_columns.size() != fk.columns.size()) {
      invalid(data, "foreign key: give the referred table and as many columns as it has");
    }
    if (fk.name.empty()) fk.name = default_name(table.name, fk.columns, "fkey");
  }
  for (const schema::CheckConstraint& check : table.check_constraints) {
    if (check.name.empty() || check.expression.empty()) {
      invalid(data, "a check constraint needs a name and an expression");
    }
  }
}

void check_indexes(const ModelData& data) {
  std::set<std::string> names;
  for (const schema::Index& index : data.table.indexes) {
    if (index.name.empty()) invalid(data, "an index has no name");
    if (!names.insert(index.name).second) invalid(data, "index " + index.name + " appears twice");
    if (index.elements.empty()) invalid(data, "index " + index.name + " has no elements");
    for (const schema::IndexElement& element : index.elements) {
      if (!element.column.empty() && data.column_index(element.column) == ModelData::npos) {
        invalid(data, fmt::format("index {} names unknown column {}", index.name, element.column));
      }
    }
  }
}

void choose_latest(ModelData& data) {
  if (!data.latest_by.empty()) {
    data.latest_column = data.column_index(data.latest_by);
    if (data.latest_column == ModelData::npos) {
      invalid(data, "latest_by names unknown column " + data.latest_by);
    }
    return;
  }
  for (std::size_t i = 0; i < data.fields.size(); ++i) {
    if (data.fields[i].set_on_create) {
      data.latest_column = i;
      return;
    }
  }
}

void derive_sql(ModelData& data) {
  data.from = ddl::qualified_name(data.table.schema, data.table.name);
  data.select_list.clear();
  data.quoted_names.clear();
  for (const schema::Column& column : data.table.columns) {
    data.quoted_names.push_back(Connection::quote_identifier(column.name));
    if (!data.select_list.empty()) data.select_list += ", ";
    data.select_list += data.quoted_names.back();
  }
}

}  // namespace

void finish_model(ModelData& data) {
  check_columns(data);
  check_key(data);
  name_constraints(data);
  check_indexes(data);
  choose_latest(data);
  derive_sql(data);
}

}  // namespace retort::detail

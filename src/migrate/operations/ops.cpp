// Operations: how each one reads, its inverse, and its effect on metadata.
#include <fmt/format.h>

#include <algorithm>

#include "retort/autogenerate.hpp"

namespace retort::autogenerate {
namespace {

using schema::MetaData;
using schema::Table;

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string type_text(const schema::ColumnType& type) {
  return type.sql(Dialect::postgresql);
}

std::string default_text(const schema::Column& column) {
  if (!column.server_default) return "none";
  // Read from a database, only that dialect's half is there.
  const schema::DialectSql& d = *column.server_default;
  if (d.postgresql.empty()) return d.sqlite;
  if (d.sqlite.empty() || d.sqlite == d.postgresql) return d.postgresql;
  return d.postgresql + " | " + d.sqlite;
}

std::string column_summary(const schema::Column& column) {
  std::string out = type_text(column.type);
  if (!column.nullable) out += " NOT NULL";
  if (column.server_default) out += " DEFAULT " + default_text(column);
  return out;
}

std::string alter_summary(const Operation& op) {
  std::vector<std::string> parts;
  if (op.changes.type) {
    parts.push_back(
        fmt::format("type {} -> {}", type_text(op.old_column.type), type_text(op.column.type)));
  }
  if (op.changes.nullable) parts.push_back(op.column.nullable ? "DROP NOT NULL" : "SET NOT NULL");
  if (op.changes.server_default) {
    parts.push_back(
        fmt::format("default {} -> {}", default_text(op.old_column), default_text(op.column)));
  }
  if (op.changes.comment) parts.push_back("comment");
  return joined(parts);
}

std::string element_list(const schema::Index& index) {
  std::vector<std::string> parts;
  for (const schema::IndexElement& e : index.elements) {
    parts.push_back(e.column.empty() ? "(" + e.expression.postgresql + ")" : e.column);
  }
  return joined(parts);
}

Table& require_table(MetaData& metadata, const std::string& name, const Operation& op) {
  auto it = std::find_if(metadata.tables.begin(), metadata.tables.end(),
                         [&](const Table& t) { return t.name == name; });
  if (it == metadata.tables.end()) {
    throw UsageError(fmt::format("{}: table {} does not exist at this point", describe(op), name));
  }
  return *it;
}

schema::Column& require_column(Table& table, const std::string& name, const Operation& op) {
  auto it = std::find_if(table.columns.begin(), table.columns.end(),
                         [&](const schema::Column& c) { return c.name == name; });
  if (it == table.columns.end()) {
    throw UsageError(fmt::format("{}: column {}.{} does not exist at this point", describe(op),
                                 table.name, name));
  }
  return *it;
}

// Constraints are the same object when both are named alike, else when equal in every part.
template <class T>
bool same_object(const T& a, const T& b) {
  return !a.name.empty() && !b.name.empty() ? a.name == b.name : a == b;
}

template <class T>
void erase_required(std::vector<T>& items, const T& item, const Operation& op,
                    std::string_view what) {
  auto it =
      std::find_if(items.begin(), items.end(), [&](const T& x) { return same_object(x, item); });
  if (it == items.end()) {
    throw UsageError(fmt::format("{}: no such {} at this point", describe(op), what));
  }
  items.erase(it);
}

// Renames a column everywhere the table names it (key, constraints, indexes).
void rename_column_references(Table& table, const std::string& from, const std::string& to) {
  auto rename_in = [&](std::vector<std::string>& names) {
    std::replace(names.begin(), names.end(), from, to);
  };
  rename_in(table.primary_key.columns);
  for (auto& u : table.unique_constraints) rename_in(u.columns);
  for (auto& fk : table.foreign_keys) rename_in(fk.columns);
  for (auto& index : table.indexes) {
    for (auto& e : index.elements) {
      if (e.column == from) e.column = to;
    }
  }
}

void apply_enum_op(MetaData& metadata, const Operation& op) {
  auto it = std::find_if(metadata.enums.begin(), metadata.enums.end(),
                         [&](const schema::EnumType& e) { return e.name == op.enum_type.name; });
  if (op.kind == OpKind::create_enum) {
    if (it != metadata.enums.end()) throw UsageError(describe(op) + ": the enum exists already");
    metadata.enums.push_back(op.enum_type);
    return;
  }
  if (it == metadata.enums.end()) throw UsageError(describe(op) + ": no such enum at this point");
  if (op.kind == OpKind::drop_enum) {
    metadata.enums.erase(it);
  } else {
    *it = op.enum_type;  // add/drop value: the type after the change
  }
}

}  // namespace

std::string describe(const Operation& op) {
  const std::string& t = op.table;
  switch (op.kind) {
    case OpKind::create_enum:
      return fmt::format("create enum {} ({})", op.enum_type.name, joined(op.enum_type.values));
    case OpKind::drop_enum:
      return fmt::format("drop enum {}", op.enum_type.name);
    case OpKind::add_enum_value:
      return fmt::format("add value '{}' to enum {}", op.value, op.enum_type.name);
    case OpKind::drop_enum_value:
      return fmt::format("remove value '{}' from enum {}", op.value, op.enum_type.name);
    case OpKind::create_table:
      return fmt::format("create table {}", t);
    case OpKind::drop_table:
      return fmt::format("drop table {}", t);
    case OpKind::rename_table:
      return fmt::format("rename table {} to {}", op.old_name, t);
    case OpKind::add_column:
      return fmt::format("add column {}.{} ({})", t, op.column.name, column_summary(op.column));
    case OpKind::drop_column:
      return fmt::format("drop column {}.{}", t, op.column.name);
    case OpKind::rename_column:
      return fmt::format("rename column {}.{} to {}", t, op.old_name, op.name);
    case OpKind::alter_column:
      return fmt::format("alter column {}.{}: {}", t, op.column.name, alter_summary(op));
    case OpKind::set_table_comment:
      return fmt::format("set comment of table {}", t);
    case OpKind::create_index:
      return fmt::format("create {}index {} on {} ({})", op.index.unique ? "unique " : "",
                         op.index.name, t, element_list(op.index));
    case OpKind::drop_index:
      return fmt::format("drop index {} on {}", op.index.name, t);
    case OpKind::add_unique:
      return fmt::format("add unique constraint {} on {} ({})", op.unique.name, t,
                         joined(op.unique.columns));
    case OpKind::drop_unique:
      return fmt::format("drop unique constraint {} on {}", op.unique.name, t);
    case OpKind::add_foreign_key:
      return fmt::format("add foreign key {} on {} ({}) -> {} ({})", op.foreign_key.name, t,
                         joined(op.foreign_key.columns), op.foreign_key.referred_table,
                         joined(op.foreign_key.referred_columns));
    case OpKind::drop_foreign_key:
      return fmt::format("drop foreign key {} on {}", op.foreign_key.name, t);
    case OpKind::add_check:
      return fmt::format("add check constraint {} on {}", op.check.name, t);
    case OpKind::drop_check:
      return fmt::format("drop check constraint {} on {}", op.check.name, t);
  }
  return "unknown operation";
}

std::string describe(const RenameHint& hint) {
  if (hint.kind == RenameHint::Kind::table) {
    return fmt::format("table {} -> {}", hint.from, hint.to);
  }
  return fmt::format("column {}.{} -> {}.{}", hint.table, hint.from, hint.table, hint.to);
}

Operation invert(const Operation& op) {
  Operation out = op;
  auto swap_kind = [&](OpKind a, OpKind b) { out.kind = op.kind == a ? b : a; };
  switch (op.kind) {
    case OpKind::create_enum:
    case OpKind::drop_enum:
      swap_kind(OpKind::create_enum, OpKind::drop_enum);
      break;
    case OpKind::add_enum_value:
    case OpKind::drop_enum_value: {
      swap_kind(OpKind::add_enum_value, OpKind::drop_enum_value);
      std::swap(out.enum_type.values, out.old_enum_values);
      break;
    }
    case OpKind::create_table:
    case OpKind::drop_table:
      swap_kind(OpKind::create_table, OpKind::drop_table);
      break;
    case OpKind::rename_table:
    case OpKind::rename_column:
      std::swap(out.old_name, op.kind == OpKind::rename_table ? out.table : out.name);
      break;
    case OpKind::add_column:
    case OpKind::drop_column:
      swap_kind(OpKind::add_column, OpKind::drop_column);
      break;
    case OpKind::alter_column:
      std::swap(out.column, out.old_column);
      break;
    case OpKind::set_table_comment:
      std::swap(out.comment, out.old_comment);
      break;
    case OpKind::create_index:
    case OpKind::drop_index:
      swap_kind(OpKind::create_index, OpKind::drop_index);
      break;
    case OpKind::add_unique:
    case OpKind::drop_unique:
      swap_kind(OpKind::add_unique, OpKind::drop_unique);
      break;
    case OpKind::add_foreign_key:
    case OpKind::drop_foreign_key:
      swap_kind(OpKind::add_foreign_key, OpKind::drop_foreign_key);
      break;
    case OpKind::add_check:
    case OpKind::drop_check:
      swap_kind(OpKind::add_check, OpKind::drop_check);
      break;
  }
  return out;
}

void apply(MetaData& metadata, const Operation& op) {
  switch (op.kind) {
    case OpKind::create_enum:
    case OpKind::drop_enum:
    case OpKind::add_enum_value:
    case OpKind::drop_enum_value:
      apply_enum_op(metadata, op);
      return;
    case OpKind::create_table:
      if (metadata.find_table(op.table) != nullptr) {
        throw UsageError(describe(op) + ": the table exists already");
      }
      metadata.tables.push_back(op.table_def);
      return;
    case OpKind::drop_table:
      require_table(metadata, op.table, op);
      std::erase_if(metadata.tables, [&](const Table& t) { return t.name == op.table; });
      return;
    case OpKind::rename_table:
      require_table(metadata, op.old_name, op).name = op.table;
      for (Table& other : metadata.tables) {
        for (schema::ForeignKey& fk : other.foreign_keys) {
          if (fk.referred_table == op.old_name) fk.referred_table = op.table;
        }
      }
      return;
    default:
      break;
  }
  Table& table = require_table(metadata, op.table, op);
  switch (op.kind) {
    case OpKind::add_column:
      table.columns.push_back(op.column);
      break;
    case OpKind::drop_column:
      require_column(table, op.column.name, op);
      std::erase_if(table.columns,
                    [&](const schema::Column& c) { return c.name == op.column.name; });
      break;
    case OpKind::rename_column:
      require_column(table, op.old_name, op).name = op.name;
      rename_column_references(table, op.old_name, op.name);
      for (Table& other : metadata.tables) {
        for (schema::ForeignKey& fk : other.foreign_keys) {
          if (fk.referred_table != table.name) continue;
          std::replace(fk.referred_columns.begin(), fk.referred_columns.end(), op.old_name,
                       op.name);
        }
      }
      break;
    case OpKind::alter_column:
      require_column(table, op.column.name, op) = op.column;
      break;
    case OpKind::set_table_comment:
      table.comment = op.comment;
      break;
    case OpKind::create_index:
      table.indexes.push_back(op.index);
      break;
    case OpKind::drop_index:
      erase_required(table.indexes, op.index, op, "index");
      break;
    case OpKind::add_unique:
      table.unique_constraints.push_back(op.unique);
      break;
    case OpKind::drop_unique:
      erase_required(table.unique_constraints, op.unique, op, "unique constraint");
      break;
    case OpKind::add_foreign_key:
      table.foreign_keys.push_back(op.foreign_key);
      break;
    case OpKind::drop_foreign_key:
      erase_required(table.foreign_keys, op.foreign_key, op, "foreign key");
      break;
    case OpKind::add_check:
      table.check_constraints.push_back(op.check);
      break;
    case OpKind::drop_check:
      erase_required(table.check_constraints, op.check, op, "check constraint");
      break;
    default:
      break;
  }
}

}  // namespace retort::autogenerate

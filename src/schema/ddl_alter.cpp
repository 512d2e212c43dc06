// DDL that changes existing objects: ALTER TABLE / TYPE, DROP, COMMENT (see retort/ddl.hpp).
#include <fmt/format.h>

#include <algorithm>

#include "retort/connection.hpp"
#include "retort/ddl.hpp"
#include "retort/error.hpp"

namespace retort::ddl {
namespace {

std::string quote(std::string_view name) {
  return Connection::quote_identifier(name);
}

std::string table_name(const schema::Table& table) {
  return qualified_name(table.schema, table.name);
}

std::string alter_column(const schema::Table& table, const schema::Column& column) {
  return fmt::format("ALTER TABLE {} ALTER COLUMN {}", table_name(table), quote(column.name));
}

}  // namespace

std::string drop_table(const schema::Table& table) {
  return "DROP TABLE " + table_name(table);
}

std::string rename_table(const std::string& schema_name, const std::string& from,
                         const std::string& to) {
  return fmt::format("ALTER TABLE {} RENAME TO {}", qualified_name(schema_name, from), quote(to));
}

std::string add_column(const schema::Table& table, const schema::Column& column, Dialect dialect,
                       const schema::MetaData* enums) {
  return fmt::format("ALTER TABLE {} ADD COLUMN {}", table_name(table),
                     column_definition(column, dialect, enums));
}

std::string drop_column(const schema::Table& table, const std::string& column) {
  return fmt::format("ALTER TABLE {} DROP COLUMN {}", table_name(table), quote(column));
}

std::string rename_column(const schema::Table& table, const std::string& from,
                          const std::string& to) {
  return fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", table_name(table), quote(from),
                     quote(to));
}

std::string alter_column_type(const schema::Table& table, const schema::Column& column) {
  const std::string type = column.type.sql(Dialect::postgresql);
  // Enum values have no cast from other types but text; through text covers both directions.
  const bool via_text = column.type.kind == schema::ColumnType::Kind::enum_;
  const std::string text = column.type.array ? "text[]" : "text";
  return fmt::format("{} TYPE {} USING {}::{}{}", alter_column(table, column), type,
                     quote(column.name), via_text ? text + "::" : "", type);
}

std::string alter_column_default(const schema::Table& table, const schema::Column& column) {
  const std::string expression =
      column.server_default ? column.server_default->for_dialect(Dialect::postgresql) : "";
  if (expression.empty()) return alter_column(table, column) + " DROP DEFAULT";
  return fmt::format("{} SET DEFAULT {}", alter_column(table, column), expression);
}

std::string alter_column_nullable(const schema::Table& table, const schema::Column& column) {
  return alter_column(table, column) + (column.nullable ? " DROP NOT NULL" : " SET NOT NULL");
}

std::string comment_on_column(const schema::Table& table, const schema::Column& column) {
  return fmt::format("COMMENT ON COLUMN {}.{} IS {}", table_name(table), quote(column.name),
                     column.comment.empty() ? "NULL" : string_literal(column.comment));
}

std::string comment_on_table(const schema::Table& table, const std::string& comment) {
  return fmt::format("COMMENT ON TABLE {} IS {}", table_name(table),
                     comment.empty() ? "NULL" : string_literal(comment));
}

std::string drop_index(const schema::Table& table, const schema::Index& index, Dialect dialect,
                       bool concurrently, bool if_exists) {
  // An index lives in its table's schema on both dialects.
  return fmt::format("DROP INDEX {}{}{}",
                     concurrently && dialect == Dialect::postgresql ? "CONCURRENTLY " : "",
                     if_exists ? "IF EXISTS " : "", qualified_name(table.schema, index.name));
}

std::string add_constraint(const schema::Table& table, const std::string& definition,
                           bool not_valid) {
  return fmt::format("ALTER TABLE {} ADD {}{}", table_name(table), definition,
                     not_valid ? " NOT VALID" : "");
}

std::string add_unique_using_index(const schema::Table& table, const std::string& name) {
  return fmt::format("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}", table_name(table),
                     quote(name), quote(name));
}

std::string drop_constraint(const schema::Table& table, const std::string& name, bool if_exists) {
  return fmt::format("ALTER TABLE {} DROP CONSTRAINT {}{}", table_name(table),
                     if_exists ? "IF EXISTS " : "", quote(name));
}

std::string validate_constraint(const schema::Table& table, const std::string& name) {
  return fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", table_name(table), quote(name));
}

std::string drop_enum(const std::string& name) {
  return "DROP TYPE " + quote(name);
}

std::string rename_enum(const std::string& name, const std::string& new_name) {
  return fmt::format("ALTER TYPE {} RENAME TO {}", quote(name), quote(new_name));
}

std::string add_enum_value(const schema::EnumType& type, const std::string& value) {
  const auto& values = type.values;
  const auto at = std::find(values.begin(), values.end(), value);
  if (at == values.end()) {
    throw UsageError(fmt::format("enum {}: value '{}' is not among its values", type.name, value));
  }
  std::string out = fmt::format("ALTER TYPE {} ADD VALUE IF NOT EXISTS {}", quote(type.name),
                                string_literal(value));
  if (at != values.begin()) return out + " AFTER " + string_literal(*(at - 1));
  if (at + 1 != values.end()) return out + " BEFORE " + string_literal(*(at + 1));
  return out;
}

}  // namespace retort::ddl

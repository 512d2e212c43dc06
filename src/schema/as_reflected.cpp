// as_reflected(): models' metadata as reflection reads it back, for the comparison to start from.
#include <algorithm>

#include "retort/ddl.hpp"
#include "retort/inspect.hpp"
#include "schema/reflect_internal.hpp"

namespace retort::schema {
namespace {

// Only dialect's spelling of sql, the other half empty, as reflection fills it.
DialectSql only_on(const DialectSql& sql, Dialect dialect) {
  return dialect == Dialect::postgresql ? DialectSql(sql.postgresql, "")
                                        : DialectSql("", sql.sqlite);
}

std::optional<DialectSql> only_on(const std::optional<DialectSql>& sql, Dialect dialect) {
  if (!sql || sql->for_dialect(dialect).empty()) return std::nullopt;
  return only_on(*sql, dialect);
}

// SQLite stores a declared type name only: the type is what that name reads back as, except
// enums, which their CHECK carries back (arrays of them are JSON text).
ColumnType sqlite_type(const Column& column) {
  if (column.identity) return types::bigint();
  if (column.type.kind == ColumnType::Kind::enum_ && !column.type.array) return column.type;
  return detail::sqlite_declared_type(column.type.sql(Dialect::sqlite));
}

Column reflected_column(Column column, Dialect dialect, bool in_primary_key) {
  column.server_default = only_on(column.server_default, dialect);
  column.generated = only_on(column.generated, dialect);
  if (dialect == Dialect::sqlite) {
    column.type = sqlite_type(column);
    column.comment.clear();
  } else {
    if (column.type.kind == ColumnType::Kind::custom) {
      column.type.custom = only_on(column.type.custom, dialect);
    }
    // PostgreSQL makes key and identity columns NOT NULL.
    if (in_primary_key || column.identity) column.nullable = false;
  }
  return column;
}

Index reflected_index(Index index, Dialect dialect) {
  index.postgresql_only = false;
  index.where = only_on(index.where, dialect);
  if (index.method == "btree" || dialect == Dialect::sqlite) index.method.clear();
  for (IndexElement& element : index.elements) {
    element.expression = only_on(element.expression, dialect);
    if (dialect == Dialect::sqlite) element.operator_class.clear();
  }
  return index;
}

// The name PostgreSQL gives an unnamed primary key (makeObjectName): the table name, cut to
// leave room for "_pkey" in 63 bytes without splitting a UTF-8 character, then "_pkey".
std::string postgresql_primary_key_name(const std::string& table) {
  std::size_t keep = std::min<std::size_t>(table.size(), 63 - 5);
  while (keep > 0 && keep < table.size() &&
         (static_cast<unsigned char>(table[keep]) & 0xC0) == 0x80) {
    --keep;  // table[keep] continues a character: cut before that character starts
  }
  return table.substr(0, keep) + "_pkey";
}

Table reflected_table(const Table& table, Dialect dialect) {
  Table out = table;
  if (dialect == Dialect::postgresql && out.primary_key.name.empty() &&
      !out.primary_key.columns.empty()) {
    out.primary_key.name = postgresql_primary_key_name(table.name);
  }
  out.columns.clear();
  for (const Column& column : table.columns) {
    const auto& key = table.primary_key.columns;
    bool in_key = std::find(key.begin(), key.end(), column.name) != key.end();
    out.columns.push_back(reflected_column(column, dialect, in_key));
  }
  out.check_constraints.clear();
  for (const CheckConstraint& check : table.check_constraints) {
    if (check.expression.for_dialect(dialect).empty()) continue;  // not created there
    out.check_constraints.push_back({check.name, only_on(check.expression, dialect)});
  }
  out.indexes.clear();
  for (const Index& index : table.indexes) {
    if (ddl::create_index(table, index, dialect).empty()) continue;  // not created there
    out.indexes.push_back(reflected_index(index, dialect));
  }
  if (dialect == Dialect::sqlite) {
    out.comment.clear();
    for (ForeignKey& fk : out.foreign_keys) fk.referred_schema.clear();
  }
  detail::sort_by_name(out.unique_constraints);
  detail::sort_by_name(out.foreign_keys);
  detail::sort_by_name(out.check_constraints);
  detail::sort_by_name(out.indexes);
  return out;
}

bool uses_enum(const std::vector<Table>& tables, const std::string& name) {
  for (const Table& table : tables) {
    for (const Column& column : table.columns) {
      if (column.type.kind == ColumnType::Kind::enum_ && column.type.enum_name == name) return true;
    }
  }
  return false;
}

}  // namespace

MetaData as_reflected(const MetaData& metadata, Dialect dialect) {
  MetaData out;
  for (const Table& table : metadata.tables) out.tables.push_back(reflected_table(table, dialect));
  for (const EnumType& type : metadata.enums) {
    // SQLite has no enum types: reflection knows only those a column's CHECK names.
    if (dialect == Dialect::postgresql || uses_enum(out.tables, type.name))
      out.enums.push_back(type);
  }
  detail::sort_by_name(out.tables);
  detail::sort_by_name(out.enums);
  return out;
}

}  // namespace retort::schema

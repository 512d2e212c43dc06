// GoogleTest printers for schema metadata, so a failed comparison shows which field differs
// instead of object bytes.
#pragma once

#include <ostream>
#include <string>

#include "retort/schema.hpp"

namespace retort::schema {

inline void PrintTo(const DialectSql& sql, std::ostream* os) {
  *os << "{pg: \"" << sql.postgresql << "\", sqlite: \"" << sql.sqlite << "\"}";
}

inline void print_optional(const std::optional<DialectSql>& sql, std::ostream* os) {
  if (sql) {
    PrintTo(*sql, os);
  } else {
    *os << "none";
  }
}

inline void PrintTo(const ColumnType& type, std::ostream* os) {
  *os << "type(kind " << static_cast<int>(type.kind) << ", pg \"" << type.sql(Dialect::postgresql)
      << "\", sqlite \"" << type.sql(Dialect::sqlite) << "\"" << (type.array ? ", array" : "");
  if (type.kind == ColumnType::Kind::custom) {
    *os << ", custom ";
    PrintTo(type.custom, os);
  }
  *os << ")";
}

inline void PrintTo(const Column& column, std::ostream* os) {
  *os << "column " << column.name << " ";
  PrintTo(column.type, os);
  *os << (column.nullable ? " null" : " not null") << (column.identity ? " identity" : "")
      << " default ";
  print_optional(column.server_default, os);
  *os << " generated ";
  print_optional(column.generated, os);
  if (!column.comment.empty()) *os << " comment \"" << column.comment << "\"";
}

inline std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return "(" + out + ")";
}

inline void PrintTo(const PrimaryKey& key, std::ostream* os) {
  *os << "primary key \"" << key.name << "\" " << joined(key.columns);
}

inline void PrintTo(const UniqueConstraint& unique, std::ostream* os) {
  *os << "unique \"" << unique.name << "\" " << joined(unique.columns);
}

inline void PrintTo(const ForeignKey& fk, std::ostream* os) {
  *os << "foreign key \"" << fk.name << "\" " << joined(fk.columns) << " -> " << fk.referred_schema
      << "." << fk.referred_table << joined(fk.referred_columns) << " delete "
      << referential_action_sql(fk.on_delete) << " update " << referential_action_sql(fk.on_update);
}

inline void PrintTo(const CheckConstraint& check, std::ostream* os) {
  *os << "check \"" << check.name << "\" ";
  PrintTo(check.expression, os);
}

inline void PrintTo(const IndexElement& element, std::ostream* os) {
  *os << "element \"" << element.column << "\" ";
  PrintTo(element.expression, os);
  *os << " opclass \"" << element.operator_class << "\"" << (element.descending ? " desc" : "");
}

inline void PrintTo(const Index& index, std::ostream* os) {
  *os << "index \"" << index.name << "\"" << (index.unique ? " unique" : "") << " method \""
      << index.method << "\"" << (index.postgresql_only ? " pg-only" : "") << " where ";
  PrintTo(index.where, os);
  for (const IndexElement& element : index.elements) {
    *os << "; ";
    PrintTo(element, os);
  }
}

inline void PrintTo(const EnumType& type, std::ostream* os) {
  *os << "enum " << type.name << " " << joined(type.values);
}

inline void PrintTo(const Table& table, std::ostream* os) {
  *os << "table " << table.schema << "." << table.name << " comment \"" << table.comment << "\"\n";
  for (const Column& column : table.columns) {
    *os << "  ";
    PrintTo(column, os);
    *os << "\n";
  }
  *os << "  ";
  PrintTo(table.primary_key, os);
  for (const UniqueConstraint& unique : table.unique_constraints) {
    *os << "\n  ";
    PrintTo(unique, os);
  }
  for (const ForeignKey& fk : table.foreign_keys) {
    *os << "\n  ";
    PrintTo(fk, os);
  }
  for (const CheckConstraint& check : table.check_constraints) {
    *os << "\n  ";
    PrintTo(check, os);
  }
  for (const Index& index : table.indexes) {
    *os << "\n  ";
    PrintTo(index, os);
  }
  *os << "\n";
}

}  // namespace retort::schema

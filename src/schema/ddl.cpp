// DDL rendering for both dialects (see retort/ddl.hpp for what each dialect gets).
#include "retort/ddl.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "retort/connection.hpp"
#include "retort/error.hpp"

namespace retort::ddl {
namespace {

using schema::Column;
using schema::ColumnType;
using schema::Table;

std::string quote(std::string_view name) {
  return Connection::quote_identifier(name);
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += quote(name);
  }
  return out;
}

bool is_json_text(const ColumnType& type) {
  return type.array || type.kind == ColumnType::Kind::json || type.kind == ColumnType::Kind::jsonb;
}

const schema::EnumType& require_enum(const ColumnType& type, const schema::MetaData* enums,
                                     const std::string& column) {
  const schema::EnumType* found = enums != nullptr ? enums->find_enum(type.enum_name) : nullptr;
  if (found == nullptr) {
    throw UsageError(fmt::format("column {}: enum type {} is not declared in the metadata", column,
                                 type.enum_name));
  }
  return *found;
}

// SQLite has no JSON or enum types: a CHECK keeps what is stored as valid as PostgreSQL would.
std::string sqlite_column_checks(const Column& column, const schema::MetaData* enums) {
  std::string name = quote(column.name);
  if (is_json_text(column.type)) {
    // SQLite before 3.45 says json_valid(NULL) is 0, not NULL: let NULL through explicitly.
    if (!column.nullable) return fmt::format(" CHECK (json_valid({}))", name);
    return fmt::format(" CHECK ({0} IS NULL OR json_valid({0}))", name);
  }
  if (column.type.kind != ColumnType::Kind::enum_) return "";
  std::string values;
  for (const std::string& value : require_enum(column.type, enums, column.name).values) {
    if (!values.empty()) values += ", ";
    values += string_literal(value);
  }
  // Named after the enum type, so reflection can tell the enum (and its name) from a user CHECK.
  return fmt::format(" CONSTRAINT {} CHECK ({} IN ({}))", quote(column.type.enum_name), name,
                     values);
}

// The identity column that SQLite must declare inline as its INTEGER PRIMARY KEY, if any.
const Column* sqlite_identity(const Table& table) {
  for (const Column& column : table.columns) {
    if (!column.identity) continue;
    if (table.primary_key.columns != std::vector<std::string>{column.name}) {
      throw UsageError(
          fmt::format("table {}: identity column {} must be the whole primary key on SQLite",
                      table.name, column.name));
    }
    return &column;
  }
  return nullptr;
}

std::string constraint_prefix(const std::string& name) {
  return name.empty() ? "" : fmt::format("CONSTRAINT {} ", quote(name));
}

std::string foreign_key_clause(const schema::ForeignKey& fk, Dialect dialect) {
  // SQLite can only refer to a table of the same database: it takes no schema there.
  std::string referred = dialect == Dialect::sqlite
                             ? quote(fk.referred_table)
                             : qualified_name(fk.referred_schema, fk.referred_table);
  std::string out =
      fmt::format("{}FOREIGN KEY ({}) REFERENCES {} ({})", constraint_prefix(fk.name),
                  quoted_list(fk.columns), referred, quoted_list(fk.referred_columns));
  // NO ACTION is the default on both dialects; leaving it out keeps the text short.
  if (fk.on_delete != schema::ReferentialAction::no_action) {
    out += fmt::format(" ON DELETE {}", schema::referential_action_sql(fk.on_delete));
  }
  if (fk.on_update != schema::ReferentialAction::no_action) {
    out += fmt::format(" ON UPDATE {}", schema::referential_action_sql(fk.on_update));
  }
  return out;
}

// The table-level constraint clauses of CREATE TABLE, in a fixed order.
std::vector<std::string> constraint_clauses(const Table& table, Dialect dialect) {
  std::vector<std::string> clauses;
  bool pk_inline = dialect == Dialect::sqlite && sqlite_identity(table) != nullptr;
  if (!table.primary_key.columns.empty() && !pk_inline) {
    clauses.push_back(fmt::format("{}PRIMARY KEY ({})", constraint_prefix(table.primary_key.name),
                                  quoted_list(table.primary_key.columns)));
  }
  for (const schema::UniqueConstraint& unique : table.unique_constraints) {
    clauses.push_back(
        fmt::format("{}UNIQUE ({})", constraint_prefix(unique.name), quoted_list(unique.columns)));
  }
  for (const schema::ForeignKey& fk : table.foreign_keys) {
    clauses.push_back(foreign_key_clause(fk, dialect));
  }
  for (const schema::CheckConstraint& check : table.check_constraints) {
    const std::string& expression = check.expression.for_dialect(dialect);
    if (expression.empty()) continue;  // no spelling on this dialect
    clauses.push_back(fmt::format("{}CHECK ({})", constraint_prefix(check.name), expression));
  }
  return clauses;
}

std::string index_element(const schema::IndexElement& element, Dialect dialect) {
  std::string out = element.column.empty()
                        ? fmt::format("({})", element.expression.for_dialect(dialect))
                        : quote(element.column);
  if (dialect == Dialect::postgresql && !element.operator_class.empty()) {
    out += ' ' + element.operator_class;
  }
  if (element.descending) out += " DESC";
  return out;
}

bool index_exists_on(const schema::Index& index, Dialect dialect) {
  if (dialect == Dialect::postgresql) return true;
  if (index.postgresql_only) return false;
  if (!index.where.empty() && index.where.sqlite.empty()) return false;
  return std::all_of(index.elements.begin(), index.elements.end(), [](const auto& element) {
    return !element.column.empty() || !element.expression.sqlite.empty();
  });
}

// Tables in creation order: each after the tables its foreign keys refer to (when those are in
// the list), otherwise in declaration order; a cycle falls back to declaration order.
std::vector<const Table*> creation_order(const std::vector<Table>& tables) {
  std::vector<const Table*> pending;
  for (const Table& table : tables) pending.push_back(&table);
  std::vector<const Table*> ordered;
  auto waits_for_another = [&](const Table* table) {
    for (const schema::ForeignKey& fk : table->foreign_keys) {
      if (fk.referred_table == table->name) continue;  // self reference
      for (const Table* other : pending) {
        if (other != table && other->name == fk.referred_table) return true;
      }
    }
    return false;
  };
  while (!pending.empty()) {
    auto ready = std::find_if(pending.begin(), pending.end(),
                              [&](const Table* t) { return !waits_for_another(t); });
    if (ready == pending.end()) ready = pending.begin();
    ordered.push_back(*ready);
    pending.erase(ready);
  }
  return ordered;
}

// A dollar-quote tag that does not occur in body, for the DO block of create_enum.
std::string dollar_tag(const std::string& body) {
  std::string tag = "$retort$";
  for (int n = 1; body.find(tag) != std::string::npos; ++n) tag = fmt::format("$retort{}$", n);
  return tag;
}

}  // namespace

std::string qualified_name(const std::string& schema_name, const std::string& name) {
  return schema_name.empty() ? quote(name) : quote(schema_name) + "." + quote(name);
}

std::string string_literal(const std::string& text) {
  // SQL text ends at a NUL for libpq and SQLite: the rest of the statement would be lost.
  if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
    throw InvalidInput("string literal", "contains a NUL byte", nul);
  }
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

namespace {

// column_definition, with the name of the primary key a SQLite identity column declares inline.
std::string column_definition_in(const Column& column, Dialect dialect,
                                 const schema::MetaData* enums,
                                 const std::string& primary_key_name) {
  std::string out = quote(column.name) + ' ';
  if (dialect == Dialect::sqlite && column.identity) {
    // The only spelling that makes the column SQLite's rowid (generated, never reused); the
    // key keeps its name so reflection reads it back.
    out += fmt::format("INTEGER {}PRIMARY KEY AUTOINCREMENT", constraint_prefix(primary_key_name));
  } else {
    out += column.type.sql(dialect);
    if (column.identity) out += " GENERATED BY DEFAULT AS IDENTITY";
  }
  if (column.generated && !column.generated->for_dialect(dialect).empty()) {
    out += fmt::format(" GENERATED ALWAYS AS ({}) STORED", column.generated->for_dialect(dialect));
  }
  if (column.server_default) {
    const std::string& expression = column.server_default->for_dialect(dialect);
    if (!expression.empty()) out += " DEFAULT " + expression;
  }
  if (!column.nullable) out += " NOT NULL";
  if (dialect == Dialect::sqlite) out += sqlite_column_checks(column, enums);
  return out;
}

}  // namespace

std::string column_definition(const Column& column, Dialect dialect,
                              const schema::MetaData* enums) {
  return column_definition_in(column, dialect, enums, "");
}

std::string create_table(const Table& table, Dialect dialect, const schema::MetaData* enums,
                         const Options& options) {
  std::vector<std::string> lines;
  for (const Column& column : table.columns) {
    lines.push_back(column_definition_in(column, dialect, enums, table.primary_key.name));
  }
  for (std::string& clause : constraint_clauses(table, dialect)) lines.push_back(std::move(clause));
  std::string body;
  for (const std::string& line : lines) body += (body.empty() ? "\n  " : ",\n  ") + line;
  return fmt::format("CREATE TABLE {}{} ({}\n)", options.if_not_exists ? "IF NOT EXISTS " : "",
                     qualified_name(table.schema, table.name), body);
}

std::string create_index(const Table& table, const schema::Index& index, Dialect dialect,
                         const Options& options) {
  if (!index_exists_on(index, dialect)) return "";
  std::string elements;
  for (const schema::IndexElement& element : index.elements) {
    if (!elements.empty()) elements += ", ";
    elements += index_element(element, dialect);
  }
  // SQLite puts the schema on the index name, PostgreSQL on the table.
  std::string name =
      dialect == Dialect::sqlite ? qualified_name(table.schema, index.name) : quote(index.name);
  std::string on =
      dialect == Dialect::sqlite ? quote(table.name) : qualified_name(table.schema, table.name);
  const bool concurrently = options.concurrently && dialect == Dialect::postgresql;
  std::string out = fmt::format("CREATE {}INDEX {}{}{} ON {}", index.unique ? "UNIQUE " : "",
                                concurrently ? "CONCURRENTLY " : "",
                                options.if_not_exists ? "IF NOT EXISTS " : "", name, on);
  if (dialect == Dialect::postgresql && !index.method.empty()) out += " USING " + index.method;
  out += fmt::format(" ({})", elements);
  const std::string& where = index.where.for_dialect(dialect);
  if (!where.empty()) out += " WHERE " + where;
  return out;
}

std::string create_enum(const schema::EnumType& type, Dialect dialect, const Options& options) {
  if (dialect == Dialect::sqlite) return "";
  std::string values;
  for (const std::string& value : type.values) {
    if (!values.empty()) values += ", ";
    values += string_literal(value);
  }
  std::string create = fmt::format("CREATE TYPE {} AS ENUM ({})", quote(type.name), values);
  if (!options.if_not_exists) return create;
  // CREATE TYPE has no IF NOT EXISTS: a DO block swallows the duplicate instead.
  std::string tag = dollar_tag(create);
  return fmt::format("DO {0} BEGIN {1}; EXCEPTION WHEN duplicate_object THEN NULL; END {0}", tag,
                     create);
}

std::vector<std::string> comment_statements(const Table& table, Dialect dialect) {
  std::vector<std::string> out;
  if (dialect == Dialect::sqlite) return out;
  std::string name = qualified_name(table.schema, table.name);
  if (!table.comment.empty()) {
    out.push_back(fmt::format("COMMENT ON TABLE {} IS {}", name, string_literal(table.comment)));
  }
  for (const Column& column : table.columns) {
    if (column.comment.empty()) continue;
    out.push_back(fmt::format("COMMENT ON COLUMN {}.{} IS {}", name, quote(column.name),
                              string_literal(column.comment)));
  }
  return out;
}

std::vector<std::string> create_table_statements(const Table& table, Dialect dialect,
                                                 const schema::MetaData* enums,
                                                 const Options& options) {
  std::vector<std::string> out{create_table(table, dialect, enums, options)};
  for (std::string& comment : comment_statements(table, dialect)) out.push_back(std::move(comment));
  for (const schema::Index& index : table.indexes) {
    std::string statement = create_index(table, index, dialect, options);
    if (!statement.empty()) out.push_back(std::move(statement));
  }
  return out;
}

std::vector<std::string> create_statements(const schema::MetaData& metadata, Dialect dialect,
                                           const Options& options) {
  std::vector<std::string> out;
  for (const schema::EnumType& type : metadata.enums) {
    std::string statement = create_enum(type, dialect, options);
    if (!statement.empty()) out.push_back(std::move(statement));
  }
  for (const Table* table : creation_order(metadata.tables)) {
    for (std::string& statement : create_table_statements(*table, dialect, &metadata, options)) {
      out.push_back(std::move(statement));
    }
  }
  return out;
}

std::string constraint_definition(const schema::UniqueConstraint& unique) {
  return fmt::format("{}UNIQUE ({})", constraint_prefix(unique.name), quoted_list(unique.columns));
}

std::string constraint_definition(const schema::ForeignKey& fk, Dialect dialect) {
  return foreign_key_clause(fk, dialect);
}

std::string constraint_definition(const schema::CheckConstraint& check, Dialect dialect) {
  return fmt::format("{}CHECK ({})", constraint_prefix(check.name),
                     check.expression.for_dialect(dialect));
}

}  // namespace retort::ddl

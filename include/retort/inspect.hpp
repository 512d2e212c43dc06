// Reflection: reading a live database's schema back into MetaData (schema.hpp), spelled the way
// models spell it, so the migration engine's autogenerate can compare the two without noise.
//
// What comes back, per dialect, is the contract docs/reflection.md spells out; in short:
// - types map back to ColumnType kinds (anything else is `custom` with the server's spelling),
//   and `type.sql(dialect)` reproduces the server's spelling of the column's type;
// - every SQL expression (server defaults, generated expressions, check constraints, index
//   expressions and predicates) is the server's spelling, stored in the connection's dialect's
//   half of its DialectSql; the other half is empty;
// - names (tables, constraints, indexes, enum types) are as stored; tables, enum types and every
//   named constraint and index are sorted by name, columns are in table order;
// - on SQLite, the CHECKs ddl.cpp generates for JSON and enum columns fold back into the column
//   (kind jsonb / enum_) instead of appearing as check constraints.
//
// On PostgreSQL the whole catalog is read in a fixed number of queries (sent in one round trip),
// whatever the number of tables.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/connection.hpp"
#include "retort/schema.hpp"

namespace retort::schema {

struct ReflectOptions {
  // PostgreSQL: the schema to read; empty = current_schema(). SQLite: "main", "temp" or an
  // attached database's name; empty = main. Reflected tables carry this value in Table::schema
  // (empty stays empty, as models leave it).
  std::string schema;
  // Alembic's include_name: called with ("table", name) or ("enum", name) before the object is
  // kept; returning false leaves it out. Unset: everything is kept.
  std::function<bool(std::string_view kind, std::string_view name)> include_name;
  // Tables left out by name (in addition to migration_tables() unless include_migration_tables).
  std::vector<std::string> exclude_tables;
  // false: the migration engine's own tables (migration_tables()) are left out.
  bool include_migration_tables = false;
};

// What one reflect() call did, for benchmarks and tests proving the cost does not grow with the
// number of tables.
struct ReflectStats {
  int catalog_queries = 0;  // statements sent to the server (PostgreSQL) or run (SQLite)
  int round_trips = 0;      // PostgreSQL: pipelines sent; SQLite: same as catalog_queries
};

// The tables the migration engine keeps its own state in, which reflect() leaves out by default:
// retort_version, retort_history, retort_progress, alembic_version (and SQLite's sqlite_sequence,
// which is never a user table).
const std::vector<std::string>& migration_tables();

// Reads the tables (columns, primary key, unique constraints, foreign keys, check constraints,
// indexes, comments) and enum types of one schema into MetaData, spelled the way models spell
// them (see the top of this header and docs/reflection.md). On PostgreSQL this is a fixed number
// of catalog queries in one round trip, whatever the number of tables. When stats is not null it
// receives what the call cost.
// Throws what the connection throws (e.g. DatabaseError for an unknown SQLite schema), and
// UsageError when options.schema names a PostgreSQL schema that does not exist.
MetaData reflect(Connection& connection, const ReflectOptions& options = {},
                 ReflectStats* stats = nullptr);

// metadata as reflect() reads it back from a database that ddl::create_statements(metadata,
// dialect) created, except for SQL expressions the server respells (on PostgreSQL: check
// constraints, index expressions and predicates, generated expressions, most server defaults;
// on SQLite every expression comes back verbatim). It applies what the dialect cannot store or
// tell apart: each DialectSql keeps only dialect's spelling; tables, enum types, named
// constraints and indexes are sorted by name; postgresql_only is cleared. SQLite also: comments
// dropped, json and arrays become jsonb, identity columns are bigint, indexes and checks with no
// SQLite spelling dropped, enum types only those a column uses. For tests and for autogenerate's
// comparison.
MetaData as_reflected(const MetaData& metadata, Dialect dialect);

}  // namespace retort::schema

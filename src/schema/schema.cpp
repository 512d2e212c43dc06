// Schema metadata: the type constructors, each type's spelling per dialect, and the finders.
#include "retort/schema.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "retort/connection.hpp"

namespace retort::schema {
namespace {

ColumnType of_kind(ColumnType::Kind kind) {
  ColumnType type;
  type.kind = kind;
  return type;
}

// The spelling PostgreSQL's own format_type() uses, so DDL we render reads back unchanged.
std::string postgresql_sql(const ColumnType& type) {
  using Kind = ColumnType::Kind;
  switch (type.kind) {
    case Kind::uuid:
      return "uuid";
    case Kind::text:
      return "text";
    case Kind::varchar:
      return type.length > 0 ? fmt::format("character varying({})", type.length)
                             : "character varying";
    case Kind::smallint:
      return "smallint";
    case Kind::integer:
      return "integer";
    case Kind::bigint:
      return "bigint";
    case Kind::real:
      return "real";
    case Kind::double_:
      return "double precision";
    case Kind::numeric:
      return type.precision > 0 ? fmt::format("numeric({},{})", type.precision, type.scale)
                                : "numeric";
    case Kind::boolean:
      return "boolean";
    case Kind::bytes:
      return "bytea";
    case Kind::timestamptz:
      return "timestamp with time zone";
    case Kind::timestamp:
      return "timestamp without time zone";
    case Kind::date:
      return "date";
    case Kind::json:
      return "json";
    case Kind::jsonb:
      return "jsonb";
    case Kind::enum_:
      return Connection::quote_identifier(type.enum_name);
    case Kind::custom:
      return type.custom.postgresql;
  }
  return "text";  // unreachable: every kind is handled above
}

// Declared types the SQLite driver recognises (UUID, BOOLEAN, TIMESTAMPTZ, JSON) so values come
// back as the same C++ types as on PostgreSQL; the rest follow SQLite's affinity rules.
std::string sqlite_sql(const ColumnType& type) {
  using Kind = ColumnType::Kind;
  switch (type.kind) {
    case Kind::uuid:
      return "UUID";
    case Kind::text:
      return "TEXT";
    case Kind::varchar:
      return type.length > 0 ? fmt::format("VARCHAR({})", type.length) : "VARCHAR";
    case Kind::smallint:
      return "SMALLINT";
    case Kind::integer:
      return "INTEGER";
    case Kind::bigint:
      return "BIGINT";
    case Kind::real:
      return "REAL";
    case Kind::double_:
      return "DOUBLE";
    case Kind::numeric:
      return type.precision > 0 ? fmt::format("NUMERIC({},{})", type.precision, type.scale)
                                : "NUMERIC";
    case Kind::boolean:
      return "BOOLEAN";
    case Kind::bytes:
      return "BLOB";
    case Kind::timestamptz:
      return "TIMESTAMPTZ";
    case Kind::timestamp:
      return "TIMESTAMP";
    case Kind::date:
      return "DATE";
    case Kind::json:
    case Kind::jsonb:
      return "JSON";
    case Kind::enum_:
      return "TEXT";
    case Kind::custom:
      return type.custom.sqlite;
  }
  return "TEXT";  // unreachable: every kind is handled above
}

}  // namespace

std::string ColumnType::sql(Dialect dialect) const {
  if (dialect == Dialect::postgresql) {
    std::string element = postgresql_sql(*this);
    return array ? element + "[]" : element;
  }
  // SQLite has no arrays: they are stored as JSON text.
  return array ? "JSON" : sqlite_sql(*this);
}

namespace types {
ColumnType uuid() {
  return of_kind(ColumnType::Kind::uuid);
}
ColumnType text() {
  return of_kind(ColumnType::Kind::text);
}
ColumnType varchar(int length) {
  ColumnType type = of_kind(ColumnType::Kind::varchar);
  type.length = length;
  return type;
}
ColumnType smallint() {
  return of_kind(ColumnType::Kind::smallint);
}
ColumnType integer() {
  return of_kind(ColumnType::Kind::integer);
}
ColumnType bigint() {
  return of_kind(ColumnType::Kind::bigint);
}
ColumnType real() {
  return of_kind(ColumnType::Kind::real);
}
ColumnType double_precision() {
  return of_kind(ColumnType::Kind::double_);
}
ColumnType numeric(int precision, int scale) {
  ColumnType type = of_kind(ColumnType::Kind::numeric);
  type.precision = precision;
  type.scale = scale;
  return type;
}
ColumnType boolean() {
  return of_kind(ColumnType::Kind::boolean);
}
ColumnType bytes() {
  return of_kind(ColumnType::Kind::bytes);
}
ColumnType timestamptz() {
  return of_kind(ColumnType::Kind::timestamptz);
}
ColumnType timestamp() {
  return of_kind(ColumnType::Kind::timestamp);
}
ColumnType date() {
  return of_kind(ColumnType::Kind::date);
}
ColumnType json() {
  return of_kind(ColumnType::Kind::json);
}
ColumnType jsonb() {
  return of_kind(ColumnType::Kind::jsonb);
}
ColumnType enum_(std::string name) {
  ColumnType type = of_kind(ColumnType::Kind::enum_);
  type.enum_name = std::move(name);
  return type;
}
ColumnType custom(std::string postgresql, std::string sqlite) {
  ColumnType type = of_kind(ColumnType::Kind::custom);
  type.custom = DialectSql(std::move(postgresql), std::move(sqlite));
  return type;
}
ColumnType array_of(ColumnType element) {
  element.array = true;
  return element;
}
}  // namespace types

std::string_view referential_action_sql(ReferentialAction action) noexcept {
  switch (action) {
    case ReferentialAction::no_action:
      return "NO ACTION";
    case ReferentialAction::restrict:
      return "RESTRICT";
    case ReferentialAction::cascade:
      return "CASCADE";
    case ReferentialAction::set_null:
      return "SET NULL";
    case ReferentialAction::set_default:
      return "SET DEFAULT";
  }
  return "NO ACTION";  // unreachable
}

const Column* Table::find_column(std::string_view column_name) const {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const Column& c) { return c.name == column_name; });
  return it == columns.end() ? nullptr : &*it;
}

const Table* MetaData::find_table(std::string_view table_name) const {
  auto it = std::find_if(tables.begin(), tables.end(),
                         [&](const Table& t) { return t.name == table_name; });
  return it == tables.end() ? nullptr : &*it;
}

const EnumType* MetaData::find_enum(std::string_view enum_name) const {
  auto it = std::find_if(enums.begin(), enums.end(),
                         [&](const EnumType& e) { return e.name == enum_name; });
  return it == enums.end() ? nullptr : &*it;
}

}  // namespace retort::schema

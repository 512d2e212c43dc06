// Comparable forms of schema objects: what is left of a type, a default, an index or a
// constraint once each dialect's ways of spelling the same thing are taken out. Two objects
// are the same when their keys are equal; the keys are only compared, never rendered.
#pragma once

#include <string>
#include <string_view>

#include "retort/schema.hpp"

namespace retort::migrate::ddl {

// A SQL expression with spelling differences removed: keywords and unquoted identifiers
// lowercased, "plain" quoted identifiers unquoted, whitespace dropped except between words,
// casts of literals (`'x'::text`, `'-1'::integer`) dropped, redundant parentheses (around the
// whole expression, around a single token) dropped. String literals are kept byte for byte.
std::string normalize_sql(std::string_view sql);

// The column's type as `dialect` stores it (SQLite: an identity key is INTEGER, JSON kinds are
// JSON, enums TEXT), normalized.
std::string type_key(const schema::Column& column, Dialect dialect);

// The dialect's spelling of an optional DialectSql (a model's, or reflection's single half),
// normalized; empty when absent or when it normalizes to NULL.
std::string expression_key(const std::optional<schema::DialectSql>& sql, Dialect dialect);
std::string expression_key(const schema::DialectSql& sql, Dialect dialect);

// Indexes: elements, uniqueness, method (btree = default), predicate.
std::string index_key(const schema::Index& index, Dialect dialect);

// Foreign keys: columns, referred table and columns, actions.
std::string foreign_key_key(const schema::ForeignKey& fk);

// Does the object exist on `dialect`? (postgresql_only indexes and SQL with no SQLite spelling
// do not exist on SQLite.)
bool exists_on(const schema::Index& index, Dialect dialect);
bool exists_on(const schema::CheckConstraint& check, Dialect dialect);

}  // namespace retort::migrate::ddl

// What create / update / update_fields send: the columns, their checked values, and the
// defaults and timestamps filled in on the way.
#pragma once

#include <cstddef>
#include <vector>

#include "orm/model_data.hpp"
#include "retort/error.hpp"
#include "retort/repository.hpp"

namespace retort::detail {

struct ColumnValues {
  std::vector<std::size_t> columns;  // indexes into the table's columns
  std::vector<Value> values;         // checked (column_value), in the same order
};

// The columns create() inserts for object, after filling unset members: client_default, else
// `now` for set_on_create / set_on_update timestamps. Members still unset are left to the server
// when their column has a server default or is an identity. What was filled is written back
// into object. Throws InvalidInput (NULL for NOT NULL, or a refused value).
ColumnValues insert_values(const ModelBase& model, void* object, Timestamp now);

// Every non-key column of object for update(); set_on_update timestamps become `now` (written
// back into object).
ColumnValues update_values(const ModelBase& model, void* object, Timestamp now);

// The named columns for update_fields(), plus set_on_update timestamps not named. UsageError
// for unknown, repeated or primary key columns; InvalidInput for refused values.
ColumnValues named_values(const ModelData& data, const FieldValues& fields, Timestamp now);

// Inside a catch of UniqueViolation: rethrows it with constraint() set to the model's
// constraint name. PostgreSQL reports names already; SQLite reports "table.col, table.col"
// (or "index 'name'"), mapped back through the primary key, unique constraints and indexes.
[[noreturn]] void rethrow_unique_violation(const ModelData& data, const UniqueViolation& error);

}  // namespace retort::detail

// What create / update / update_fields send: the columns, their checked values, and the
// defaults and timestamps filled in on the way.
#pragma once

#include <cstddef>
#include <vector>

#include "orm/model_data.hpp"
#include "retort/database.hpp"
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

// Whether a bulk insert of `columns` may tell SQLite its CHECKs were verified
// (CopyOptions::checks_verified): true when every CHECK of the live table (read from
// sqlite_master, so CHECKs a migration added count too) is the JSON validity check of a
// JSON column among `columns`, whose values insert_values already parsed, with a depth limit
// no deeper than json_valid()'s. False on PostgreSQL, whose COPY always checks.
bool checks_verified_by_client(Session& session, const ModelData& data,
                               const std::vector<std::size_t>& columns);

// Inside a catch of UniqueViolation: rethrows it with constraint() set to the model's
// constraint name. PostgreSQL reports names already; SQLite reports "table.col, table.col"
// (or "index 'name'"), mapped back through the primary key, unique constraints and indexes.
[[noreturn]] void rethrow_unique_violation(const ModelData& data, const UniqueViolation& error);

}  // namespace retort::detail

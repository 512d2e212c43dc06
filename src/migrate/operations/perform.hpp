// How a C++ revision's operations become statements on each dialect. They are expressed as
// autogenerate's Operation values and rendered by autogenerate's per-operation renderers, so a
// C++ revision and a generated one spell the same change the same way (and SQLite rebuilds
// keep every row, indexes and triggers alike).
#pragma once

#include <source_location>
#include <string>
#include <string_view>

#include "migrate/operations/operations_context.hpp"
#include "retort/autogenerate.hpp"
#include "retort/operations.hpp"

namespace retort::migrate::detail {

// Runs (or renders) one operation. On SQLite, an operation SQLite cannot ALTER rebuilds its
// table from the table's current definition (read from the database; offline:
// CannotRenderOffline, `what` naming the call); inside a batch_alter_table of its table, the
// operation is queued instead. `what` names the call for messages ("alter_column").
void perform(OperationsContext& context, const autogenerate::Operation& op,
             const std::source_location& where, std::string_view what);

// alter_column: PostgreSQL's ALTER COLUMN statements in ColumnChanges' order; on SQLite a
// rename alone is RENAME COLUMN, anything else a rebuild from the column's current definition.
void perform_alter_column(OperationsContext& context, const std::string& table,
                          const std::string& column, const ColumnChanges& changes,
                          const std::source_location& where);

// drop_constraint: PostgreSQL drops it by name; SQLite finds which constraint it is in the
// table's current definition and rebuilds the table without it.
void perform_drop_constraint(OperationsContext& context, const std::string& table,
                             const std::string& name, const std::source_location& where);

// SQLite batch_alter_table: the schema its operations are rendered against, read once (from
// BatchOptions::copy_from, else the database; offline without copy_from: CannotRenderOffline)
// and kept up to date with the operations queued.
schema::MetaData& load_batch_state(OperationsContext& context, PendingBatch& batch,
                                   const std::source_location& where);

// SQLite batch_alter_table: renders the queued operations against the table's definition
// before the batch (one rebuild for what needs one), or as native statements when none of them
// needed the definition.
void flush_batch(OperationsContext& context, PendingBatch& batch,
                 const std::source_location& where);

// A minimal Table naming `table` in the connection's schema (what retort::ddl:: functions need).
schema::Table table_named(std::string_view table);

}  // namespace retort::migrate::detail

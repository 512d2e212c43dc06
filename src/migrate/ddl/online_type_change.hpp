// Online rendering of column type changes on PostgreSQL (RenderOptions::online), for the two
// changes an adopted table needs that a plain ALTER COLUMN TYPE makes under a long ACCESS
// EXCLUSIVE lock:
// - json -> jsonb is a column swap: a new jsonb column kept in step by a trigger, a batched
//   backfill that commits batch by batch, and a short swap (drop the old column, rename the new);
// - timestamp <-> timestamptz is a catalog change when the session's TimeZone is UTC
//   (PostgreSQL 12 and later skip the rewrite then): SET LOCAL timezone TO 'UTC' first.
#pragma once

#include <string>
#include <vector>

#include "migrate/ddl/render.hpp"

namespace retort::migrate::ddl {

// Rows one backfill batch copies (each batch commits on its own).
inline constexpr int kBackfillBatchRows = 10000;

// Whether op (an alter_column) can be rendered as a column swap: a json -> jsonb type change on
// table `before` (the table before op) that has a single-column primary key other than the
// column, no index or constraint using the column, and no default, identity or generated value.
bool swappable_type_change(const Operation& op, const schema::Table* before);

// Whether a type change is timestamp <-> timestamptz (no rewrite under TimeZone UTC).
bool is_time_zone_change(const schema::ColumnType& from, const schema::ColumnType& to);

// The statement that makes the timestamp <-> timestamptz change skip its rewrite.
std::string utc_for_this_transaction();

// The swap's statements. upgrade_main: the new column, the function and the trigger that keep
// it in step (transactional, short). upgrade_online: the NOT NULL check (when the column becomes
// NOT NULL: added NOT VALID, then validated) and the swap; the backfill comes before them (see
// backfill). downgrade_online: the column converted back in place; downgrade_main: what
// upgrade_main added, if it is still there.
struct TypeSwap {
  std::vector<std::string> upgrade_main, upgrade_online;
  std::vector<std::string> downgrade_online, downgrade_main;
};
TypeSwap type_swap(const Operation& op, const std::vector<std::string>& downgrade_in_place);

// One DO block copying every swapped column of one table (ops: its swappable alter_columns;
// before: the table) into its new column, kBackfillBatchRows rows a transaction in primary-key
// order: one pass, so each row gets one new version whatever the number of columns.
std::string backfill(const std::vector<const Operation*>& ops, const schema::Table& before);

// Whether the swap turns the SQL NULLs of the column into the JSON document null (when the
// column becomes NOT NULL: a JSON column's NULL has no other value to become).
bool swap_fills_nulls(const Operation& op);

// The warning of a table's backfill (ops: its swaps), with its size from the comparison.
std::vector<std::string> backfill_warnings(const std::vector<const Operation*>& ops,
                                           const Diff& diff);

// The warnings of one swap: NULLs made the JSON null, what the swap's DROP COLUMN may hit.
std::vector<std::string> type_swap_warnings(const Operation& op);

// "about 1200000 rows, 310 MB" or a sentence saying the size is not known.
std::string size_of(const Diff& diff, const std::string& table);

}  // namespace retort::migrate::ddl

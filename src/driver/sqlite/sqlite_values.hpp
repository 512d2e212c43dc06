// Values in and out of SQLite: binding parameters and decoding result columns so that both
// backends hand back the same C++ types.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "driver/sqlite/sqlite_statement.hpp"
#include "retort/value.hpp"

namespace retort::driver::sqlite {

// Throws InvalidInput ("parameter $N") for a text or JSON parameter holding a NUL byte or
// invalid UTF-8. Called before anything is bound or run.
void check_text_params(std::span<const Value> params);

// Checks the count against the layout (UsageError saying expected vs given) and binds every
// slot. Text and blobs are bound without copying: params must outlive the statement's steps,
// and the lease's clear_bindings drops the pointers afterwards. Does not validate text.
void bind_params(SqliteDb& db, const PreparedStatement& statement, std::span<const Value> params,
                 std::string_view sql);

// What a column's declared type says about the C++ type to return, since SQLite stores
// booleans, UUIDs, timestamps and JSON as plain integers and text.
enum class ColumnHint : std::uint8_t { none, boolean, uuid, timestamp, json };

// The hint for a declared type such as "BOOLEAN", "uuid", "TIMESTAMPTZ", "varchar(36)";
// none for a null (expression column) or unrecognised type.
ColumnHint hint_for_declared_type(const char* declared) noexcept;

// Hints for every result column of stmt (valid once it has been stepped).
std::vector<ColumnHint> column_hints(sqlite3_stmt* stmt);
std::vector<std::string> column_names(sqlite3_stmt* stmt);

// The current row's value in column, by hint first and storage class second.
Value decode_column(sqlite3_stmt* stmt, int column, ColumnHint hint);

}  // namespace retort::driver::sqlite

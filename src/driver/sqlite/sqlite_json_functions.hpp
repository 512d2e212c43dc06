// The SQLite side of JSON filters (see sqlite_json_functions.cpp).
#pragma once

#include <sqlite3.h>

namespace retort::driver::sqlite {

// Registers retort_json_contains, retort_json_get and retort_json_equal on db (one
// connection); SqliteDb::open calls it on every connection retort opens. Returns SQLite's
// result code (SQLITE_OK, or SQLITE_NOMEM and the like).
int register_json_functions(sqlite3* db) noexcept;

}  // namespace retort::driver::sqlite

// SQLite result codes translated to the SQLSTATEs PostgreSQL would report.
//
// Callers catch one hierarchy (UniqueViolation, LockNotAvailable, ...) whatever the backend, so
// every SQLite failure is described as the PostgreSQL error a user would have seen for the same
// mistake, with the constraint/table/column details SQLite puts in its message.
#pragma once

#include <string_view>

#include "retort/error.hpp"

namespace retort::driver::sqlite {

// The ErrorInfo for a failure: extended_code is the extended result code, message what
// sqlite3_errmsg said, statement the SQL text that failed (never parameter values).
ErrorInfo describe_error(int extended_code, std::string_view message, std::string_view statement);

// The SQLSTATE alone (exposed for tests).
std::string_view sqlstate_for(int extended_code, std::string_view message) noexcept;

// True for failures after which the database file cannot be trusted (I/O error, corruption):
// the connection is marked broken so a pool discards it.
bool is_fatal_error(int extended_code) noexcept;

}  // namespace retort::driver::sqlite

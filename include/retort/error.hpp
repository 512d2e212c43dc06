// Errors thrown by retort.
//
// One hierarchy for both backends: a PostgreSQL error is mapped from its SQLSTATE, a SQLite error
// from its extended result code to the SQLSTATE PostgreSQL would have reported, so callers catch
// `UniqueViolation` whatever the database. No message ever contains a password: messages built
// from URLs use the redacted form, and driver messages are scrubbed of registered secrets.
#pragma once

#include <stdexcept>
#include <string>

namespace retort {

// Base of every exception retort throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The API was used in a way its contract forbids (e.g. a statement on a finished session).
class UsageError : public Error {
 public:
  using Error::Error;
};

// A setting or database URL is malformed or missing. The message says what and where.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A value was refused before anything was sent to the database (NUL byte, invalid UTF-8,
// malformed JSON...). `field()` names the parameter or model field, `offset()` the byte.
class InvalidInput : public Error {
 public:
  InvalidInput(std::string field, std::string reason, std::size_t offset = npos);
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  const std::string& field() const noexcept { return field_; }
  const std::string& reason() const noexcept { return reason_; }
  std::size_t offset() const noexcept { return offset_; }

 private:
  std::string field_;
  std::string reason_;
  std::size_t offset_;
};

// The row a repository operation needed (get_required, update, remove) does not exist.
class NotFound : public Error {
 public:
  using Error::Error;
};

// No connection became free within the pool's acquire timeout.
class PoolTimeout : public Error {
 public:
  using Error::Error;
};

// What the server said about a failed statement.
struct ErrorInfo {
  std::string sqlstate;    // five characters, e.g. "23505"
  std::string message;     // primary message
  std::string detail;      // may be empty
  std::string hint;        // may be empty
  std::string constraint;  // constraint name, when the server reports one
  std::string table;
  std::string column;
  std::string statement;  // the SQL text that failed (never its parameter values)
};

// An error reported by the database server (or SQLite), classified by SQLSTATE.
class DatabaseError : public Error {
 public:
  explicit DatabaseError(ErrorInfo info);
  const ErrorInfo& info() const noexcept { return info_; }
  const std::string& sqlstate() const noexcept { return info_.sqlstate; }
  const std::string& server_message() const noexcept { return info_.message; }
  const std::string& detail() const noexcept { return info_.detail; }
  const std::string& hint() const noexcept { return info_.hint; }
  const std::string& constraint() const noexcept { return info_.constraint; }

 private:
  ErrorInfo info_;
};

#define RETORT_DATABASE_ERROR(Name, Base) \
  class Name : public Base {              \
   public:                                \
    using Base::Base;                     \
  }

RETORT_DATABASE_ERROR(ConnectionError, DatabaseError);             // class 08, 57P01..03: link lost
RETORT_DATABASE_ERROR(IntegrityError, DatabaseError);              // class 23
RETORT_DATABASE_ERROR(UniqueViolation, IntegrityError);            // 23505
RETORT_DATABASE_ERROR(ForeignKeyViolation, IntegrityError);        // 23503
RETORT_DATABASE_ERROR(CheckViolation, IntegrityError);             // 23514
RETORT_DATABASE_ERROR(NotNullViolation, IntegrityError);           // 23502
RETORT_DATABASE_ERROR(TransactionRollback, DatabaseError);         // class 40
RETORT_DATABASE_ERROR(SerializationFailure, TransactionRollback);  // 40001
RETORT_DATABASE_ERROR(DeadlockDetected, TransactionRollback);      // 40P01
RETORT_DATABASE_ERROR(LockNotAvailable, DatabaseError);       // 55P03 (lock_timeout, SQLITE_BUSY)
RETORT_DATABASE_ERROR(QueryCanceled, DatabaseError);          // 57014 (statement_timeout)
RETORT_DATABASE_ERROR(DataException, DatabaseError);          // class 22
RETORT_DATABASE_ERROR(SyntaxOrAccessError, DatabaseError);    // class 42
RETORT_DATABASE_ERROR(SyntaxError, SyntaxOrAccessError);      // 42601
RETORT_DATABASE_ERROR(UndefinedTable, SyntaxOrAccessError);   // 42P01
RETORT_DATABASE_ERROR(UndefinedColumn, SyntaxOrAccessError);  // 42703
RETORT_DATABASE_ERROR(DuplicateObject, SyntaxOrAccessError);  // 42P07 (table), 42710
RETORT_DATABASE_ERROR(InsufficientPrivilege, SyntaxOrAccessError);  // 42501

#undef RETORT_DATABASE_ERROR

// Throws the most specific DatabaseError subclass for info.sqlstate.
[[noreturn]] void throw_database_error(ErrorInfo info);

}  // namespace retort

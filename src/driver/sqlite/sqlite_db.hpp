// The open sqlite3 handle and the few operations every part of the backend needs on it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "retort/connection.hpp"

namespace retort::driver::sqlite {

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
// A compiled statement, finalized when dropped.
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Owns one sqlite3 handle. Shared (std::shared_ptr) by the connection and the CopyWriters it
// hands out, so a writer that outlives its connection still talks to an open database;
// sqlite3_close_v2 then waits for the last statement to be finalized.
class SqliteDb {
 public:
  // Opens path (":memory:" for an in-memory database) and applies the connection settings:
  // WAL and synchronous=NORMAL for files, foreign keys on, busy timeout. Throws ConnectionError
  // naming the path when the file cannot be opened or set up.
  static std::shared_ptr<SqliteDb> open(const std::string& path, const ConnectionOptions& options);

  explicit SqliteDb(sqlite3* handle) noexcept : handle_(handle) {}
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* handle() const noexcept { return handle_; }
  bool broken() const noexcept { return broken_; }
  void mark_broken() noexcept { broken_ = true; }
  bool in_transaction() const noexcept { return sqlite3_get_autocommit(handle_) == 0; }

  // Throws the DatabaseError for rc (an extended result code) with sqlite3_errmsg and sql;
  // marks the handle broken first when the error is fatal.
  [[noreturn]] void fail(int rc, std::string_view sql);

  // Runs every statement in sql in order, discarding rows; a failure names the statement.
  void exec_script(std::string_view sql);
  // exec_script for cleanup paths (destructors, catch blocks): reports failure, never throws.
  bool exec_quietly(std::string_view sql) noexcept;
  // sqlite3_prepare_v3 of the first statement in sql; *tail (if given) receives where the next
  // begins. Null when sql holds only blanks or comments.
  StmtPtr prepare(std::string_view sql, unsigned flags, const char** tail = nullptr);
  // The first column of the first row of a one-statement query, as text ("" if none).
  std::string query_text(std::string_view sql);

  // A savepoint name unique on this handle, so nested internal savepoints never collide.
  std::string next_savepoint_name(std::string_view prefix);

  // Set while a copy that skips CHECK constraints (CopyOptions::checks_verified) is open:
  // PRAGMA ignore_check_constraints applies to every statement compiled on the handle, so
  // the connection runs nothing else meanwhile.
  bool checks_skipped() const noexcept { return checks_skipped_; }
  void set_checks_skipped(bool skipped) noexcept { checks_skipped_ = skipped; }

 private:
  sqlite3* handle_;
  bool broken_ = false;
  std::uint64_t savepoint_counter_ = 0;
  bool checks_skipped_ = false;
};

}  // namespace retort::driver::sqlite

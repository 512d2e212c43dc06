#include "driver/sqlite/sqlite_db.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "core/log.hpp"
#include "driver/sqlite/sqlite_errors.hpp"
#include "driver/sqlite/sqlite_json_functions.hpp"

namespace retort::driver::sqlite {
namespace {

int to_int_length(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw UsageError(fmt::format("SQL text of {} bytes is too long for SQLite", sql.size()));
  }
  return static_cast<int>(sql.size());
}

// Why the file could not be opened, in words a user can act on: SQLite's own message for a
// missing directory is just "unable to open database file".
std::string open_failure_reason(const std::string& path, const char* sqlite_message) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return fmt::format("{} (directory '{}' does not exist)", sqlite_message, parent.string());
  }
  return sqlite_message;
}

// How much of sql to quote for a statement that failed to compile. SQLite leaves the tail at
// the end of the statement for semantic errors but at the offending token for syntax errors;
// then the statement is taken to run to the next ';' (a guess good enough for a message).
std::size_t failed_statement_length(std::string_view sql, const char* tail) {
  if (tail == nullptr) return sql.size();
  auto length = static_cast<std::size_t>(tail - sql.data());
  if (length >= sql.size() || (length > 0 && sql[length - 1] == ';')) return length;
  std::size_t semicolon = sql.find(';', length);
  return semicolon == std::string_view::npos ? sql.size() : semicolon + 1;
}

[[noreturn]] void throw_open_error(const std::string& path, std::string reason) {
  ErrorInfo info;
  info.sqlstate = "08001";
  info.message = fmt::format("cannot open SQLite database '{}': {}", path, reason);
  throw ConnectionError(std::move(info));
}

// Settings applied to every new handle; see open().
void configure(SqliteDb& db, bool is_memory, const ConnectionOptions& options) {
  sqlite3_extended_result_codes(db.handle(), 1);
  // The busy timeout first: switching to WAL needs a lock another process may hold briefly.
  auto max_ms = static_cast<std::chrono::milliseconds::rep>(std::numeric_limits<int>::max());
  auto ms = std::clamp<std::chrono::milliseconds::rep>(options.busy_timeout.count(), 0, max_ms);
  sqlite3_busy_timeout(db.handle(), static_cast<int>(ms));
  if (!is_memory) {
    // WAL lets readers run while one writer commits; NORMAL sync is durable across application
    // crashes and only loses the last commits on power loss, the usual WAL trade-off.
    std::string mode = db.query_text("PRAGMA journal_mode=WAL");
    if (mode != "wal") log::warn("sqlite: journal_mode is '{}', not 'wal'", mode);
    db.exec_script("PRAGMA synchronous=NORMAL");
  }
  db.exec_script("PRAGMA foreign_keys=ON");
}

}  // namespace

std::shared_ptr<SqliteDb> SqliteDb::open(const std::string& path,
                                         const ConnectionOptions& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (the pool hands it out), so SQLite's
  // per-call mutex is pure overhead. No SQLITE_OPEN_URI: the path is a file name, never a URI.
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  auto db = std::make_shared<SqliteDb>(raw);  // closes raw even when opening failed
  if (rc != SQLITE_OK) {
    const char* message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw_open_error(path, open_failure_reason(path, message));
  }
  // Per connection, not sqlite3_auto_extension: the program's own SQLite connections stay as
  // SQLite made them.
  if (int registered = register_json_functions(raw); registered != SQLITE_OK) {
    throw_open_error(path, fmt::format("cannot register retort's JSON functions: {}",
                                       sqlite3_errstr(registered)));
  }
  try {
    configure(*db, path == ":memory:", options);
  } catch (const DatabaseError& e) {
    // E.g. "file is not a database": report it as a failure to connect, naming the file.
    throw_open_error(path, e.info().message);
  }
  log::debug("sqlite: opened '{}'", path);
  return db;
}

SqliteDb::~SqliteDb() {
  // close_v2 never fails on a valid handle: unfinalized statements turn it into a zombie that
  // is freed with the last of them.
  if (handle_ != nullptr) sqlite3_close_v2(handle_);
}

void SqliteDb::fail(int rc, std::string_view sql) {
  if (is_fatal_error(rc)) broken_ = true;
  ErrorInfo info = describe_error(rc, sqlite3_errmsg(handle_), sql);
  int offset = sqlite3_error_offset(handle_);
  if (offset >= 0) info.detail = fmt::format("at byte {} of the statement", offset);
  throw_database_error(std::move(info));
}

StmtPtr SqliteDb::prepare(std::string_view sql, unsigned flags, const char** tail) {
  sqlite3_stmt* raw = nullptr;
  const char* rest = nullptr;
  int rc = sqlite3_prepare_v3(handle_, sql.data(), to_int_length(sql), flags, &raw, &rest);
  StmtPtr stmt(raw);
  if (tail != nullptr) *tail = rest != nullptr ? rest : sql.data() + sql.size();
  if (rc != SQLITE_OK) fail(rc, sql.substr(0, failed_statement_length(sql, rest)));
  return stmt;
}

void SqliteDb::exec_script(std::string_view sql) {
  // The prepare/tail loop (rather than sqlite3_exec) so an error names the statement that failed.
  const char* end = sql.data() + sql.size();
  const char* next = sql.data();
  while (next < end) {
    // Skip blanks so an error quotes the statement itself, not the newline before it.
    while (next < end && (*next == ' ' || *next == '\t' || *next == '\r' || *next == '\n')) ++next;
    if (next == end) break;
    const char* tail = nullptr;
    std::string_view rest(next, static_cast<std::size_t>(end - next));
    StmtPtr stmt = prepare(rest, 0, &tail);
    std::string_view current = rest.substr(0, static_cast<std::size_t>(tail - next));
    next = tail > next ? tail : end;  // never loop on a tail that did not advance
    if (!stmt) continue;              // blanks or a comment
    int rc = SQLITE_ROW;
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt.get());
    // fail() copies sqlite3_errmsg into the exception before stmt is finalized by unwinding.
    if (rc != SQLITE_DONE) fail(rc, current);
  }
}

bool SqliteDb::exec_quietly(std::string_view sql) noexcept {
  try {
    exec_script(sql);
    return true;
  } catch (const std::exception& e) {
    log::warn("sqlite: cleanup statement '{}' failed: {}", sql, e.what());
    return false;
  } catch (...) {
    return false;
  }
}

std::string SqliteDb::query_text(std::string_view sql) {
  StmtPtr stmt = prepare(sql, 0);
  if (!stmt) return {};
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(rc, sql);
  const unsigned char* data = rc == SQLITE_ROW ? sqlite3_column_text(stmt.get(), 0) : nullptr;
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), 0)));
}

std::string SqliteDb::next_savepoint_name(std::string_view prefix) {
  return fmt::format("{}_{}", prefix, ++savepoint_counter_);
}

}  // namespace retort::driver::sqlite

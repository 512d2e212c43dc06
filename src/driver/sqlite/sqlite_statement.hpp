// Compiled statements: which parameter feeds which SQLite slot, and the per-connection LRU cache.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "driver/sqlite/sqlite_db.hpp"

namespace retort::driver::sqlite {

// How the caller's parameters map onto SQLite's binding slots.
//
// SQLite numbers slots by first appearance and treats "$1" as a *named* parameter, so
// "... $2 ... $1 ... $2" has two slots: slot 1 named "$2", slot 2 named "$1". The layout reads
// each slot's name back to find which parameter it means; "?" and "?NNN" map positionally.
struct ParamLayout {
  std::vector<std::size_t> param_of_slot;  // [slot - 1] -> zero-based parameter index
  std::size_t expected = 0;                // parameters the caller must pass ($N: highest N)

  // Reads the slots of stmt; throws UsageError for ":name"/"@name" parameters or "$0".
  static ParamLayout of(sqlite3_stmt* stmt);
};

// One compiled statement with its layout. `in_use` guards against a statement being reset or
// evicted while a stream() callback runs another query on the same connection.
class PreparedStatement {
 public:
  PreparedStatement(StmtPtr stmt, ParamLayout layout)
      : stmt_(std::move(stmt)), layout_(std::move(layout)) {}
  sqlite3_stmt* get() const noexcept { return stmt_.get(); }
  const ParamLayout& layout() const noexcept { return layout_; }
  bool in_use = false;

 private:
  StmtPtr stmt_;
  ParamLayout layout_;
};

// Compiles exactly one statement. Null when sql holds none (blanks, comments); throws
// UsageError when it holds more than one (execute() runs one; scripts use execute_script).
std::unique_ptr<PreparedStatement> prepare_single(SqliteDb& db, std::string_view sql,
                                                  bool persistent);

// Least-recently-used cache of prepared statements keyed by SQL text.
class StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t size() const noexcept { return entries_.size(); }

  // The cached statement for sql (marked most recently used), or null.
  PreparedStatement* find(std::string_view sql);
  // Stores a new statement, evicting the least recently used ones not in use.
  PreparedStatement* insert(std::string sql, std::unique_ptr<PreparedStatement> statement);
  void clear() noexcept;

 private:
  struct Entry {
    std::string sql;
    std::unique_ptr<PreparedStatement> statement;
  };
  // Lets find() look up a string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using List = std::list<Entry>;  // front = most recently used

  void evict_to_capacity();

  std::size_t capacity_;
  List entries_;
  std::unordered_map<std::string, List::iterator, Hash, std::equal_to<>> index_;
};

// A statement checked out for one execution. Marks it in use, and on release resets it and
// clears its bindings (so it holds no pointers into the caller's values and no read lock),
// finalizing it if it was never cached.
class StatementLease {
 public:
  StatementLease() = default;
  explicit StatementLease(PreparedStatement* cached) noexcept : statement_(cached) {
    statement_->in_use = true;
  }
  explicit StatementLease(std::unique_ptr<PreparedStatement> owned) noexcept
      : owned_(std::move(owned)), statement_(owned_.get()) {
    if (statement_ != nullptr) statement_->in_use = true;
  }
  ~StatementLease();
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;

  explicit operator bool() const noexcept { return statement_ != nullptr; }
  PreparedStatement& operator*() const noexcept { return *statement_; }
  PreparedStatement* operator->() const noexcept { return statement_; }

 private:
  std::unique_ptr<PreparedStatement> owned_;
  PreparedStatement* statement_ = nullptr;
};

}  // namespace retort::driver::sqlite

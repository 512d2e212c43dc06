// A database: a URL, a pool, and sessions (the unit-of-work scope: commit when the work
// succeeds, roll back and rethrow when it fails, always give the connection back).
//
//   retort::Database db = retort::Database::open("sqlite:///app.db");
//   db.transaction([&](retort::Session& s) {           // commits on return,
//     s.execute("INSERT INTO t(v) VALUES ($1)", {42});   // rolls back and rethrows on exception
//   });
//   retort::Session s = db.session();                   // RAII form
//   s.execute("UPDATE t SET v = v + 1");
//   s.commit();                                         // without commit(): rolled back
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "retort/connection.hpp"
#include "retort/pool.hpp"
#include "retort/settings.hpp"

namespace retort {

struct DatabaseOptions {
  PoolOptions pool;
  ConnectionOptions connection;
};

class Session;
namespace driver {
struct DatabaseAccess;  // the library's own back door (private header driver/database_access.hpp)
}

// A nested scope inside a session: a SAVEPOINT, released by commit(), rolled back to if
// destroyed without commit().
class Savepoint {
 public:
  Savepoint(Savepoint&& other) noexcept;
  Savepoint& operator=(Savepoint&&) = delete;
  // Rolls back to the savepoint if neither commit() nor rollback() was called; never throws
  // (a failure to roll back leaves the session's transaction to be rolled back as a whole).
  ~Savepoint();
  // RELEASE SAVEPOINT: what ran inside stays part of the session's transaction (it commits or
  // rolls back with it). Throws UsageError when already ended, DatabaseError from the server.
  void commit();
  // ROLLBACK TO SAVEPOINT, then RELEASE: what ran inside is undone; the session goes on. Throws
  // UsageError when already ended, DatabaseError from the server.
  void rollback();

 private:
  friend class Session;
  Savepoint(Session& session, std::string name);
  Session* session_;
  std::string name_;
  bool done_ = false;
};

// A transaction on one pooled connection. Created by Database::session() or
// Database::transaction(). Not thread-safe: one thread at a time.
class Session {
 public:
  Session(Session&& other) noexcept;
  Session& operator=(Session&&) = delete;
  // Rolls back if neither commit() nor rollback() was called; never throws.
  ~Session();

  Dialect dialect() const noexcept { return connection_->dialect(); }

  // The statement methods are Connection's, inside this session's transaction. Each throws
  // UsageError once the session has finished (after commit() or rollback()), InvalidInput for a
  // parameter refused before sending (NUL byte, invalid UTF-8), and the DatabaseError subclass
  // of the server's SQLSTATE; after a DatabaseError the transaction is aborted on PostgreSQL:
  // only rollback() (or a savepoint's rollback) is useful then.

  // One statement, parameters bound ($1, $2, ... on both backends); its rows.
  Result execute(std::string_view sql, std::span<const Value> params);
  Result execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Several statements without parameters (DDL scripts).
  void execute_script(std::string_view sql);
  // A query whose rows are handed to on_row one at a time (one row in memory).
  void stream(std::string_view sql, std::span<const Value> params, const RowCallback& on_row);
  // Independent statements in one round trip (PostgreSQL pipeline mode); one Result each.
  std::vector<Result> pipeline(std::span<const Statement> statements);
  // A bulk writer into table(columns) (COPY on PostgreSQL); call its finish() before commit().
  std::unique_ptr<CopyWriter> copy_in(const QualifiedName& table,
                                      std::span<const std::string> columns,
                                      const CopyOptions& options = {});

  // Ends the transaction. After either, the session accepts no more statements. (An autocommit
  // session has no transaction: both only end it.)
  void commit();
  void rollback();
  bool finished() const noexcept { return finished_; }

  // Nested scope as a savepoint: RAII form and callable form. UsageError in an autocommit
  // session.
  Savepoint savepoint();
  template <class F>
  decltype(auto) transaction(F&& work);

  // The underlying connection, for what the session does not wrap.
  Connection& connection();

 private:
  friend class Database;
  friend class Savepoint;
  Session(PooledConnection connection, const TransactionOptions& options);
  void require_open() const;

  PooledConnection connection_;
  bool autocommit_ = false;
  bool finished_ = false;
  int savepoint_counter_ = 0;
};

class Database {
 public:
  // Opens the pool (min_size connections now). Throws ConfigError / ConnectionError.
  explicit Database(DatabaseUrl url, DatabaseOptions options = {});
  static Database open(std::string_view url, DatabaseOptions options = {});
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Dialect dialect() const noexcept;
  const DatabaseUrl& url() const noexcept;
  Pool& pool() noexcept;

  // Begins a transaction on a pooled connection (RAII; call commit()).
  Session session(const TransactionOptions& options = {});

  // Runs work(Session&) in a transaction: commits if it returns, rolls back and rethrows if it
  // throws. Returns what work returns.
  template <class F>
  decltype(auto) transaction(F&& work, const TransactionOptions& options = {});

  // A pooled connection in autocommit mode (each statement commits on its own).
  PooledConnection connection();

 private:
  friend struct driver::DatabaseAccess;
  struct State;
  explicit Database(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

template <class F>
decltype(auto) Database::transaction(F&& work, const TransactionOptions& options) {
  Session s = session(options);
  if constexpr (std::is_void_v<std::invoke_result_t<F&, Session&>>) {
    work(s);
    s.commit();
  } else {
    decltype(auto) result = work(s);
    s.commit();
    return result;
  }
}

template <class F>
decltype(auto) Session::transaction(F&& work) {
  Savepoint sp = savepoint();
  if constexpr (std::is_void_v<std::invoke_result_t<F&, Session&>>) {
    work(*this);
    sp.commit();
  } else {
    decltype(auto) result = work(*this);
    sp.commit();
    return result;
  }
}

}  // namespace retort

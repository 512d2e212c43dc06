// The asynchronous API: C++20 coroutines on standalone Asio, beside the blocking one.
//
//   asio::io_context io;
//   retort::async::Database db(io.get_executor(), url);
//   asio::co_spawn(io, [&]() -> asio::awaitable<void> {
//     retort::Result r = co_await db.execute("SELECT $1::int + 1", 41);
//     co_await db.transaction([&](retort::async::Transaction& tx) -> asio::awaitable<void> {
//       co_await tx.execute("INSERT INTO t(v) VALUES ($1)", 1);
//     });  // committed here; rolled back (and the exception rethrown) if the body throws
//   }, asio::detached);
//   io.run();
//
// This is the one public header that includes Asio (asio::awaitable and asio::any_io_executor are
// its vocabulary and cannot be hidden); no other retort header does, so code that does not use
// the asynchronous API never compiles Asio. See docs/async.md.
//
// Threading: a Connection, a Pool and a Database belong to the executor they were made with; call
// them from coroutines running on it (an io_context run by one thread, or a strand). Nothing here
// ever blocks that thread on the network; the few calls libpq only offers as blocking ones (the
// host-name lookup at connect, PQcancel) run on a helper thread, SQLite's calls on a small
// worker pool.
//
// Arguments are taken by value (SQL text, parameters): a coroutine may outlive the caller's
// temporaries, so it owns what it reads.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "retort/connection.hpp"
#include "retort/pool.hpp"
#include "retort/settings.hpp"
#include "retort/value.hpp"

namespace retort::async {

using Executor = asio::any_io_executor;

struct StatementOptions {
  // Cancels the statement on the server (as Asio cancellation does) once it has run this long,
  // then throws QueryCanceled saying so. 0: no limit.
  std::chrono::milliseconds timeout{0};
};

// A PostgreSQL notification (NOTIFY channel, 'payload').
struct Notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0;  // the notifying session
};

// The short forms of execute(sql, params, options), for Connection, Transaction and Database:
//   co_await c.execute("SELECT 1");
//   co_await c.execute("SELECT $1::int, $2::text", 42, "text");   // parameters listed
//   co_await c.execute(sql, params);                                // a std::vector<Value>
// They are plain functions, not coroutines, on purpose: GCC 12 destroys some temporaries of a
// co_await expression twice (default arguments and braced lists of class type, such as
// {Value(42)}), so the temporaries are made here, outside the caller's coroutine.
template <class Derived>
class ExecuteForms {
 public:
  asio::awaitable<Result> execute(std::string sql) {
    return self().execute(std::move(sql), std::vector<Value>(), StatementOptions{});
  }
  asio::awaitable<Result> execute(std::string sql, std::vector<Value> params) {
    return self().execute(std::move(sql), std::move(params), StatementOptions{});
  }
  template <class First, class... Rest>
  requires std::constructible_from<Value, First> asio::awaitable<Result> execute(std::string sql,
                                                                                 First&& first,
                                                                                 Rest&&... rest) {
    std::vector<Value> params{Value(std::forward<First>(first)),
                              Value(std::forward<Rest>(rest))...};
    return self().execute(std::move(sql), std::move(params), StatementOptions{});
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

// One asynchronous connection. Cancelling a coroutine that awaits one of these operations (an
// Asio cancellation slot, `||` of awaitable_operators) cancels the statement on the server; the
// operation then throws QueryCanceled and the connection stays usable.
class Connection : public ExecuteForms<Connection> {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Dialect dialect() const noexcept = 0;

  // Runs one statement with bound parameters and returns its rows (the blocking API's Result).
  // Throws what the blocking Connection::execute throws.
  virtual asio::awaitable<Result> execute(std::string sql, std::vector<Value> params,
                                          StatementOptions options) = 0;
  using ExecuteForms<Connection>::execute;

  // Sends independent statements together (PostgreSQL pipeline mode: one round trip) and
  // returns one Result each, in order; outside a transaction the batch is atomic.
  virtual asio::awaitable<std::vector<Result>> pipeline(std::vector<Statement> statements,
                                                        StatementOptions options = {}) = 0;

  // Runs one query and hands its rows to on_row one at a time, on this connection's executor.
  // PostgreSQL: libpq's single-row mode, only the current row in memory. SQLite: the rows are
  // read on a worker, then handed over. When on_row throws, the query is stopped (cancelled on
  // the server), the exception is rethrown and the connection goes on (inside a transaction the
  // cancel aborts it, as any failed statement does).
  virtual asio::awaitable<void> stream(std::string sql, std::vector<Value> params,
                                       RowCallback on_row) = 0;

  // PostgreSQL: the next notification on a channel this connection LISTENs to (send LISTEN
  // with execute first). Those that arrived meanwhile, also during other statements, come first,
  // in order; otherwise the coroutine waits on the socket. Cancelling it ends the wait with
  // asio's operation_aborted and the connection goes on. Use a connection of your own: a pool's
  // liveness check discards what an idle connection received. SQLite: UsageError.
  virtual asio::awaitable<Notification> next_notification() = 0;

  // COPY table (columns) FROM STDIN with rows (PostgreSQL; SQLite: the blocking copy_in, on a
  // worker): every value written as the blocking CopyWriter writes it, the rows streamed to the
  // server in chunks without blocking. Returns the number stored. Empty columns: all of the
  // table's, in order. Inside a transaction it joins it; outside it is atomic. Throws what the
  // blocking copy throws (UsageError for a row of the wrong width, the server's error class).
  virtual asio::awaitable<std::int64_t> copy_in(QualifiedName table,
                                                std::vector<std::string> columns,
                                                std::vector<std::vector<Value>> rows) = 0;

  // Transactions, as on the blocking Connection: begin() is deferred to the first statement;
  // commit() throws (and the transaction is gone) if COMMIT rolled back; rollback() of no
  // transaction does nothing.
  virtual void begin(const TransactionOptions& options) = 0;
  virtual asio::awaitable<void> commit() = 0;
  virtual asio::awaitable<void> rollback() = 0;
  virtual bool in_transaction() const noexcept = 0;

  // True once the connection is known to be unusable, or while an operation is in progress
  // (a connection abandoned mid-operation must not be reused).
  virtual bool is_broken() const noexcept = 0;
  // Reads what the server already sent (no round trip); false, and broken, if the link is dead.
  virtual bool check_alive() noexcept = 0;
};

// Opens a connection on the calling coroutine's executor. PostgreSQL: libpq's non-blocking
// interface on the socket. SQLite: the blocking driver, each call run on a bounded worker pool
// (docs/async.md). Throws ConnectionError (with the redacted URL) on failure.
asio::awaitable<std::unique_ptr<Connection>> connect(DatabaseUrl url, ConnectionOptions options);
// connect(url, ConnectionOptions{}) (a separate overload: see ExecuteForms about GCC 12).
asio::awaitable<std::unique_ptr<Connection>> connect(DatabaseUrl url);

class Pool;
namespace detail {
struct PoolState;
}

// A checked-out connection; goes back to its pool when destroyed (or is closed, if the pool is
// gone: a coroutine may be destroyed after its pool, when its io_context is). A connection given
// back inside a transaction or in the middle of an operation is closed, not reused.
class PooledConnection {
 public:
  PooledConnection() = default;

  Connection& operator*() const noexcept { return *connection_; }
  Connection* operator->() const noexcept { return connection_.get(); }
  explicit operator bool() const noexcept { return connection_ != nullptr; }
  // Gives the connection back now (also done by the destructor).
  // NOLINTNEXTLINE(bugprone-exception-escape): the pool hand-over is noexcept (src/async/pool.cpp)
  void release() noexcept { connection_.reset(); }

 private:
  friend class Pool;
  // Gives the connection back to its pool instead of deleting it.
  struct GiveBack {
    std::shared_ptr<detail::PoolState> pool;
    std::chrono::steady_clock::time_point created;
    // NOLINTNEXTLINE(bugprone-exception-escape): see release()
    void operator()(Connection* connection) const noexcept;
  };
  PooledConnection(std::shared_ptr<detail::PoolState> pool, std::unique_ptr<Connection> connection,
                   std::chrono::steady_clock::time_point created)
      : connection_(connection.release(), GiveBack{std::move(pool), created}) {}
  std::unique_ptr<Connection, GiveBack> connection_;
};

// A pool of asynchronous connections with the blocking Pool's rules (PoolOptions: limits,
// acquire timeout, lifetime, idle time, liveness check unless given back within alive_bypass,
// broken connections discarded). A coroutine waiting for a connection holds no thread.
class Pool {
 public:
  using Factory = std::function<asio::awaitable<std::unique_ptr<Connection>>()>;
  using Stats = retort::Pool::Stats;

  // Opens nothing yet; min_size connections are opened by the first acquire() (or warm_up()).
  // Throws UsageError for impossible options (max_size 0, min_size > max_size).
  Pool(Executor executor, Factory factory, PoolOptions options = {});
  Pool(Executor executor, DatabaseUrl url, PoolOptions options = {},
       ConnectionOptions connection = {});
  // Closes idle connections. Connections still checked out are closed when given back. Like
  // every Asio I/O object, destroy it before its io_context.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Opens connections until min_size are open. Throws the ConnectionError of a failed connect.
  asio::awaitable<void> warm_up();
  // A live connection: an idle one, a new one if below max_size, else the first one given back
  // within acquire_timeout. Throws PoolTimeout (the same message as the blocking pool) or the
  // ConnectionError of a failed connect; cancellation throws asio's operation_aborted.
  asio::awaitable<PooledConnection> acquire();

  Stats stats() const noexcept;
  const PoolOptions& options() const noexcept;
  const Executor& executor() const noexcept;

 private:
  asio::awaitable<std::unique_ptr<Connection>> open_one();
  std::shared_ptr<detail::PoolState> state_;
  Factory factory_;
};

template <class T>
struct awaitable_value;
template <class T>
struct awaitable_value<asio::awaitable<T>> {
  using type = T;
};

// A transaction (or, nested, a savepoint) on one connection, handed to a transaction body.
class Transaction : public ExecuteForms<Transaction> {
 public:
  using ExecuteForms<Transaction>::execute;
  Transaction(Connection& connection, int depth) : connection_(&connection), depth_(depth) {}
  Connection& connection() const noexcept { return *connection_; }

  // The Connection's operations, inside this transaction (see Connection for each contract).
  asio::awaitable<Result> execute(std::string sql, std::vector<Value> params,
                                  StatementOptions options) {
    return connection_->execute(std::move(sql), std::move(params), options);
  }
  asio::awaitable<std::vector<Result>> pipeline(std::vector<Statement> statements,
                                                StatementOptions options = {}) {
    return connection_->pipeline(std::move(statements), options);
  }
  asio::awaitable<void> stream(std::string sql, std::vector<Value> params, RowCallback on_row) {
    return connection_->stream(std::move(sql), std::move(params), std::move(on_row));
  }
  asio::awaitable<std::int64_t> copy_in(QualifiedName table, std::vector<std::string> columns,
                                        std::vector<std::vector<Value>> rows) {
    return connection_->copy_in(std::move(table), std::move(columns), std::move(rows));
  }

  // Runs body(Transaction&) inside a SAVEPOINT: released when body returns, rolled back to
  // (and the exception rethrown) when it throws; the outer transaction goes on either way.
  template <class Body>
  auto savepoint(Body body) -> std::invoke_result_t<Body&, Transaction&>;

 private:
  std::string savepoint_name() const;
  asio::awaitable<void> run_control(std::string sql);
  Connection* connection_;
  int depth_;
};

// An asynchronous database: a pool and transactions (the blocking retort::Database's shape).
class Database : public ExecuteForms<Database> {
 public:
  using ExecuteForms<Database>::execute;
  Database(Executor executor, DatabaseUrl url, PoolOptions pool = {},
           ConnectionOptions connection = {});

  Pool& pool() noexcept { return pool_; }

  // One statement on a pooled connection, outside any transaction.
  asio::awaitable<Result> execute(std::string sql, std::vector<Value> params,
                                  StatementOptions options);

  // Runs body(Transaction&) -> asio::awaitable<T> in a transaction on one pooled connection:
  // commits when it returns (and returns its value), rolls back and rethrows when it throws
  // (also when the commit fails).
  template <class Body>
  auto transaction(Body body, TransactionOptions options = {})
      -> std::invoke_result_t<Body&, Transaction&>;

 private:
  Pool pool_;
};

namespace detail {
// The executor of the bounded worker pool that SQLite calls and offload() run on.
Executor worker_executor();

template <class T, class Work>
asio::awaitable<T> call_on_worker(Work work) {
  if constexpr (std::is_void_v<T>) {
    work();
    co_return;
  } else {
    co_return work();
  }
}
}  // namespace detail

// Runs work() -- blocking code with no asynchronous form -- on retort's bounded worker pool and
// resumes the awaiting coroutine on its own executor with work's value, or rethrows what work
// threw. The caller's thread goes on running other coroutines meanwhile. Typical use, at the
// start of an asynchronous service (retort/migrate.hpp):
//   co_await retort::async::offload([&] { return retort::migrate::upgrade(db, "head"); });
// work runs on another thread: what it touches must not be used concurrently from the caller's
// executor. The io_context must outlive the call (as for any operation still in progress).
template <class Work>
asio::awaitable<std::invoke_result_t<Work&>> offload(Work work) {
  using T = std::invoke_result_t<Work&>;
  // A plain function, not a coroutine: see ExecuteForms about GCC 12 and temporaries.
  return asio::co_spawn(detail::worker_executor(), detail::call_on_worker<T>(std::move(work)),
                        asio::use_awaitable);
}

namespace detail {
// Runs body, then `finish` on success or `undo` on failure (whose own errors are swallowed:
// the body's exception is the one that matters), and returns body's value.
template <class Body, class Finish, class Undo>
auto run_scope(Body& body, Transaction& tx, Finish finish, Undo undo)
    -> std::invoke_result_t<Body&, Transaction&> {
  using T = typename awaitable_value<std::invoke_result_t<Body&, Transaction&>>::type;
  std::exception_ptr failure;
  if constexpr (std::is_void_v<T>) {
    try {
      co_await body(tx);
      co_await finish();
      co_return;
    } catch (...) {
      failure = std::current_exception();
    }
  } else {
    try {
      T value = co_await body(tx);
      co_await finish();
      co_return value;
    } catch (...) {
      failure = std::current_exception();
    }
  }
  // co_await is not allowed in a handler: the undo runs here.
  try {
    co_await undo();
  } catch (...) {
  }
  std::rethrow_exception(failure);
}
}  // namespace detail

template <class Body>
auto Transaction::savepoint(Body body) -> std::invoke_result_t<Body&, Transaction&> {
  Transaction inner(*connection_, depth_ + 1);
  const std::string name = inner.savepoint_name();
  co_await run_control("SAVEPOINT " + name);
  co_return co_await detail::run_scope(
      body, inner, [&] { return run_control("RELEASE SAVEPOINT " + name); },
      [&] { return run_control("ROLLBACK TO SAVEPOINT " + name); });
}

template <class Body>
auto Database::transaction(Body body, TransactionOptions options)
    -> std::invoke_result_t<Body&, Transaction&> {
  PooledConnection connection = co_await pool_.acquire();
  connection->begin(options);
  Transaction tx(*connection, 0);
  Connection& c = *connection;
  co_return co_await detail::run_scope(
      body, tx, [&] { return c.commit(); }, [&] { return c.rollback(); });
}

}  // namespace retort::async

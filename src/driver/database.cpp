#include "retort/database.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "driver/database_access.hpp"
#include "retort/error.hpp"

namespace retort {

// ---- Savepoint ----

Savepoint::Savepoint(Session& session, std::string name)
    : session_(&session), name_(std::move(name)) {}

Savepoint::Savepoint(Savepoint&& other) noexcept
    : session_(other.session_),
      name_(std::move(other.name_)),
      done_(std::exchange(other.done_, true)) {}

Savepoint::~Savepoint() {
  if (done_ || session_->finished()) return;
  try {
    rollback();
  } catch (const std::exception& e) {
    log::warn("rolling back savepoint {} failed: {}", name_, e.what());
  }
}

void Savepoint::commit() {
  if (done_) throw UsageError("savepoint already committed or rolled back");
  session_->require_open();
  done_ = true;
  session_->connection_->release_savepoint(name_);
}

void Savepoint::rollback() {
  if (done_) throw UsageError("savepoint already committed or rolled back");
  session_->require_open();
  done_ = true;
  session_->connection_->rollback_to_savepoint(name_);
  session_->connection_->release_savepoint(name_);
}

// ---- Session ----

Session::Session(PooledConnection connection, const TransactionOptions& options)
    : connection_(std::move(connection)), autocommit_(options.autocommit) {
  if (!autocommit_) connection_->begin(options);
}

Session::Session(Session&& other) noexcept
    : connection_(std::move(other.connection_)),
      autocommit_(other.autocommit_),
      finished_(std::exchange(other.finished_, true)),
      savepoint_counter_(other.savepoint_counter_) {}

Session::~Session() {
  if (finished_ || !connection_ || autocommit_) return;
  try {
    connection_->rollback();
  } catch (const std::exception& e) {
    // The pool discards a connection whose rollback failed; nothing else to do here.
    log::warn("rolling back an unfinished session failed: {}", e.what());
  }
}

void Session::require_open() const {
  if (finished_ || !connection_) {
    throw UsageError("session already committed or rolled back; start a new one");
  }
}

Result Session::execute(std::string_view sql, std::span<const Value> params) {
  require_open();
  return connection_->execute(sql, params);
}

void Session::execute_script(std::string_view sql) {
  require_open();
  connection_->execute_script(sql);
}

void Session::stream(std::string_view sql, std::span<const Value> params,
                     const RowCallback& on_row) {
  require_open();
  connection_->stream(sql, params, on_row);
}

std::vector<Result> Session::pipeline(std::span<const Statement> statements) {
  require_open();
  return connection_->pipeline(statements);
}

std::unique_ptr<CopyWriter> Session::copy_in(const QualifiedName& table,
                                             std::span<const std::string> columns,
                                             const CopyOptions& options) {
  require_open();
  return connection_->copy_in(table, columns, options);
}

void Session::commit() {
  require_open();
  finished_ = true;
  // The connection goes back to the pool whatever COMMIT answers; the pool discards it if the
  // failure left it unusable.
  PooledConnection held = std::move(connection_);
  if (!autocommit_) held->commit();
}

void Session::rollback() {
  require_open();
  finished_ = true;
  PooledConnection held = std::move(connection_);
  if (!autocommit_) held->rollback();
}

Savepoint Session::savepoint() {
  require_open();
  if (autocommit_) {
    throw UsageError("savepoints need a transaction, and this session is autocommit");
  }
  std::string name = fmt::format("retort_sp_{}", ++savepoint_counter_);
  connection_->savepoint(name);
  return Savepoint(*this, std::move(name));
}

Connection& Session::connection() {
  require_open();
  return *connection_;
}

// ---- Database ----

struct Database::State {
  DatabaseUrl url;
  DatabaseOptions options;
  driver::ConnectionWrapper wrap;  // empty: connections are used as opened
  std::unique_ptr<Pool> pool;

  std::unique_ptr<Connection> open(const ConnectionOptions& connection) const {
    std::unique_ptr<Connection> c = retort::connect(url, connection);
    return wrap ? wrap(std::move(c)) : std::move(c);
  }
};

Database::Database(DatabaseUrl url, DatabaseOptions options)
    : Database(std::make_unique<State>(State{std::move(url), std::move(options), {}, nullptr})) {}

Database::Database(std::unique_ptr<State> state) : state_(std::move(state)) {
  PoolOptions pool_options = state_->options.pool;
  if (state_->url.is_memory() && pool_options.max_size > 1) {
    // Every SQLite connection to ":memory:" is a separate, empty database; sharing one
    // connection is the only way all sessions see the same data.
    log::debug("sqlite :memory: database: pool limited to one connection");
    pool_options.max_size = 1;
    pool_options.min_size = std::min<std::size_t>(pool_options.min_size, 1);
  }
  if (state_->url.is_memory()) {
    // The only connection holds the data: it must not expire.
    pool_options.max_lifetime = std::chrono::milliseconds(0);
    pool_options.max_idle = std::chrono::milliseconds(0);
    pool_options.min_size = 1;
  }
  const State* shared = state_.get();
  state_->pool = std::make_unique<Pool>(
      [shared] { return shared->open(shared->options.connection); }, pool_options);
}

Database Database::open(std::string_view url, DatabaseOptions options) {
  return Database(parse_database_url(url), std::move(options));
}

Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Dialect Database::dialect() const noexcept {
  return state_->url.dialect();
}
const DatabaseUrl& Database::url() const noexcept {
  return state_->url;
}
Pool& Database::pool() noexcept {
  return *state_->pool;
}

Session Database::session(const TransactionOptions& options) {
  return Session(state_->pool->acquire(), options);
}

PooledConnection Database::connection() {
  return state_->pool->acquire();
}

namespace driver {

Database DatabaseAccess::open_wrapped(DatabaseUrl url, DatabaseOptions options,
                                      ConnectionWrapper wrap) {
  return Database(std::make_unique<Database::State>(
      Database::State{std::move(url), std::move(options), std::move(wrap), nullptr}));
}

std::unique_ptr<Connection> DatabaseAccess::open_connection(const Database& db,
                                                            const ConnectionOptions& options) {
  return db.state_->open(options);
}

}  // namespace driver
}  // namespace retort

// One connection to a database: the interface both backends implement.
//
// Parameters are always bound, never spliced into SQL text. Placeholders are $1, $2, ... on both
// backends (SQLite also accepts ?). Text parameters holding a NUL byte or invalid UTF-8 are
// refused with InvalidInput before anything is sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "retort/settings.hpp"
#include "retort/value.hpp"

namespace retort {

class Result;

// A row of a Result (or the current row of a stream). Valid while its Result lives.
class Row {
 public:
  Row(const Result& result, std::size_t index) : result_(&result), index_(index) {}
  std::size_t size() const noexcept;
  const Value& operator[](std::size_t column) const;
  const Value& operator[](std::string_view column_name) const;  // throws UsageError if unknown
  template <class T>
  T get(std::size_t column) const {
    return (*this)[column].get<T>();
  }
  template <class T>
  T get(std::string_view column_name) const {
    return (*this)[column_name].get<T>();
  }

 private:
  const Result* result_;
  std::size_t index_;
};

// The rows a statement returned, fully materialised (use Connection::stream for large results).
class Result {
 public:
  Result() = default;
  Result(std::vector<std::string> columns, std::vector<Value> cells, std::int64_t affected_rows);

  const std::vector<std::string>& columns() const noexcept { return columns_; }
  std::size_t column_index(std::string_view name) const;  // throws UsageError if unknown
  std::size_t size() const noexcept {
    return columns_.empty() ? 0 : cells_.size() / columns_.size();
  }
  bool empty() const noexcept { return size() == 0; }
  Row operator[](std::size_t row) const { return Row(*this, row); }
  Row at(std::size_t row) const;  // throws UsageError if out of range
  const Value& cell(std::size_t row, std::size_t column) const {
    return cells_[row * columns_.size() + column];
  }
  // Rows inserted/updated/deleted (or returned by a SELECT).
  std::int64_t affected_rows() const noexcept { return affected_rows_; }

  class Iterator {
   public:
    Iterator(const Result* r, std::size_t i) : r_(r), i_(i) {}
    Row operator*() const { return Row(*r_, i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const Result* r_;
    std::size_t i_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

 private:
  std::vector<std::string> columns_;
  std::vector<Value> cells_;
  std::int64_t affected_rows_ = 0;
};

// One statement with its parameters, for pipelines.
struct Statement {
  std::string sql;
  std::vector<Value> params;
};

enum class IsolationLevel { default_level, read_committed, repeatable_read, serializable };

struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::default_level;
  bool read_only = false;
  // No transaction: each statement commits as it runs, in one round trip (SQLAlchemy's
  // AUTOCOMMIT isolation level; what `INSERT ...` alone does in psql or pgbench). The session's
  // commit() only ends it and rollback() undoes nothing; savepoints are refused. For
  // one-statement units of work (one create + commit per event), where BEGIN and COMMIT
  // would only add a round trip. isolation and read_only are ignored.
  bool autocommit = false;
};

// A table's name, with the schema it lives in when that is not the default one (a PostgreSQL
// schema; on SQLite an attached database such as "main"). Each part is one identifier, quoted
// once by the driver: a dot inside a part is part of the name, never a separator.
//
//   c.copy_in("events", columns);                        // the default schema
//   c.copy_in(QualifiedName("audit", "events"), columns); // "audit"."events"
struct QualifiedName {
  std::string schema{};  // empty: the default (PostgreSQL's search_path, SQLite's main)
  std::string name{};

  QualifiedName() = default;
  // An unqualified name (implicit, so that a table name reads as itself).
  QualifiedName(std::string table)
      : name(std::move(table)) {}                    // NOLINT(google-explicit-constructor)
  QualifiedName(const char* table) : name(table) {}  // NOLINT(google-explicit-constructor)
  QualifiedName(std::string schema_name, std::string table)
      : schema(std::move(schema_name)), name(std::move(table)) {}

  // "schema"."name", or "name" without a schema, each part through quote_identifier (InvalidInput
  // for a NUL byte).
  std::string quoted() const;
  // schema.name or name, unquoted, for messages.
  std::string display() const { return schema.empty() ? name : schema + "." + name; }
  bool operator==(const QualifiedName&) const = default;
};

// Bulk writer: COPY ... FROM STDIN on PostgreSQL, one prepared INSERT on SQLite.
// finish() must be called; destroying an unfinished writer abandons the copy (nothing stored).
class CopyWriter {
 public:
  virtual ~CopyWriter() = default;
  // Buffers one row; values in the column order given to copy_in.
  virtual void write_row(std::span<const Value> row) = 0;
  // Sends what is buffered and ends the copy; returns the number of rows stored.
  virtual std::int64_t finish() = 0;
};

// How copy_in writes.
struct CopyOptions {
  // The caller has checked every row against all of the table's CHECK constraints, so the
  // database need not evaluate them again. SQLite then prepares its INSERT without them
  // (PRAGMA ignore_check_constraints) for the life of the copy, and the connection refuses
  // other statements until the copy ends (they would skip their CHECKs too). PostgreSQL
  // ignores it (COPY always checks). A row that breaks a CHECK is stored when this is set:
  // only a caller that really evaluated the constraints may set it (the repository does it
  // for tables whose only CHECKs are the JSON validity checks of columns it validates).
  bool checks_verified = false;
};

struct ConnectionOptions {
  // false: every statement is sent unnamed (PQexecParams), as PgBouncer's transaction pooling
  // requires; true: statements are prepared once per connection and cached.
  bool prepared_statements = true;
  std::size_t statement_cache_size = 256;
  // SQLite: how long a writer waits for a lock before failing with LockNotAvailable.
  std::chrono::milliseconds busy_timeout{5000};
  // PostgreSQL: application_name when the URL sets none.
  std::string application_name = "retort";
  // PostgreSQL: connect_timeout (seconds) when the URL sets none.
  int connect_timeout_seconds = 10;
};

using RowCallback = std::function<void(const Row& row)>;

// A NOTIFY delivered to a connection that LISTENs (PostgreSQL).
struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the server process of the session that sent it
};

class Connection {
 public:
  virtual ~Connection() = default;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Dialect dialect() const noexcept = 0;

  // Runs one statement with bound parameters and returns its rows.
  virtual Result execute(std::string_view sql, std::span<const Value> params) = 0;
  Result execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Runs SQL text that may hold several statements and no parameters (DDL scripts).
  virtual void execute_script(std::string_view sql) = 0;

  // Runs a query and hands each row to on_row as it arrives, keeping one row in memory
  // (single-row mode on PostgreSQL, stepping on SQLite).
  virtual void stream(std::string_view sql, std::span<const Value> params,
                      const RowCallback& on_row) = 0;

  // Sends independent statements together and returns one Result each, in order. PostgreSQL
  // sends them in one round trip (pipeline mode). Outside a transaction the batch is atomic;
  // the first failure is thrown and nothing of the batch is kept.
  virtual std::vector<Result> pipeline(std::span<const Statement> statements) = 0;

  // Starts a bulk write into table(columns) (all of the table's columns, in order, when columns
  // is empty; SQLite needs them named). Throws the server's error class (UndefinedTable, ...).
  virtual std::unique_ptr<CopyWriter> copy_in(const QualifiedName& table,
                                              std::span<const std::string> columns,
                                              const CopyOptions& options) = 0;
  std::unique_ptr<CopyWriter> copy_in(const QualifiedName& table,
                                      std::span<const std::string> columns) {
    return copy_in(table, columns, CopyOptions{});
  }

  // Transactions. begin() may be deferred until the first statement (saves a round trip);
  // savepoints nest inside a transaction.
  virtual void begin(const TransactionOptions& options) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual bool in_transaction() const noexcept = 0;
  void savepoint(std::string_view name);
  void release_savepoint(std::string_view name);
  void rollback_to_savepoint(std::string_view name);

  // True once the connection is known to be unusable (it must not be reused).
  virtual bool is_broken() const noexcept = 0;
  // Cheap liveness check without a round trip where possible (reads what the server already
  // sent, e.g. a termination notice). Returns false and marks the connection broken if dead.
  virtual bool check_alive() noexcept = 0;

  // LISTEN / UNLISTEN channel (quoted as an identifier; inside a transaction they take effect
  // at its commit, as in SQL). PostgreSQL only: UsageError on SQLite, which has no notifications.
  virtual void listen(std::string_view channel);
  virtual void unlisten(std::string_view channel);
  // The oldest notification received and not yet returned, waiting at most timeout for one to
  // arrive (zero: only what the server already sent). nullopt when none came in time or a
  // signal interrupted the wait (the caller checks its own flags and calls again).
  // ConnectionError when the link is lost. Notifications sent inside a transaction arrive
  // after its commit; while this connection runs a transaction of its own they are kept until
  // the next call. UsageError on SQLite.
  virtual std::optional<Notification> wait_for_notification(std::chrono::milliseconds timeout);
  // The socket an event loop watches for readability before calling wait_for_notification
  // with a zero timeout (the async layer's wake-up); -1 when the backend has none.
  virtual int notification_socket() const noexcept { return -1; }

  // Quotes an identifier for this dialect ("name" with doubled quotes). Throws InvalidInput
  // for a name holding a NUL byte: SQL text ends there for libpq and SQLite, which would cut the
  // statement (or the script) short.
  static std::string quote_identifier(std::string_view name);
};

// Opens a connection for url; throws ConnectionError (with the redacted URL) on failure.
std::unique_ptr<Connection> connect(const DatabaseUrl& url, const ConnectionOptions& options = {});

}  // namespace retort

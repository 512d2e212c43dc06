// The PostgreSQL Connection: libpq, extended protocol, prepared statement cache, pipelines.
//
// Split across files by concern: pg_connection.cpp (statements, transactions, liveness),
// pg_pipeline.cpp (batches sent in pipeline mode), pg_stream.cpp (single-row mode),
// pg_copy.cpp (COPY FROM STDIN), pg_connect.cpp (opening the connection).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "driver/postgres/pg_errors.hpp"
#include "driver/postgres/pg_statement_cache.hpp"
#include "driver/postgres/pg_values.hpp"
#include "retort/connection.hpp"

namespace retort::driver::pg {

class PgCopyWriter;

// One statement of a batch, its parameters already encoded.
struct BatchStatement {
  std::string_view sql;
  const EncodedParams* params;
};

// One protocol command queued in a pipeline, and what the server answered.
struct PipelineCommand {
  enum class Kind { begin, prepare, execute, deallocate };
  PipelineCommand(Kind what, std::string text, std::string statement_name = {},
                  const EncodedParams* parameters = nullptr, std::size_t index = 0)
      : kind(what),
        sql(std::move(text)),
        name(std::move(statement_name)),
        params(parameters),
        statement(index) {}
  Kind kind;
  std::string sql;   // text sent; for prepare/execute the user's statement
  std::string name;  // prepared statement name; empty: the unnamed statement
  const EncodedParams* params = nullptr;
  std::size_t statement = 0;  // index of the user statement served (prepare/execute)
  bool sync_after = false;    // a Sync follows: the end of an implicit transaction
  bool copy_refused = false;  // it was a COPY FROM STDIN / TO STDOUT, ended unprocessed
  PgResult result;
};

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, const ConnectionOptions& options);
  ~PgConnection() override;

  Dialect dialect() const noexcept override { return Dialect::postgresql; }
  Result execute(std::string_view sql, std::span<const Value> params) override;
  using Connection::execute;
  void execute_script(std::string_view sql) override;
  void stream(std::string_view sql, std::span<const Value> params,
              const RowCallback& on_row) override;
  std::vector<Result> pipeline(std::span<const Statement> statements) override;
  using Connection::copy_in;
  std::unique_ptr<CopyWriter> copy_in(std::string_view table, std::span<const std::string> columns,
                                      const CopyOptions& options) override;
  void begin(const TransactionOptions& options) override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const noexcept override { return tx_ != TxState::none; }
  bool is_broken() const noexcept override;
  bool check_alive() noexcept override;
  void listen(std::string_view channel) override;
  void unlisten(std::string_view channel) override;
  std::optional<Notification> wait_for_notification(std::chrono::milliseconds timeout) override;
  int notification_socket() const noexcept override { return PQsocket(conn_); }

  // --- for PgCopyWriter ---
  PGconn* raw() const noexcept { return conn_; }
  // The writer is done with the connection (finished or abandoned).
  void copy_ended() noexcept { active_copy_ = nullptr; }
  // Reads results until libpq has none left (ending any COPY state, noted in *saw_copy);
  // returns the first failed one, and the last successful one in *last_ok if given.
  PgResult drain_results(PgResult* last_ok = nullptr, bool* saw_copy = nullptr);
  // Throws for a failed result (res may be null: libpq's own error), marking the connection
  // broken when the link is gone.
  [[noreturn]] void fail(const PGresult* res, std::string_view sql);

 private:
  enum class TxState { none, pending, open };

  void ensure_usable() const;
  bool use_prepared() const noexcept { return options_.prepared_statements && cache_.enabled(); }
  // The deferred BEGIN text if it has not been sent yet; from now on it counts as sent.
  std::optional<std::string> take_pending_begin();
  void send_pending_begin();
  [[noreturn]] void raise(ErrorInfo info);
  [[noreturn]] void link_failed(std::string_view what);
  // When the link is lost, the server's own reason (if it gave one) beats libpq's.
  void explain_loss(ErrorInfo& info) const;
  // A cached statement the server no longer accepts is forgotten so the next call re-prepares.
  void forget_if_stale(const PGresult* res, const std::string& name);
  Result finish_single(PgResult res, std::string_view sql, const std::string& cached_name);
  [[noreturn]] void refuse_copy(ExecStatusType status, std::string_view sql);
  void cancel_and_drain() noexcept;

  // pg_pipeline.cpp
  std::vector<Result> run_batch(std::span<const BatchStatement> statements, bool annotate);
  std::vector<PipelineCommand> plan_batch(std::span<const BatchStatement> statements);
  void run_pipeline(std::vector<PipelineCommand>& commands);
  void send_commands(std::vector<PipelineCommand>& commands);
  void flush_nonblocking();
  PgResult next_result(PipelineCommand& command);
  void collect_results(std::vector<PipelineCommand>& commands);
  void settle_cache(const std::vector<PipelineCommand>& commands);
  void throw_first_failure(const std::vector<PipelineCommand>& commands, std::size_t count,
                           bool annotate);

  PGconn* conn_;
  ConnectionOptions options_;
  StatementCache cache_;
  // Evicted statement names still to DEALLOCATE (sent with the next batch).
  std::vector<std::string> pending_deallocations_;
  TxState tx_ = TxState::none;
  std::string begin_sql_;
  bool broken_ = false;
  // LISTEN was run: check_alive keeps notifications for wait_for_notification instead of
  // dropping them.
  bool listening_ = false;
  // Set by the notice receiver when the server announces FATAL (e.g. pg_terminate_backend).
  FatalNotice fatal_;
  PgCopyWriter* active_copy_ = nullptr;
  friend class PgCopyWriter;
};

// SQL text as a C string; throws InvalidInput if it holds a NUL byte or invalid UTF-8.
std::string checked_sql(std::string_view sql);
// Statement cache key: the SQL and the parameter types it was prepared for.
std::string cache_key(std::string_view sql, const EncodedParams& params);
bool is_success(const PGresult* res) noexcept;
// Ends a COPY FROM STDIN that arrived through execute/pipeline/stream/execute_script.
inline constexpr const char* kCopyRefused =
    "retort: COPY FROM STDIN / TO STDOUT is only supported through copy_in()";
// Throws the UsageError saying so.
[[noreturn]] void throw_copy_refused(std::string_view sql);
// The error says a cached prepared statement is unusable (lost, or its result type changed).
bool is_stale_statement(const PGresult* res);

}  // namespace retort::driver::pg

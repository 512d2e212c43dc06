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
  // control: a statement without parameters sent unprepared (the deferred BEGIN; COMMIT and
  // ROLLBACK on the asynchronous connection).
  enum class Kind { control, prepare, execute, deallocate };
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

// Where collect_available stopped: the command whose results are being read, and how far.
struct CollectCursor {
  enum class Phase { first, extras, sync };
  std::size_t command = 0;
  Phase phase = Phase::first;
  bool in_copy_out = false;  // draining a refused COPY TO STDOUT
};

// Statements checked (SQL text valid, parameters encoded) before anything is sent.
struct CheckedBatch {
  std::vector<std::string> texts;
  std::vector<EncodedParams> encoded;
  std::vector<BatchStatement> statements;  // views of the two above
};
// Throws InvalidInput naming the statement index for the first bad text or parameter.
CheckedBatch check_batch(std::span<const Statement> statements);

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
  std::unique_ptr<CopyWriter> copy_in(const QualifiedName& table,
                                      std::span<const std::string> columns,
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

  // --- for the asynchronous connection (src/async), which drives the same batches with the
  // connection in non-blocking mode and waits on the socket itself ---
  void ensure_usable() const;
  void mark_broken() noexcept { broken_ = true; }
  [[noreturn]] void link_failed(std::string_view what);
  std::vector<PipelineCommand> plan_batch(std::span<const BatchStatement> statements);
  // One control statement (COMMIT, ROLLBACK) as a batch of its own.
  std::vector<PipelineCommand> plan_control(std::string sql);
  void send_commands(std::vector<PipelineCommand>& commands);
  // Reads every result libpq can hand over without waiting for the socket, into commands from
  // cursor on. True once all of them are in; false when libpq needs more input (PQisBusy, or a
  // refused COPY TO STDOUT still arriving): wait until the socket is readable, PQconsumeInput,
  // call again. Never blocks.
  bool collect_available(std::vector<PipelineCommand>& commands, CollectCursor& cursor);
  // After collection: brings the statement cache in line, throws the first failure (statement
  // index in the message when annotate), else returns one Result per execute command.
  std::vector<Result> finish_batch(const std::vector<PipelineCommand>& commands, std::size_t count,
                                   bool annotate);
  // Ends the transaction state for commit()/rollback() (what: "commit()" in the UsageError when
  // none is open, empty: none needed). True when BEGIN went out, so COMMIT/ROLLBACK must be sent.
  bool end_transaction(std::string_view what);
  // Throws when COMMIT answered ROLLBACK (a statement in the transaction had failed).
  static void check_commit_outcome(const PGresult* res);

  // --- for streaming (pg_stream.cpp), blocking and asynchronous ---
  // The deferred BEGIN text if it has not been sent yet; from now on it counts as sent.
  std::optional<std::string> take_pending_begin();
  // Sends text in single-row mode, as the cached prepared statement when there is one (its
  // name returned, else empty: the unnamed statement). BEGIN must have gone out already.
  std::string send_streamed(const std::string& text, const EncodedParams& encoded);
  // A cached statement the server no longer accepts is forgotten so the next call re-prepares.
  void forget_if_stale(const PGresult* res, const std::string& name);

  // --- for PgCopyWriter and the asynchronous COPY ---
  PGconn* raw() const noexcept { return conn_; }
  // The simple-protocol text that runs sql: "BEGIN ...;\nsql" while a deferred BEGIN is pending
  // (it then counts as sent), else sql itself.
  std::string with_pending_begin(const std::string& sql);
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

  bool use_prepared() const noexcept { return options_.prepared_statements && cache_.enabled(); }
  void send_pending_begin();
  [[noreturn]] void raise(ErrorInfo info);
  // When the link is lost, the server's own reason (if it gave one) beats libpq's.
  void explain_loss(ErrorInfo& info) const;
  Result finish_single(PgResult res, std::string_view sql, const std::string& cached_name);
  [[noreturn]] void refuse_copy(ExecStatusType status, std::string_view sql);
  void cancel_and_drain() noexcept;

  // pg_pipeline.cpp
  std::vector<Result> run_batch(std::span<const BatchStatement> statements, bool annotate);
  void run_pipeline(std::vector<PipelineCommand>& commands);
  void flush_nonblocking();
  // The next result of command if libpq has it without waiting (false otherwise).
  bool next_available(PipelineCommand& command, CollectCursor& cursor, PgResult& out);
  void collect_results(std::vector<PipelineCommand>& commands);
  void wait_readable();
  bool collection_lost(const std::vector<PipelineCommand>& commands, std::string_view sql);
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

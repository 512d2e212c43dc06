// The asynchronous PostgreSQL connection: the blocking driver's PgConnection (statement planning,
// prepared-statement cache, result collection, error mapping) driven in non-blocking pipeline
// mode, with the coroutine suspended on the socket whenever libpq would wait.
#pragma once

#include <asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "async/pg_socket.hpp"
#include "driver/postgres/pg_connection.hpp"
#include "retort/async.hpp"

namespace retort::async::detail {

// One PQcancel under way on the helper thread; `signal` is cancelled (on the connection's
// executor) when it has completed.
struct CancelRequest {
  explicit CancelRequest(const Executor& executor) : signal(executor) {}
  asio::steady_timer signal;
  bool done = false;
};

class PgAsyncConnection final : public Connection {
 public:
  // conn: established, in non-blocking mode.
  PgAsyncConnection(const Executor& executor, std::unique_ptr<driver::pg::PgConnection> conn);
  ~PgAsyncConnection() override;

  Dialect dialect() const noexcept override { return Dialect::postgresql; }
  using Connection::execute;
  asio::awaitable<Result> execute(std::string sql, std::vector<Value> params,
                                  StatementOptions options) override;
  asio::awaitable<std::vector<Result>> pipeline(std::vector<Statement> statements,
                                                StatementOptions options) override;
  asio::awaitable<void> stream(std::string sql, std::vector<Value> params,
                               RowCallback on_row) override;
  asio::awaitable<Notification> next_notification() override;
  asio::awaitable<std::int64_t> copy_in(QualifiedName table, std::vector<std::string> columns,
                                        std::vector<std::vector<Value>> rows) override;
  void begin(const TransactionOptions& options) override;
  asio::awaitable<void> commit() override;
  asio::awaitable<void> rollback() override;
  bool in_transaction() const noexcept override { return conn_->in_transaction(); }
  bool is_broken() const noexcept override { return busy_ || conn_->is_broken(); }
  bool check_alive() noexcept override;

  // Runs driver::pg::session_settings(), each unprepared: what the `options` startup parameter
  // would have set on a connection opened without it (behind PgBouncer).
  asio::awaitable<void> apply_session_settings();

 private:
  enum class Interrupt { none, cancelled, timeout };
  using Commands = std::vector<driver::pg::PipelineCommand>;

  void ensure_idle() const;
  // COMMIT or ROLLBACK, if BEGIN went out (what: the caller, for the error when none is open).
  asio::awaitable<void> end_transaction(std::string sql, std::string_view what);
  // Sends commands in pipeline mode and collects every result, never blocking; a cancellation
  // or the timeout cancels the statement on the server and the exchange goes on to its end.
  asio::awaitable<void> exchange(Commands& commands, StatementOptions options);
  // The single-row exchange (pg_async_stream.cpp), outside pipeline mode.
  asio::awaitable<void> run_stream(const std::string& text,
                                   const driver::pg::EncodedParams& encoded,
                                   const RowCallback& on_row);
  // After an exchange outside pipeline mode: the connection is not reused when it ended
  // midway (a lost link, a cancelled wait); idle again otherwise.
  asio::awaitable<void> settle();
  // The COPY exchange (pg_async_copy.cpp): outside pipeline mode, which COPY cannot use.
  asio::awaitable<PGresult*> next_result();
  asio::awaitable<void> put_copy(const std::string& chunk);
  asio::awaitable<std::int64_t> run_copy(const std::string& sql, std::size_t width,
                                         const std::vector<std::vector<Value>>& rows);
  asio::awaitable<void> flush();
  asio::awaitable<void> read_more();
  asio::awaitable<void> wait_cancel_done();
  void request_cancel(Interrupt why);
  // finish_batch, with a timeout named in the QueryCanceled it caused.
  std::vector<Result> finish(const Commands& commands, std::size_t count, bool annotate,
                             StatementOptions options);

  Executor executor_;
  std::unique_ptr<driver::pg::PgConnection> conn_;
  PgSocket socket_;
  bool busy_ = false;
  Interrupt interrupt_ = Interrupt::none;
  std::shared_ptr<CancelRequest> cancel_;
};

}  // namespace retort::async::detail

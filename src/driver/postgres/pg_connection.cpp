#include "driver/postgres/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "core/text.hpp"
#include "driver/postgres/pg_copy.hpp"

namespace retort::driver::pg {
namespace {

std::string begin_statement(const TransactionOptions& options) {
  std::string sql = "BEGIN";
  switch (options.isolation) {
    case IsolationLevel::default_level:
      break;
    case IsolationLevel::read_committed:
      sql += " ISOLATION LEVEL READ COMMITTED";
      break;
    case IsolationLevel::repeatable_read:
      sql += " ISOLATION LEVEL REPEATABLE READ";
      break;
    case IsolationLevel::serializable:
      sql += " ISOLATION LEVEL SERIALIZABLE";
      break;
  }
  if (options.read_only) sql += " READ ONLY";
  return sql;
}

bool is_connection_sqlstate(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02";
}

// How many times check_alive reads a readable socket: a termination notice and the end of
// the stream can arrive as separate reads.
constexpr int kAliveReads = 4;

}  // namespace

std::string checked_sql(std::string_view sql) {
  text::require_valid_text(sql, "SQL text");
  return std::string(sql);
}

std::string cache_key(std::string_view sql, const EncodedParams& params) {
  std::string key(sql);
  key.push_back('\0');
  key += params.type_signature();
  return key;
}

bool is_success(const PGresult* res) noexcept {
  if (res == nullptr) return false;
  const ExecStatusType status = PQresultStatus(res);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY ||
         status == PGRES_SINGLE_TUPLE;
}

PgConnection::PgConnection(PGconn* conn, const ConnectionOptions& options)
    : conn_(conn), options_(options), cache_(options.statement_cache_size) {
  install_notice_receiver(conn_, &fatal_);
}

PgConnection::~PgConnection() {
  if (active_copy_ != nullptr) active_copy_->detach();
  PQfinish(conn_);
}

bool PgConnection::is_broken() const noexcept {
  return broken_ || !fatal_.sqlstate.empty() || PQstatus(conn_) == CONNECTION_BAD;
}

bool PgConnection::check_alive() noexcept {
  if (active_copy_ != nullptr) return !is_broken();
  // Read whatever the server already sent an idle session: a FATAL notice before it closes
  // the socket, then end of stream. No query is sent.
  for (int i = 0; i < kAliveReads && !is_broken(); ++i) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const int ready = poll(&fd, 1, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || fd.fd < 0) broken_ = true;
    if (ready <= 0) break;
    if (PQconsumeInput(conn_) == 0) broken_ = true;
    // A connection that never ran LISTEN gets no notifications but those of a LISTEN some
    // statement ran behind this API's back: drop them so they cannot pile up.
    if (!listening_) {
      while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
    }
  }
  if (is_broken()) broken_ = true;
  return !broken_;
}

void PgConnection::ensure_usable() const {
  if (active_copy_ != nullptr) {
    throw UsageError(
        "a COPY is in progress on this connection: finish or destroy its CopyWriter "
        "before running other statements");
  }
  if (is_broken()) {
    ErrorInfo info;
    info.sqlstate = "08003";
    info.message = "the connection to PostgreSQL is broken and cannot be used again";
    if (!fatal_.sqlstate.empty()) {
      // The server's reason, e.g. 57P01 after pg_terminate_backend.
      info.sqlstate = fatal_.sqlstate;
      info.message += ": " + fatal_.message;
    }
    throw ConnectionError(std::move(info));
  }
}

void PgConnection::explain_loss(ErrorInfo& info) const {
  if (fatal_.sqlstate.empty() || is_connection_sqlstate(info.sqlstate)) return;
  info.sqlstate = fatal_.sqlstate;
  info.message = fatal_.message;
}

void PgConnection::raise(ErrorInfo info) {
  const bool lost = is_broken() || is_connection_sqlstate(info.sqlstate);
  if (lost) {
    broken_ = true;
    explain_loss(info);
  }
  throw_error(std::move(info), lost);
}

void PgConnection::fail(const PGresult* res, std::string_view sql) {
  raise(error_info(res, conn_, sql));
}

void PgConnection::link_failed(std::string_view what) {
  broken_ = true;
  ErrorInfo info = error_info(nullptr, conn_, what);
  explain_loss(info);
  throw_error(std::move(info), true);
}

PgResult PgConnection::drain_results(PgResult* last_ok, bool* saw_copy) {
  PgResult failure;
  // PQgetResult ends with NULL, also once the link is lost (after the error saying so), except
  // in a COPY state, which it reports again and again: those must be ended, or left if dead.
  while (PgResult res{PQgetResult(conn_)}) {
    const ExecStatusType status = PQresultStatus(res.get());
    if ((status == PGRES_COPY_IN || status == PGRES_COPY_OUT) && saw_copy != nullptr) {
      *saw_copy = true;
    }
    if (status == PGRES_COPY_IN) {
      // The server waits for data we will not send: end the copy with an error.
      if (PQputCopyEnd(conn_, kCopyRefused) < 0) {
        broken_ = true;
        break;
      }
    } else if (status == PGRES_COPY_OUT) {
      char* row = nullptr;
      int got = 0;
      while ((got = PQgetCopyData(conn_, &row, 0)) > 0) PQfreemem(row);
      if (got == -2) {
        broken_ = true;
        break;
      }
    } else if (status == PGRES_FATAL_ERROR) {
      if (!failure) failure = std::move(res);
    } else if (last_ok != nullptr && is_success(res.get())) {
      *last_ok = std::move(res);
    }
  }
  return failure;
}

bool is_stale_statement(const PGresult* res) {
  const std::string_view code = sqlstate_of(res);
  if (code == "26000") return true;  // the server lost it: DEALLOCATE ALL, DISCARD ALL
  // "cached plan must not change result type", after ALTER TABLE; matched by the reporting
  // function because the message may be translated.
  const char* where = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION);
  return code == "0A000" && where != nullptr && std::string_view(where) == "RevalidateCachedQuery";
}

void PgConnection::forget_if_stale(const PGresult* res, const std::string& name) {
  if (name.empty() || !is_stale_statement(res)) return;
  cache_.erase_name(name);
  // After 26000 there is nothing left to deallocate on the server.
  if (sqlstate_of(res) != "26000") pending_deallocations_.push_back(name);
}

void throw_copy_refused(std::string_view sql) {
  throw UsageError(fmt::format(
      "COPY FROM STDIN / TO STDOUT cannot run through execute(), pipeline(), stream() or "
      "execute_script(); use copy_in() (statement: {})",
      sql));
}

void PgConnection::refuse_copy(ExecStatusType status, std::string_view sql) {
  if (status == PGRES_COPY_IN) PQputCopyEnd(conn_, kCopyRefused);
  drain_results();
  if (PQstatus(conn_) == CONNECTION_BAD) link_failed(sql);
  throw_copy_refused(sql);
}

Result PgConnection::finish_single(PgResult res, std::string_view sql,
                                   const std::string& cached_name) {
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) refuse_copy(status, sql);
  if (!is_success(res.get())) {
    forget_if_stale(res.get(), cached_name);
    fail(res.get(), sql);
  }
  return to_result(res.get());
}

Result PgConnection::execute(std::string_view sql, std::span<const Value> params) {
  ensure_usable();
  const std::string text = checked_sql(sql);
  const EncodedParams encoded = encode_params(params);
  // Common cases in one blocking call; anything that needs several protocol commands (a
  // deferred BEGIN, a first PREPARE, DEALLOCATEs) goes through a pipeline, still one round trip.
  if (tx_ != TxState::pending && pending_deallocations_.empty()) {
    if (!use_prepared()) {
      return finish_single(
          PgResult(PQexecParams(conn_, text.c_str(), encoded.count(), encoded.types(),
                                encoded.values(), encoded.lengths(), encoded.formats(), 0)),
          text, {});
    }
    if (const auto name = cache_.find(cache_key(text, encoded))) {
      PgResult res(PQexecPrepared(conn_, name->c_str(), encoded.count(), encoded.values(),
                                  encoded.lengths(), encoded.formats(), 0));
      // The server cannot use the cached statement any more. Outside a transaction the
      // failed attempt left nothing behind, so preparing it afresh and retrying is safe.
      const bool retry =
          !is_success(res.get()) && tx_ == TxState::none && is_stale_statement(res.get());
      if (!retry) return finish_single(std::move(res), text, *name);
      forget_if_stale(res.get(), *name);
    }
  }
  const BatchStatement statement{text, &encoded};
  std::vector<Result> results = run_batch(std::span(&statement, 1), false);
  return std::move(results.front());
}

void PgConnection::execute_script(std::string_view sql) {
  ensure_usable();
  std::string text = checked_sql(sql);
  // The simple protocol runs several statements in one message: the deferred BEGIN rides along.
  if (auto begin = take_pending_begin()) text = *begin + ";\n" + text;
  if (PQsendQuery(conn_, text.c_str()) == 0) fail(nullptr, sql);
  bool saw_copy = false;
  PgResult failure = drain_results(nullptr, &saw_copy);
  if (PQstatus(conn_) == CONNECTION_BAD) fail(failure.get(), sql);
  if (saw_copy) throw_copy_refused(sql);
  if (failure) fail(failure.get(), sql);
}

std::string PgConnection::with_pending_begin(const std::string& sql) {
  if (auto begin = take_pending_begin()) return *begin + ";\n" + sql;
  return sql;
}

std::optional<std::string> PgConnection::take_pending_begin() {
  if (tx_ != TxState::pending) return std::nullopt;
  tx_ = TxState::open;
  return begin_sql_;
}

void PgConnection::send_pending_begin() {
  if (auto begin = take_pending_begin()) {
    PgResult res(PQexec(conn_, begin->c_str()));
    if (!is_success(res.get())) fail(res.get(), *begin);
  }
}

void PgConnection::begin(const TransactionOptions& options) {
  ensure_usable();
  if (tx_ != TxState::none) throw UsageError("begin(): a transaction is already open");
  // Deferred: sent together with the first statement, saving a round trip.
  begin_sql_ = begin_statement(options);
  tx_ = TxState::pending;
}

bool PgConnection::end_transaction(std::string_view what) {
  if (tx_ == TxState::none) {
    if (what.empty()) return false;
    throw UsageError(fmt::format("{}: no transaction is open", what));
  }
  if (active_copy_ != nullptr) ensure_usable();
  const bool sent = tx_ == TxState::open;
  tx_ = TxState::none;
  if (!sent) return false;  // BEGIN never went out: there is nothing to end.
  ensure_usable();
  return true;
}

void PgConnection::check_commit_outcome(const PGresult* res) {
  // COMMIT of a transaction that had failed succeeds but rolls back: the caller must know.
  if (std::string_view(PQcmdStatus(const_cast<PGresult*>(res))) == "ROLLBACK") {
    ErrorInfo info;
    info.sqlstate = "25P02";
    info.message = "COMMIT rolled the transaction back: a statement in it had failed";
    info.statement = "COMMIT";
    throw_database_error(std::move(info));
  }
}

void PgConnection::commit() {
  if (!end_transaction("commit()")) return;
  PgResult res(PQexec(conn_, "COMMIT"));
  if (!is_success(res.get())) fail(res.get(), "COMMIT");
  check_commit_outcome(res.get());
}

void PgConnection::rollback() {
  if (!end_transaction("")) return;
  PgResult res(PQexec(conn_, "ROLLBACK"));
  if (!is_success(res.get())) fail(res.get(), "ROLLBACK");
}

void PgConnection::cancel_and_drain() noexcept {
  try {
    if (PGcancel* cancel = PQgetCancel(conn_)) {
      char message[256];
      // PQcancel waits until the server has taken the request, so it cannot hit a later query.
      PQcancel(cancel, message, sizeof message);
      PQfreeCancel(cancel);
    }
    drain_results();  // the remaining rows, then "canceling statement due to user request"
  } catch (...) {
    broken_ = true;  // the protocol state is unknown: the connection must not be reused
  }
}

}  // namespace retort::driver::pg

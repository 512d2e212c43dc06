// Batches in libpq pipeline mode: every command of a batch is sent before any result is read,
// so a batch costs one round trip however many statements (and PREPAREs, and the deferred
// BEGIN) it holds.
//
// Layout of a batch: [BEGIN] ([PREPARE rN] EXECUTE)... SYNC, then one "DEALLOCATE rN; SYNC" per
// evicted statement. Up to the first Sync the commands form one implicit transaction when no
// transaction is open, which is what makes pipeline() atomic. Each DEALLOCATE gets its own
// Sync so that its failure (it should not fail) can neither undo nor block the user's work.
#include <poll.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "driver/postgres/pg_connection.hpp"

namespace retort::driver::pg {
namespace {

// Restores blocking mode however the pipeline ends.
class NonBlocking {
 public:
  explicit NonBlocking(PGconn* conn) : conn_(conn) { ok_ = PQsetnonblocking(conn_, 1) == 0; }
  ~NonBlocking() { release(); }
  NonBlocking(const NonBlocking&) = delete;
  NonBlocking& operator=(const NonBlocking&) = delete;
  bool ok() const noexcept { return ok_; }
  void release() noexcept {
    if (ok_) PQsetnonblocking(conn_, 0);
    ok_ = false;
  }

 private:
  PGconn* conn_;
  bool ok_ = false;
};

bool is_failure(const PGresult* res) {
  return res != nullptr && PQresultStatus(res) == PGRES_FATAL_ERROR;
}

}  // namespace

CheckedBatch check_batch(std::span<const Statement> statements) {
  CheckedBatch batch;
  batch.texts.reserve(statements.size());
  batch.encoded.reserve(statements.size());
  // Everything is checked before anything is sent.
  for (std::size_t i = 0; i < statements.size(); ++i) {
    try {
      batch.texts.push_back(checked_sql(statements[i].sql));
      batch.encoded.push_back(encode_params(statements[i].params));
    } catch (const InvalidInput& e) {
      throw InvalidInput(fmt::format("pipeline statement {}: {}", i, e.field()), e.reason(),
                         e.offset());
    }
  }
  batch.statements.reserve(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    batch.statements.push_back({batch.texts[i], &batch.encoded[i]});
  }
  return batch;
}

std::vector<Result> PgConnection::pipeline(std::span<const Statement> statements) {
  ensure_usable();
  if (statements.empty()) return {};
  const CheckedBatch batch = check_batch(statements);
  return run_batch(batch.statements, true);
}

std::vector<Result> PgConnection::run_batch(std::span<const BatchStatement> statements,
                                            bool annotate) {
  std::vector<PipelineCommand> commands = plan_batch(statements);
  run_pipeline(commands);
  return finish_batch(commands, statements.size(), annotate);
}

std::vector<Result> PgConnection::finish_batch(const std::vector<PipelineCommand>& commands,
                                               std::size_t count, bool annotate) {
  settle_cache(commands);
  throw_first_failure(commands, count, annotate);
  std::vector<Result> results;
  results.reserve(count);
  for (const PipelineCommand& command : commands) {
    if (command.kind == PipelineCommand::Kind::execute) {
      results.push_back(to_result(command.result.get()));
    }
  }
  return results;
}

std::vector<PipelineCommand> PgConnection::plan_control(std::string sql) {
  std::vector<PipelineCommand> commands;
  commands.emplace_back(PipelineCommand::Kind::control, std::move(sql)).sync_after = true;
  return commands;
}

std::vector<PipelineCommand> PgConnection::plan_batch(std::span<const BatchStatement> statements) {
  using Kind = PipelineCommand::Kind;
  std::vector<PipelineCommand> commands;
  commands.reserve(statements.size() * 2 + 1);
  if (auto begin = take_pending_begin()) commands.emplace_back(Kind::control, std::move(*begin));
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const BatchStatement& statement = statements[i];
    std::string name;
    if (use_prepared()) {
      const std::string key = cache_key(statement.sql, *statement.params);
      if (auto cached = cache_.find(key)) {
        name = std::move(*cached);
      } else {
        name = cache_.insert(key, pending_deallocations_);
        commands.emplace_back(Kind::prepare, std::string(statement.sql), name, statement.params, i);
      }
    }
    commands.emplace_back(Kind::execute, std::string(statement.sql), std::move(name),
                          statement.params, i);
  }
  commands.back().sync_after = true;
  // A failed transaction refuses DEALLOCATE too: keep them for a later batch.
  if (PQtransactionStatus(conn_) != PQTRANS_INERROR) {
    for (const std::string& name : pending_deallocations_) {
      commands.emplace_back(Kind::deallocate, "DEALLOCATE " + name, name).sync_after = true;
    }
  }
  return commands;
}

void PgConnection::run_pipeline(std::vector<PipelineCommand>& commands) {
  if (PQenterPipelineMode(conn_) != 1) fail(nullptr, "pipeline");
  try {
    {
      NonBlocking nonblocking(conn_);
      if (!nonblocking.ok()) link_failed("pipeline");
      send_commands(commands);
      flush_nonblocking();
    }
    collect_results(commands);
    if (PQexitPipelineMode(conn_) != 1 && PQstatus(conn_) != CONNECTION_BAD) {
      link_failed("pipeline");
    }
  } catch (...) {
    // Whatever went wrong, libpq and the server may disagree about what is pending now.
    broken_ = true;
    throw;
  }
}

void PgConnection::send_commands(std::vector<PipelineCommand>& commands) {
  for (PipelineCommand& command : commands) {
    const EncodedParams* p = command.params;
    int sent = 0;
    switch (command.kind) {
      case PipelineCommand::Kind::control:
      case PipelineCommand::Kind::deallocate:
        // Pipeline mode allows only the extended protocol, hence not PQsendQuery.
        sent =
            PQsendQueryParams(conn_, command.sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
        break;
      case PipelineCommand::Kind::prepare:
        sent =
            PQsendPrepare(conn_, command.name.c_str(), command.sql.c_str(), p->count(), p->types());
        break;
      case PipelineCommand::Kind::execute:
        sent = command.name.empty()
                   ? PQsendQueryParams(conn_, command.sql.c_str(), p->count(), p->types(),
                                       p->values(), p->lengths(), p->formats(), 0)
                   : PQsendQueryPrepared(conn_, command.name.c_str(), p->count(), p->values(),
                                         p->lengths(), p->formats(), 0);
        break;
    }
    if (sent != 1) link_failed(command.sql);
    if (command.sync_after && PQpipelineSync(conn_) != 1) link_failed(command.sql);
  }
}

// Sends libpq's buffered output without ever blocking on a full socket: while the server
// cannot take more (because it is busy writing results we have not read), read them, so
// neither side waits on the other.
void PgConnection::flush_nonblocking() {
  for (;;) {
    const int pending = PQflush(conn_);
    if (pending == 0) return;
    if (pending < 0) link_failed("pipeline");
    pollfd fd{PQsocket(conn_), POLLIN | POLLOUT, 0};
    const int ready = poll(&fd, 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) link_failed("pipeline");
    if ((fd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(conn_) == 0) {
      link_failed("pipeline");
    }
  }
}

// The next result of the current command, if libpq has it without waiting. A COPY statement
// (which belongs in copy_in) puts libpq in a COPY state that it reports until ended: end it,
// remember why, read on.
bool PgConnection::next_available(PipelineCommand& command, CollectCursor& cursor, PgResult& out) {
  for (;;) {
    if (cursor.in_copy_out) {
      char* row = nullptr;
      int got = 0;
      while ((got = PQgetCopyData(conn_, &row, 1)) > 0) PQfreemem(row);
      if (got == 0) return false;
      if (got == -2) link_failed(command.sql);
      cursor.in_copy_out = false;
    }
    if (PQisBusy(conn_) != 0) return false;
    PgResult res(PQgetResult(conn_));
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_EMPTY_QUERY;
    if (status == PGRES_COPY_IN) {
      command.copy_refused = true;
      if (PQputCopyEnd(conn_, kCopyRefused) < 0) link_failed(command.sql);
    } else if (status == PGRES_COPY_OUT) {
      command.copy_refused = true;
      cursor.in_copy_out = true;
    } else {
      out = std::move(res);
      return true;
    }
  }
}

// Each command yields one result then NULL (PGRES_PIPELINE_ABORTED after an earlier failure
// up to the Sync); each Sync yields PGRES_PIPELINE_SYNC.
bool PgConnection::collect_available(std::vector<PipelineCommand>& commands,
                                     CollectCursor& cursor) {
  using Phase = CollectCursor::Phase;
  while (cursor.command < commands.size()) {
    PipelineCommand& command = commands[cursor.command];
    PgResult res;
    if (cursor.phase == Phase::sync) {
      if (PQisBusy(conn_) != 0) return false;
      res.reset(PQgetResult(conn_));
      if (!res || PQresultStatus(res.get()) != PGRES_PIPELINE_SYNC) {
        return collection_lost(commands, command.sql);
      }
      cursor.phase = Phase::first;
      ++cursor.command;
      continue;
    }
    if (!next_available(command, cursor, res)) return false;
    if (cursor.phase == Phase::first) {
      if (!res || PQresultStatus(res.get()) == PGRES_PIPELINE_SYNC) {
        return collection_lost(commands, command.sql);
      }
      command.result = std::move(res);
      cursor.phase = Phase::extras;
    } else if (res) {
      if (is_failure(res.get()) && !is_failure(command.result.get())) {
        command.result = std::move(res);
      }
    } else if (command.sync_after) {
      cursor.phase = Phase::sync;
    } else {
      cursor.phase = Phase::first;
      ++cursor.command;
    }
  }
  return true;
}

// The results stopped coming. When the link is gone and the server said why (a FATAL error as a
// command's result, e.g. after pg_terminate_backend), that reason is what finish_batch
// reports; otherwise libpq's.
bool PgConnection::collection_lost(const std::vector<PipelineCommand>& commands,
                                   std::string_view sql) {
  if (PQstatus(conn_) == CONNECTION_BAD) {
    broken_ = true;
    for (const PipelineCommand& command : commands) {
      if (is_failure(command.result.get())) return true;
    }
  }
  link_failed(sql);
}

void PgConnection::collect_results(std::vector<PipelineCommand>& commands) {
  CollectCursor cursor;
  while (!collect_available(commands, cursor)) wait_readable();
}

// Blocks until the server sent more, and hands it to libpq.
void PgConnection::wait_readable() {
  const int socket = PQsocket(conn_);
  if (socket < 0) link_failed("pipeline");
  for (;;) {
    pollfd fd{socket, POLLIN, 0};
    const int ready = poll(&fd, 1, -1);
    if (ready >= 0) break;
    if (errno != EINTR) link_failed("pipeline");
  }
  // A lost link may leave the server's last words in libpq's buffer: collection reads them.
  if (PQconsumeInput(conn_) == 0 && PQstatus(conn_) != CONNECTION_BAD) link_failed("pipeline");
}

// Brings the statement cache in line with what the server now holds.
void PgConnection::settle_cache(const std::vector<PipelineCommand>& commands) {
  const auto drop_pending = [this](const std::string& name) {
    std::erase(pending_deallocations_, name);
  };
  for (const PipelineCommand& command : commands) {
    const bool ok = is_success(command.result.get());
    switch (command.kind) {
      case PipelineCommand::Kind::prepare:
        if (!ok) {
          // Never created on the server: neither cached nor to be deallocated.
          cache_.erase_name(command.name);
          drop_pending(command.name);
        }
        break;
      case PipelineCommand::Kind::execute:
        if (!ok) forget_if_stale(command.result.get(), command.name);
        break;
      case PipelineCommand::Kind::deallocate:
        if (ok || sqlstate_of(command.result.get()) == "26000") {
          drop_pending(command.name);
        }
        break;
      case PipelineCommand::Kind::control:
        break;
    }
  }
}

void PgConnection::throw_first_failure(const std::vector<PipelineCommand>& commands,
                                       std::size_t count, bool annotate) {
  for (const PipelineCommand& command : commands) {
    if (command.copy_refused) throw_copy_refused(command.sql);
  }
  for (const PipelineCommand& command : commands) {
    if (command.kind == PipelineCommand::Kind::deallocate) break;
    if (!is_failure(command.result.get())) continue;
    ErrorInfo info = error_info(command.result.get(), conn_, command.sql);
    if (annotate && command.kind != PipelineCommand::Kind::control) {
      info.message += fmt::format(" (pipeline statement index {} of {})", command.statement, count);
    }
    raise(std::move(info));
  }
}

}  // namespace retort::driver::pg

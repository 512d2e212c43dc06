// Streaming a query's rows in libpq single-row mode: only the current row is in memory.
#include "driver/postgres/pg_connection.hpp"

namespace retort::driver::pg {

std::string PgConnection::send_streamed(const std::string& text, const EncodedParams& encoded) {
  // A cached statement is reused; otherwise the unnamed statement avoids a PREPARE round trip
  // (a streamed query is long enough that planning once more does not matter).
  std::string name;
  if (use_prepared()) {
    if (auto cached = cache_.find(cache_key(text, encoded))) name = std::move(*cached);
  }
  const int sent =
      name.empty() ? PQsendQueryParams(conn_, text.c_str(), encoded.count(), encoded.types(),
                                       encoded.values(), encoded.lengths(), encoded.formats(), 0)
                   : PQsendQueryPrepared(conn_, name.c_str(), encoded.count(), encoded.values(),
                                         encoded.lengths(), encoded.formats(), 0);
  if (sent != 1) fail(nullptr, text);
  if (PQsetSingleRowMode(conn_) != 1) {
    drain_results();
    fail(nullptr, text);
  }
  return name;
}

void PgConnection::stream(std::string_view sql, std::span<const Value> params,
                          const RowCallback& on_row) {
  ensure_usable();
  const std::string text = checked_sql(sql);
  const EncodedParams encoded = encode_params(params);
  // Single-row mode and pipeline mode do not mix simply: the deferred BEGIN goes first.
  send_pending_begin();
  const std::string name = send_streamed(text, encoded);

  std::vector<std::string> columns;
  PgResult failure;
  while (PgResult res{PQgetResult(conn_)}) {
    const ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_SINGLE_TUPLE) {
      if (columns.empty()) columns = column_names(res.get());
      std::vector<Value> cells;
      cells.reserve(columns.size());
      append_row(res.get(), 0, cells);
      const Result row(columns, std::move(cells), 1);
      try {
        on_row(row[0]);
      } catch (...) {
        // Stop the server sending the rest, so the connection is free again (inside a
        // transaction, the cancellation aborts it like any other error).
        cancel_and_drain();
        throw;
      }
    } else if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      refuse_copy(status, text);
    } else if (status == PGRES_FATAL_ERROR && !failure) {
      failure = std::move(res);
    }
  }
  if (failure) {
    forget_if_stale(failure.get(), name);
    fail(failure.get(), text);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) link_failed(text);
}

}  // namespace retort::driver::pg

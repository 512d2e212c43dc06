#include "driver/postgres/pg_copy.hpp"

#include <limits>

#include <fmt/format.h>

#include "driver/postgres/pg_connection.hpp"

namespace retort::driver::pg {
namespace {

// Rows are sent in chunks of about this size: large enough to amortise the calls, small
// enough that a big copy never sits in memory.
constexpr std::size_t kChunkBytes = 64 * 1024;

constexpr const char* kAbandoned = "retort: CopyWriter destroyed before finish(); copy abandoned";

}  // namespace

std::string copy_statement(const QualifiedName& table, std::span<const std::string> columns) {
  std::string sql = "COPY " + table.quoted();
  if (!columns.empty()) {
    sql += " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += Connection::quote_identifier(columns[i]);
    }
    sql += ')';
  }
  sql += " FROM STDIN";
  return sql;
}

// options.checks_verified changes nothing here: COPY always evaluates CHECK constraints.
std::unique_ptr<CopyWriter> PgConnection::copy_in(const QualifiedName& table,
                                                  std::span<const std::string> columns,
                                                  const CopyOptions& /*options*/) {
  ensure_usable();
  const std::string sql = checked_sql(copy_statement(table, columns));
  // The simple protocol takes "BEGIN; COPY ..." in one message: the deferred BEGIN rides along.
  const std::string text = with_pending_begin(sql);
  if (PQsendQuery(conn_, text.c_str()) == 0) fail(nullptr, sql);
  for (;;) {
    PgResult res(PQgetResult(conn_));
    if (!res) fail(nullptr, sql);
    const ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_COPY_IN) {
      std::vector<std::string> fields;
      for (const std::string& column : columns) fields.push_back("column " + column);
      // Without a column list the server says how many columns the table has.
      for (int i = static_cast<int>(fields.size()); i < PQnfields(res.get()); ++i) {
        fields.push_back(fmt::format("column {}", i + 1));
      }
      auto writer = std::make_unique<PgCopyWriter>(*this, sql, std::move(fields));
      active_copy_ = writer.get();
      return writer;
    }
    if (status != PGRES_COMMAND_OK) {
      drain_results();
      fail(res.get(), sql);
    }
  }
}

PgCopyWriter::PgCopyWriter(PgConnection& connection, std::string sql,
                           std::vector<std::string> fields)
    : connection_(&connection), sql_(std::move(sql)), fields_(std::move(fields)) {
  buffer_.reserve(kChunkBytes + kChunkBytes / 4);
}

PgCopyWriter::~PgCopyWriter() {
  abandon();
}

void PgCopyWriter::detach() noexcept {
  abandon();
  connection_ = nullptr;
}

void PgCopyWriter::write_row(std::span<const Value> row) {
  if (done_ || connection_ == nullptr)
    throw UsageError("CopyWriter::write_row after the copy ended");
  if (row.size() != fields_.size()) {
    throw UsageError(fmt::format("CopyWriter::write_row: {} values for {} columns ({})", row.size(),
                                 fields_.size(), sql_));
  }
  // The row is built apart so that a refused value leaves no partial line in the buffer.
  row_.clear();
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) row_.push_back('\t');
    append_copy_field(row_, row[i], fields_[i]);
  }
  row_.push_back('\n');
  buffer_ += row_;
  if (buffer_.size() >= kChunkBytes) send_buffer();
}

void PgCopyWriter::send_buffer() {
  if (buffer_.empty()) return;
  if (buffer_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw UsageError("CopyWriter: row larger than 2 GiB");
  }
  if (PQputCopyData(connection_->raw(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
    fail_copy();
  }
  buffer_.clear();
}

// The server refused the copy (or the link dropped): report why.
void PgCopyWriter::fail_copy() {
  done_ = true;
  PgConnection& connection = *connection_;
  PgResult failure = connection.drain_results();
  connection.copy_ended();
  connection.fail(failure.get(), sql_);
}

std::int64_t PgCopyWriter::finish() {
  if (done_ || connection_ == nullptr) throw UsageError("CopyWriter::finish called twice");
  send_buffer();
  done_ = true;
  if (PQputCopyEnd(connection_->raw(), nullptr) != 1) fail_copy();
  PgResult stored;
  PgResult failure = connection_->drain_results(&stored);
  connection_->copy_ended();
  if (failure || !stored) connection_->fail(failure.get(), sql_);
  return affected_rows(stored.get());
}

void PgCopyWriter::abandon() noexcept {
  if (done_ || connection_ == nullptr) return;
  done_ = true;
  try {
    // Unsent rows are dropped; the server discards what it received and reports an error,
    // which is expected here and swallowed.
    PQputCopyEnd(connection_->raw(), kAbandoned);
    connection_->drain_results();
  } catch (...) {
    connection_->broken_ = true;
  }
  connection_->copy_ended();
}

}  // namespace retort::driver::pg

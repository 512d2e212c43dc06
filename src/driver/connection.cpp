#include "retort/connection.hpp"

#include <fmt/format.h>

#include "driver/backends.hpp"
#include "retort/error.hpp"

namespace retort {

Result::Result(std::vector<std::string> columns, std::vector<Value> cells,
               std::int64_t affected_rows)
    : columns_(std::move(columns)), cells_(std::move(cells)), affected_rows_(affected_rows) {}

std::size_t Result::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return i;
  }
  throw UsageError(fmt::format("result has no column '{}'", name));
}

Row Result::at(std::size_t row) const {
  if (row >= size()) {
    throw UsageError(fmt::format("row {} out of range: result has {} rows", row, size()));
  }
  return Row(*this, row);
}

std::size_t Row::size() const noexcept {
  return result_->columns().size();
}

const Value& Row::operator[](std::size_t column) const {
  if (column >= size()) {
    throw UsageError(fmt::format("column {} out of range: row has {} columns", column, size()));
  }
  return result_->cell(index_, column);
}

const Value& Row::operator[](std::string_view column_name) const {
  return result_->cell(index_, result_->column_index(column_name));
}

void Connection::savepoint(std::string_view name) {
  execute_script("SAVEPOINT " + quote_identifier(name));
}

void Connection::release_savepoint(std::string_view name) {
  execute_script("RELEASE SAVEPOINT " + quote_identifier(name));
}

void Connection::rollback_to_savepoint(std::string_view name) {
  execute_script("ROLLBACK TO SAVEPOINT " + quote_identifier(name));
}

void Connection::listen(std::string_view /*channel*/) {
  throw UsageError("LISTEN/NOTIFY needs PostgreSQL: SQLite has no notifications (poll instead)");
}

void Connection::unlisten(std::string_view channel) {
  listen(channel);
}

std::optional<Notification> Connection::wait_for_notification(std::chrono::milliseconds) {
  listen({});
  return std::nullopt;
}

std::string Connection::quote_identifier(std::string_view name) {
  if (const std::size_t nul = name.find('\0'); nul != std::string_view::npos) {
    throw InvalidInput("identifier", "contains a NUL byte", nul);
  }
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QualifiedName::quoted() const {
  if (schema.empty()) return Connection::quote_identifier(name);
  return Connection::quote_identifier(schema) + "." + Connection::quote_identifier(name);
}

std::unique_ptr<Connection> connect(const DatabaseUrl& url, const ConnectionOptions& options) {
  if (url.dialect() == Dialect::postgresql) return driver::connect_postgresql(url, options);
  return driver::connect_sqlite(url, options);
}

}  // namespace retort

#include "driver/postgres/pg_errors.hpp"

#include <utility>

#include "core/log.hpp"
#include "core/redact.hpp"

namespace retort::driver::pg {
namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

std::string field(const PGresult* res, int code) {
  if (res == nullptr) return {};
  const char* value = PQresultErrorField(res, code);
  return value == nullptr ? std::string() : redact::scrub(value);
}

bool is_connection_sqlstate(std::string_view sqlstate) {
  // Class 08 (connection exception) and 57P01..57P03 (admin shutdown, crash shutdown, cannot
  // connect now): the session is gone.
  return sqlstate.starts_with("08") || sqlstate.starts_with("57P0");
}

void on_notice(void* fatal_seen, const PGresult* res) noexcept {
  try {
    const char* severity_field = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const std::string_view severity = severity_field == nullptr ? "" : severity_field;
    if (severity == "FATAL" || severity == "PANIC") *static_cast<bool*>(fatal_seen) = true;
    std::string message = field(res, PG_DIAG_MESSAGE_PRIMARY);
    if (message.empty()) message = redact::scrub(trimmed(PQresultErrorMessage(res)));
    const std::string detail = field(res, PG_DIAG_MESSAGE_DETAIL);
    if (!detail.empty()) message += " (" + detail + ")";
    if (severity == "WARNING" || severity == "ERROR" || severity == "FATAL" ||
        severity == "PANIC") {
      log::warn("postgresql {}: {}", severity, message);
    } else if (severity == "NOTICE" || severity == "INFO") {
      log::info("postgresql {}: {}", severity, message);
    } else {
      log::debug("postgresql {}: {}", severity, message);
    }
  } catch (...) {
    // libpq calls us from C: an exception must not cross it, and a lost notice is harmless.
  }
}

}  // namespace

std::string_view sqlstate_of(const PGresult* res) noexcept {
  const char* code = res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  return code == nullptr ? std::string_view() : std::string_view(code);
}

std::string connection_message(PGconn* conn) {
  if (conn == nullptr) return "out of memory";
  return redact::scrub(trimmed(PQerrorMessage(conn)));
}

ErrorInfo error_info(const PGresult* res, PGconn* conn, std::string_view sql) {
  ErrorInfo info;
  info.sqlstate = field(res, PG_DIAG_SQLSTATE);
  info.message = field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (info.message.empty() && res != nullptr) {
    info.message = redact::scrub(trimmed(PQresultErrorMessage(res)));
  }
  if (info.message.empty()) info.message = connection_message(conn);
  info.detail = field(res, PG_DIAG_MESSAGE_DETAIL);
  info.hint = field(res, PG_DIAG_MESSAGE_HINT);
  info.constraint = field(res, PG_DIAG_CONSTRAINT_NAME);
  info.table = field(res, PG_DIAG_TABLE_NAME);
  info.column = field(res, PG_DIAG_COLUMN_NAME);
  info.statement = std::string(sql);
  return info;
}

void throw_error(ErrorInfo info, bool connection_lost) {
  if (connection_lost) {
    if (!is_connection_sqlstate(info.sqlstate)) info.sqlstate = "08006";
    throw ConnectionError(std::move(info));
  }
  if (info.sqlstate.empty()) {
    throw UsageError("postgresql client error: " + info.message +
                     (info.statement.empty() ? "" : " (statement: " + info.statement + ")"));
  }
  throw_database_error(std::move(info));
}

void install_notice_receiver(PGconn* conn, bool* fatal_seen) {
  PQsetNoticeReceiver(conn, on_notice, fatal_seen);
}

}  // namespace retort::driver::pg

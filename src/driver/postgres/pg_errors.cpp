#include "driver/postgres/pg_errors.hpp"

#include <utility>

#include "core/log.hpp"
#include "core/redact.hpp"

namespace retort::driver::pg {
namespace {

// libpq's messages span lines ("...unexpectedly\n\tThis probably means..."): one line reads
// better in exceptions and logs.
std::string one_line(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      gap = true;
      continue;
    }
    if (gap && !out.empty() && out.back() != ' ') out.push_back(' ');
    gap = false;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
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

void on_notice(void* fatal_notice, const PGresult* res) noexcept {
  try {
    const char* severity_field = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const std::string_view severity = severity_field == nullptr ? "" : severity_field;
    std::string message = field(res, PG_DIAG_MESSAGE_PRIMARY);
    if (message.empty()) message = redact::scrub(one_line(PQresultErrorMessage(res)));
    if (severity == "FATAL" || severity == "PANIC") {
      auto& fatal = *static_cast<FatalNotice*>(fatal_notice);
      fatal.sqlstate = field(res, PG_DIAG_SQLSTATE);
      if (fatal.sqlstate.empty()) fatal.sqlstate = "08006";
      fatal.message = message;
    }
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
  return redact::scrub(one_line(PQerrorMessage(conn)));
}

ErrorInfo error_info(const PGresult* res, PGconn* conn, std::string_view sql) {
  ErrorInfo info;
  info.sqlstate = field(res, PG_DIAG_SQLSTATE);
  info.message = field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (info.message.empty() && res != nullptr) {
    info.message = redact::scrub(one_line(PQresultErrorMessage(res)));
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

void install_notice_receiver(PGconn* conn, FatalNotice* fatal) {
  PQsetNoticeReceiver(conn, on_notice, fatal);
}

}  // namespace retort::driver::pg

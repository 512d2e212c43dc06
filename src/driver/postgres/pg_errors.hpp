// Turning libpq failures into retort exceptions, and server notices into log lines.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>

#include "retort/error.hpp"

namespace retort::driver::pg {

// Owns a PGresult (PQclear on destruction).
struct ResultDeleter {
  void operator()(PGresult* res) const noexcept { PQclear(res); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// The SQLSTATE of a failed result; empty when there is none (or res is null).
std::string_view sqlstate_of(const PGresult* res) noexcept;

// libpq's current error message for conn, without the trailing newline, scrubbed of secrets.
std::string connection_message(PGconn* conn);

// What the server said about a failed result (or, when res carries no message, what libpq
// said). sql is recorded as the statement; parameter values never are. Every text passes
// through redact::scrub.
ErrorInfo error_info(const PGresult* res, PGconn* conn, std::string_view sql);

// Throws for a failed statement. connection_lost: ConnectionError whatever the SQLSTATE (the
// server's 08xxx / 57P0x code when it sent one, else 08006). Otherwise the DatabaseError
// subclass for the SQLSTATE, or UsageError for an error libpq raised on its own (no SQLSTATE,
// e.g. a command sent while another is in progress).
[[noreturn]] void throw_error(ErrorInfo info, bool connection_lost);

// What the server said when it announced, between statements, that it is closing the session
// (a FATAL or PANIC arriving while idle, as after pg_terminate_backend).
struct FatalNotice {
  std::string sqlstate;  // empty until one arrives
  std::string message;
};

// Routes server notices (RAISE NOTICE, warnings) to retort::log, and records a FATAL one in
// *fatal, which must outlive conn.
void install_notice_receiver(PGconn* conn, FatalNotice* fatal);

}  // namespace retort::driver::pg

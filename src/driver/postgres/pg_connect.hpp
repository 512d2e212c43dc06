// The pieces of opening a PostgreSQL connection, shared by the blocking connect
// (PQconnectdbParams) and the asynchronous one (PQconnectStartParams + PQconnectPoll).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "driver/postgres/pg_connection.hpp"
#include "retort/connection.hpp"
#include "retort/settings.hpp"

namespace retort::driver::pg {

using Params = DatabaseUrl::Params;

// The keywords handed to libpq: what the URL named, plus the session settings the driver
// relies on (UTC ISO timestamps, UTF8, application name, connect_timeout). Keywords the URL left
// out stay out, so libpq's environment (PGHOST, PGPASSFILE, PGSERVICE, PGSSLMODE, ...) still
// applies to them.
Params connection_params(const DatabaseUrl& url, const ConnectionOptions& options);

// The NULL-terminated keyword and value arrays libpq takes, pointing into params (which must
// outlive them). Registers the password with redact.
struct ConnectKeywords {
  explicit ConnectKeywords(const Params& params);
  std::vector<const char*> keywords;
  std::vector<const char*> values;
};

// Throws the ConnectionError for a failed connection attempt (redacted URL, libpq's reason, a
// TLS hint when one applies) after closing conn (which may be null).
[[noreturn]] void throw_connect_failure(PGconn* conn, const DatabaseUrl& url);

// Wraps an established connection (closing it if that fails).
std::unique_ptr<PgConnection> adopt_connection(PGconn* conn, const ConnectionOptions& options);

// PgBouncer refuses the `options` startup parameter that carries the session settings ("FATAL:
// unsupported startup parameter: options", unless its ignore_startup_parameters lists it). It
// does keep TimeZone and DateStyle per client, though, setting them again on whichever server
// session it hands over: so, when `options` is ours alone (not the URL's, not PGOPTIONS), both
// connects (blocking and asynchronous) connect without it and run session_settings(). The
// refusal is remembered per URL, so later connections do not knock twice.

// Whether to leave `options` out from the start: the URL's server refused it before.
bool skip_options(const DatabaseUrl& url);
// After a failed attempt (conn may be null): true, and remembered, when the server refused an
// `options` that was ours, so the caller tries again with without_options.
bool retry_without_options(PGconn* conn, const DatabaseUrl& url);
// params without the `options` keyword.
Params without_options(Params params);
// The statements that set what `options` carries (UTC, ISO dates), for a connection opened
// without it.
const std::vector<std::string>& session_settings();

}  // namespace retort::driver::pg

// The pieces of opening a PostgreSQL connection, shared by the blocking connect
// (PQconnectdbParams) and the asynchronous one (PQconnectStartParams + PQconnectPoll).
#pragma once

#include <libpq-fe.h>

#include <memory>
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

}  // namespace retort::driver::pg

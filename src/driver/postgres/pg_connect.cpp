// Opening a PostgreSQL connection: driver::connect_postgresql.
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/redact.hpp"
#include "driver/backends.hpp"
#include "driver/postgres/pg_connect.hpp"
#include "driver/postgres/pg_connection.hpp"

namespace retort::driver {
namespace pg {
namespace {

std::string* find_param(Params& params, std::string_view keyword) {
  for (auto& [key, value] : params) {
    if (key == keyword) return &value;
  }
  return nullptr;
}

}  // namespace

Params connection_params(const DatabaseUrl& url, const ConnectionOptions& options) {
  Params params = url.params();
  // Timestamps are decoded from text: make the server print them in UTC and ISO form,
  // whatever the server or the role defaults to. Appended, so the URL's options still apply.
  std::string session = "-c TimeZone=UTC -c DateStyle=ISO";
  if (std::string* user_options = find_param(params, "options")) {
    *user_options = user_options->empty() ? session : *user_options + " " + session;
  } else if (const char* env_options = std::getenv("PGOPTIONS"); env_options && *env_options) {
    // Setting `options` hides PGOPTIONS from libpq, so carry it over explicitly.
    params.emplace_back("options", std::string(env_options) + " " + session);
  } else {
    params.emplace_back("options", std::move(session));
  }
  // fallback_application_name rather than application_name: PGAPPNAME still wins over it.
  if (find_param(params, "application_name") == nullptr &&
      find_param(params, "fallback_application_name") == nullptr &&
      !options.application_name.empty()) {
    params.emplace_back("fallback_application_name", options.application_name);
  }
  if (find_param(params, "connect_timeout") == nullptr &&
      std::getenv("PGCONNECT_TIMEOUT") == nullptr && options.connect_timeout_seconds > 0) {
    params.emplace_back("connect_timeout", std::to_string(options.connect_timeout_seconds));
  }
  // Text is validated as UTF-8 on the way in and decoded as UTF-8 on the way out.
  if (find_param(params, "client_encoding") == nullptr) {
    params.emplace_back("client_encoding", "UTF8");
  }
  return params;
}

namespace {

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// libpq's TLS messages say what failed, not what to change; the hint says which setting to
// change. Empty when the message is not about TLS.
std::string tls_hint(std::string_view message, const DatabaseUrl& url) {
  const std::string mode = url.param("sslmode").value_or("prefer");
  if (has(message, "does not match host name")) {
    return "sslmode=verify-full checks that the server certificate names the host connected to: "
           "connect by a name the certificate lists (subjectAltName), or reissue it with this "
           "one";
  }
  if (has(message, "certificate verify failed")) {
    const std::string root =
        url.param("sslrootcert")
            .value_or("~/.postgresql/root.crt (set sslrootcert, DB_SSLROOTCERT or PGSSLROOTCERT)");
    return "the server's certificate is not signed by a CA in sslrootcert " + root;
  }
  if (has(message, "server does not support SSL")) {
    return "the server has TLS turned off (ssl = off in postgresql.conf), and sslmode=" + mode +
           " refuses an unencrypted connection";
  }
  if (has(message, "requires a valid client certificate")) {
    return "the server asks for a client certificate: set sslcert and sslkey (DB_SSLCERT and "
           "DB_SSLKEY, or [database] sslcert and sslkey in retort.toml)";
  }
  if (has(message, "certificate authentication failed")) {
    return "the client certificate's common name (CN) must be the database user name, or be "
           "mapped to it in pg_ident.conf";
  }
  if (has(message, "no encryption") && has(message, "pg_hba.conf")) {
    return "the server accepts only TLS connections here (hostssl): set sslmode=require or "
           "stronger";
  }
  return "";
}

}  // namespace

ConnectKeywords::ConnectKeywords(const Params& params) {
  for (const auto& [key, value] : params) {
    // A URL built by hand may not have registered its password: libpq must not leak it either.
    if (key == "password") redact::register_secret(value);
    keywords.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
}

void throw_connect_failure(PGconn* conn, const DatabaseUrl& url) {
  ErrorInfo info;
  info.sqlstate = "08001";
  const std::string reason = connection_message(conn);
  info.message = fmt::format("cannot connect to {}: {}", url.redacted(), reason);
  // Only in the hint field: DatabaseError's text appends it ("; HINT: ..."), as for a hint
  // from the server. Also in the message, it was printed twice.
  info.hint = tls_hint(reason, url);
  PQfinish(conn);
  throw ConnectionError(std::move(info));
}

std::unique_ptr<PgConnection> adopt_connection(PGconn* conn, const ConnectionOptions& options) {
  try {
    return std::make_unique<PgConnection>(conn, options);
  } catch (...) {
    PQfinish(conn);
    throw;
  }
}

namespace {

bool options_are_ours(const DatabaseUrl& url) {
  return !url.param("options") && std::getenv("PGOPTIONS") == nullptr;
}

std::mutex refusing_mutex;
std::set<std::string>& refusing_urls() {
  static std::set<std::string> urls;
  return urls;
}

}  // namespace

bool skip_options(const DatabaseUrl& url) {
  if (!options_are_ours(url)) return false;
  std::lock_guard lock(refusing_mutex);
  return refusing_urls().count(url.redacted()) > 0;
}

bool retry_without_options(PGconn* conn, const DatabaseUrl& url) {
  const bool refused =
      conn != nullptr &&
      std::string_view(PQerrorMessage(conn)).find("unsupported startup parameter: options") !=
          std::string_view::npos;
  if (!refused || !options_are_ours(url)) return false;
  std::lock_guard lock(refusing_mutex);
  refusing_urls().insert(url.redacted());
  return true;
}

Params without_options(Params params) {
  std::erase_if(params, [](const auto& p) { return p.first == "options"; });
  return params;
}

const std::vector<std::string>& session_settings() {
  static const std::vector<std::string> statements = {"SET TimeZone = 'UTC'",
                                                      "SET DateStyle = 'ISO'"};
  return statements;
}

}  // namespace pg

namespace {

PGconn* open_with(const pg::Params& params) {
  const pg::ConnectKeywords keywords(params);
  // expand_dbname = 0: a dbname holding "postgresql://..." is a name, not another URL.
  return PQconnectdbParams(keywords.keywords.data(), keywords.values.data(), 0);
}

std::unique_ptr<Connection> connect_without_options(const pg::Params& params,
                                                    const DatabaseUrl& url,
                                                    const ConnectionOptions& options) {
  PGconn* conn = open_with(pg::without_options(params));
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) pg::throw_connect_failure(conn, url);
  std::unique_ptr<pg::PgConnection> c = pg::adopt_connection(conn, options);
  c->execute_script(fmt::format("{}", fmt::join(pg::session_settings(), "; ")));
  return c;
}

}  // namespace

std::unique_ptr<Connection> connect_postgresql(const DatabaseUrl& url,
                                               const ConnectionOptions& options) {
  const pg::Params params = pg::connection_params(url, options);
  if (pg::skip_options(url)) return connect_without_options(params, url, options);
  PGconn* conn = open_with(params);
  if (conn != nullptr && PQstatus(conn) == CONNECTION_OK)
    return pg::adopt_connection(conn, options);
  if (!pg::retry_without_options(conn, url)) pg::throw_connect_failure(conn, url);
  PQfinish(conn);
  return connect_without_options(params, url, options);
}

}  // namespace retort::driver

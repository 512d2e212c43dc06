// DatabaseUrl, the dispatch of parse_database_url over the accepted forms, SQLite URLs, and the
// printable (redacted) form.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/percent.hpp"
#include "config/url_parsing.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"

namespace retort {
namespace {

constexpr std::size_t npos = std::string_view::npos;
constexpr std::string_view kExpectedForms =
    "expected postgresql://, sqlite://, or a libpq keyword string";
constexpr std::string_view kSqliteForms =
    "sqlite:///relative.db, sqlite:////absolute/path.db or sqlite://:memory:";
constexpr std::string_view kMemory = ":memory:";

bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Length of the RFC 3986 scheme that starts text, or 0 when text does not start with one
// followed by ':'.
std::size_t scheme_length(std::string_view text) noexcept {
  if (text.empty() || !is_alpha(text[0])) return 0;
  std::size_t i = 1;
  while (i < text.size() && (is_alpha(text[i]) || is_digit(text[i]) || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  return i < text.size() && text[i] == ':' ? i : 0;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// libpq's schemes, and SQLAlchemy's "dialect+driver" spellings of them (the driver is Python's
// business, not ours: psycopg2, psycopg, asyncpg, pg8000, pygresql, ...).
bool is_postgresql_scheme(std::string_view scheme) noexcept {
  return scheme == "postgresql" || scheme == "postgres" || scheme.starts_with("postgresql+") ||
         scheme.starts_with("postgres+");
}

// SQLAlchemy's spellings of SQLite with a driver that opens plain database files.
bool is_sqlite_scheme(std::string_view scheme) noexcept {
  return scheme == "sqlite" || scheme == "sqlite+pysqlite" || scheme == "sqlite+aiosqlite";
}

bool is_blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r\n\f\v") == npos;
}

// SQLAlchemy's forms: three slashes then a relative path, four for an absolute one.
DatabaseUrl parse_sqlite_url(std::string_view url, std::size_t after_colon) {
  config::refuse_fragment(url);
  if (!url.substr(after_colon).starts_with("//")) {
    throw ConfigError(fmt::format("SQLite URLs need '//' after 'sqlite:': write {}", kSqliteForms));
  }
  std::size_t rest_pos = after_colon + 2;
  std::string_view rest = url.substr(rest_pos);
  if (std::size_t q = rest.find('?'); q != npos) {
    throw ConfigError(
        fmt::format("SQLite URLs take no query parameters ('?' at position {})", rest_pos + q));
  }
  if (rest.empty() || rest == kMemory) return DatabaseUrl::sqlite(std::string(kMemory));
  if (rest.front() != '/') {
    throw ConfigError(fmt::format("SQLite URLs take no host: write {}", kSqliteForms));
  }
  return DatabaseUrl::sqlite(config::percent_decode(rest.substr(1), rest_pos + 1));
}

std::vector<std::string> split_list(const std::optional<std::string>& list) {
  std::vector<std::string> parts;
  if (!list) return parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list->find(',', start);
    parts.push_back(list->substr(start, comma == npos ? npos : comma - start));
    if (comma == npos) return parts;
    start = comma + 1;
  }
}

std::string render_host(const std::string& host) {
  if (host.starts_with('/')) return config::percent_encode(host);  // socket dir: %2Ftmp
  if (host.find(':') != npos) return "[" + config::percent_encode(host, ":") + "]";  // IPv6
  return config::percent_encode(host);
}

// "h1:5432,h2:5433". Returns false (rendering only the hosts) when libpq's lists do not pair
// up, e.g. two hosts sharing one port; the port then goes into the query.
bool render_hosts(const DatabaseUrl& url, std::string& out) {
  std::vector<std::string> hosts = split_list(url.param("host"));
  std::vector<std::string> ports = split_list(url.param("port"));
  bool paired = hosts.empty() || ports.empty() || hosts.size() == ports.size();
  std::size_t count = paired ? std::max(hosts.size(), ports.size()) : hosts.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    if (i < hosts.size()) out += render_host(hosts[i]);
    if (paired && i < ports.size() && !ports[i].empty()) out += ":" + ports[i];
  }
  return paired;
}

std::string render_postgresql(const DatabaseUrl& url) {
  std::string out = "postgresql://";
  std::optional<std::string> user = url.param("user");
  bool has_password = url.param("password").has_value();
  if (user) out += config::percent_encode(*user);
  if (has_password) out += ":" + std::string(redact::kMask);
  if (user || has_password) out += '@';
  bool port_rendered = render_hosts(url, out);
  if (auto dbname = url.param("dbname")) out += "/" + config::percent_encode(*dbname);
  char separator = '?';
  for (const auto& [keyword, value] : url.params()) {
    if (keyword == "user" || keyword == "password" || keyword == "host" || keyword == "dbname" ||
        (keyword == "port" && port_rendered)) {
      continue;
    }
    out += separator;
    out += config::percent_encode(keyword) + "=";
    out += config::is_secret_keyword(keyword) ? std::string(redact::kMask)
                                              : config::percent_encode(value, "/:,@");
    separator = '&';
  }
  return out;
}

std::string render_sqlite(const std::string& path) {
  if (path == kMemory) return "sqlite://:memory:";
  // "sqlite:///" + "/abs" gives the four-slash absolute form by itself.
  return "sqlite:///" + config::percent_encode(path, "/:@+,=");
}

}  // namespace

namespace config {

void check_sslmode(std::string_view mode) {
  static constexpr std::string_view kModes[] = {"disable", "allow",     "prefer",
                                                "require", "verify-ca", "verify-full"};
  if (std::find(std::begin(kModes), std::end(kModes), mode) != std::end(kModes)) return;
  throw ConfigError(fmt::format(
      "bad sslmode '{}' (expected disable, allow, prefer, require, verify-ca or verify-full)",
      mode));
}

}  // namespace config

DatabaseUrl DatabaseUrl::postgresql(Params params) {
  DatabaseUrl url;
  url.dialect_ = Dialect::postgresql;
  for (const auto& [keyword, value] : params) {
    if (config::is_secret_keyword(keyword)) redact::register_secret(value);
  }
  for (const auto& [keyword, value] : params) {
    if (keyword == "sslmode") config::check_sslmode(value);
  }
  url.params_ = std::move(params);
  return url;
}

DatabaseUrl DatabaseUrl::sqlite(std::string path) {
  DatabaseUrl url;
  url.dialect_ = Dialect::sqlite;
  url.path_ = path.empty() ? std::string(kMemory) : std::move(path);
  return url;
}

std::optional<std::string> DatabaseUrl::param(std::string_view keyword) const {
  for (const auto& [k, v] : params_) {
    if (k == keyword) return v;
  }
  return std::nullopt;
}

void DatabaseUrl::set_param(std::string_view keyword, std::string value) {
  if (config::is_secret_keyword(keyword)) redact::register_secret(value);
  for (auto& [k, v] : params_) {
    if (k == keyword) {
      v = std::move(value);
      return;
    }
  }
  params_.emplace_back(std::string(keyword), std::move(value));
}

std::string DatabaseUrl::redacted() const {
  return dialect_ == Dialect::postgresql ? render_postgresql(*this) : render_sqlite(path_);
}

DatabaseUrl parse_database_url(std::string_view text) {
  if (is_blank(text)) throw ConfigError("empty database URL");
  const bool keyword_string = config::looks_like_keyword_string(text);
  const std::size_t length = keyword_string ? 0 : scheme_length(text);
  if (!keyword_string && length == 0) {
    throw ConfigError(fmt::format("not a database URL ({})", kExpectedForms));
  }
  // No database or file name can hold a NUL byte: SQLite and libpq would read the text only up to
  // it, and so open another file or server than the one written (sqlite:///app.db\0x opens
  // app.db). Refused for every form, as %00 is refused where escapes are decoded.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    throw ConfigError(fmt::format("database URL: a NUL byte at position {} is not allowed", nul));
  }
  if (keyword_string) return config::parse_keyword_string(text);
  std::string_view scheme = text.substr(0, length);
  std::string lowered = lower(scheme);
  if (is_postgresql_scheme(lowered)) {
    if (text.substr(length + 1).starts_with("//")) {
      return config::parse_postgresql_url(text, length + 3);
    }
    throw ConfigError(fmt::format("expected '//' after '{}:' in database URL", scheme));
  }
  if (is_sqlite_scheme(lowered)) {
    DatabaseUrl url = parse_sqlite_url(text, length + 1);
    const std::string_view rest = text.substr(length + 1);
    url.memory_implied_ = rest == "//" || rest == "///";
    return url;
  }
  if (lowered == "file") {
    throw ConfigError(
        "'file:' URLs are not supported: write sqlite:///relative.db or "
        "sqlite:////absolute/path.db");
  }
  throw ConfigError(
      fmt::format("unknown scheme '{}' in database URL ({})", scheme, kExpectedForms));
}

}  // namespace retort

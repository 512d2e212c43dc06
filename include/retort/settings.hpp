// Where the database is: URL parsing and the resolution order of settings.
//
// One function decides which database to
// use, from (highest first) an explicit URL, RETORT_DATABASE_URL, DATABASE_URL, the DB_USER /
// DB_PASSWORD / DB_HOST / DB_PORT / DB_NAME / DB_SSLMODE variables, the config file retort.toml,
// and finally the embedded default, a SQLite file retort.db in the current directory.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "retort/value.hpp"

namespace retort {

// A parsed database location.
//
// PostgreSQL: the libpq connection keywords the URL named (host, port, dbname, user, password,
// sslmode, application_name, options, ...). Parts the URL leaves out are absent, so libpq's own
// environment (PGHOST, PGPASSFILE/.pgpass, PGSERVICE, PGSSLMODE, ...) still applies.
// SQLite: a file path, or ":memory:".
class DatabaseUrl {
 public:
  using Params = std::vector<std::pair<std::string, std::string>>;

  static DatabaseUrl postgresql(Params params);
  static DatabaseUrl sqlite(std::string path);

  Dialect dialect() const noexcept { return dialect_; }

  // PostgreSQL keywords, in the order the URL gave them.
  const Params& params() const noexcept { return params_; }
  std::optional<std::string> param(std::string_view keyword) const;
  // Sets (replaces) a keyword, e.g. set_param("application_name", "worker").
  void set_param(std::string_view keyword, std::string value);

  // SQLite: the file path (relative paths are relative to the working directory), or ":memory:".
  const std::string& path() const noexcept { return path_; }
  bool is_memory() const noexcept { return dialect_ == Dialect::sqlite && path_ == ":memory:"; }
  // True for an in-memory database that the URL did not spell out: "sqlite://" or "sqlite:///"
  // (SQLAlchemy's spelling). The library accepts it; the command line refuses it, since
  // whatever a command stores there is gone when retort exits.
  bool memory_implied() const noexcept { return memory_implied_; }

  // The URL in printable form with the password shown as "***": safe for logs and errors.
  std::string redacted() const;

 private:
  Dialect dialect_ = Dialect::sqlite;
  Params params_;
  std::string path_;
  bool memory_implied_ = false;

  friend DatabaseUrl parse_database_url(std::string_view text);
};

// Parses any accepted form; throws ConfigError saying what is wrong, never echoing a password:
//   postgresql://user:pass@host:5432/db?sslmode=require&application_name=x   (also postgres://,
//       postgresql+psycopg2:// and postgresql+asyncpg:// as SQLAlchemy writes them; percent-encoded
//       credentials; [::1] IPv6 hosts; a percent-encoded absolute path as host = unix socket dir)
//   host=localhost port=5432 dbname=app user=app      (a libpq keyword/value string)
//   sqlite:///relative.db   sqlite:////absolute/path.db   sqlite://:memory:   sqlite://
// Registers the password, if any, as a secret (see redact.hpp) so no log line can show it.
DatabaseUrl parse_database_url(std::string_view text);

// Which setting decided the database.
enum class UrlSource {
  argument,             // --url or an explicit argument
  retort_database_url,  // $RETORT_DATABASE_URL
  database_url,         // $DATABASE_URL
  components,           // $DB_USER, $DB_PASSWORD, $DB_HOST, $DB_PORT, $DB_NAME, $DB_SSLMODE
  config_file,          // [database] in retort.toml
  default_sqlite,       // ./retort.db
};

std::string_view url_source_name(UrlSource source) noexcept;

// What sits between retort and the database URL's server, in PgBouncer's words (pool_mode).
enum class PoolMode {
  session,      // a direct connection, or a pooler that gives each client one server session
  transaction,  // a transaction pooler: each transaction may run on another server session
};

// "session" or "transaction".
std::string_view pool_mode_name(PoolMode mode) noexcept;

// A URL that accompanies the database URL for one kind of work, and the setting that gave it.
struct RoleUrl {
  DatabaseUrl url;
  std::string origin;  // e.g. "environment variable RETORT_REPLICA_URL"
};

struct ResolvedUrl {
  DatabaseUrl url;
  UrlSource source;
  std::string
      origin;  // e.g. "environment variable RETORT_DATABASE_URL", "config file ./retort.toml"
  // The references followed to build the URL, one line each, naming places, never values:
  // "DB_PASSWORD <- vault:secret/data/app/db#password", "database.url <- file:/run/secrets/url".
  std::vector<std::string> references;
  // Where reads that may be slightly stale go (a streaming replica); nullopt: to url.
  std::optional<RoleUrl> replica{};
  // Where migrations connect (they hold a session-level advisory lock); nullopt: to url.
  std::optional<RoleUrl> migration{};
  // What sits in front of url; pool_mode_origin names the setting (empty: the default).
  PoolMode pool_mode = PoolMode::session;
  std::string pool_mode_origin{};
};

// Everything resolution may look at; tests substitute the environment and directory.
struct SettingsInputs {
  std::optional<std::string> explicit_url;           // --url
  std::optional<std::filesystem::path> config_path;  // -c/--config (must exist if given)
  // Environment lookup; defaults to std::getenv.
  std::function<std::optional<std::string>(const char* name)> getenv;
  // Where retort.toml and the default retort.db are looked for; defaults to the working dir.
  std::optional<std::filesystem::path> working_directory;
};

// The config file that applies: -c/--config, else $RETORT_CONFIG, else ./retort.toml if it exists.
// Throws ConfigError if an explicitly named file does not exist.
std::optional<std::filesystem::path> find_config_file(const SettingsInputs& inputs);

// Resolves the database URL in the documented order. Throws ConfigError for a malformed value,
// naming the source that held it (e.g. "DATABASE_URL: bad port 'x'").
//
// The settings that accompany a PostgreSQL URL come from the same place as the URL (so a URL
// is never paired with another database's replica): from the environment when the URL did
// (RETORT_REPLICA_URL, RETORT_MIGRATION_URL, RETORT_POOL_MODE), from retort.toml's [database]
// when the URL did (replica_url, migration_url, pool_mode); an explicit URL takes none. Without
// a replica setting, a URL listing several hosts with target_session_attrs=read-write (or
// primary) reads from the same hosts with target_session_attrs=prefer-standby. ConfigError for
// a replica or migration URL that is not PostgreSQL, for any of them beside a SQLite URL, and
// for a pool mode other than session or transaction. See docs/replicas.md.
//
// Every value (a whole URL, DB_PASSWORD, database.user, ...) may instead be a reference:
//   env:NAME                           the environment variable NAME
//   file:/run/secrets/db_password      a file's content, trailing newlines removed
//   vault:secret/data/app/db#password  a field of a HashiCorp Vault KV secret (VAULT_ADDR,
//                                      VAULT_TOKEN or AppRole, VAULT_NAMESPACE, VAULT_CACERT...)
//   literal:TEXT                       TEXT itself
// Vault answers are cached for RETORT_SECRET_CACHE_TTL (default 5min; "0" turns caching off), so
// resolving again costs no request until then. See docs/security.md.
ResolvedUrl resolve_database_url(const SettingsInputs& inputs = {});

// Resolves one reference of the forms above (any other text is returned as it is), for an
// application's own secrets: resolve_secret("vault:secret/data/app/api#key"). Throws
// ConfigError naming the reference (never the value) when it cannot be resolved. The value is
// registered as a secret: retort's log lines and error messages show it as "***".
std::string resolve_secret(std::string_view text, const SettingsInputs& inputs = {});

// Forgets every cached Vault value and token: the next resolution asks Vault again (after a
// credential rotation, say).
void clear_secret_cache();

}  // namespace retort

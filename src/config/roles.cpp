// The settings that accompany the database URL: where stale-tolerant reads go (a streaming
// replica), where migrations connect (a direct URL past a transaction pooler), and what sits in
// front of the server (pool_mode).
//
// They are taken from the same place as the URL and nowhere else: a --url given for another
// database must not inherit the replica of the one in the environment.
#include <string>
#include <utility>

#include <fmt/format.h>

#include "config/config_file.hpp"
#include "config/roles.hpp"
#include "retort/error.hpp"

namespace retort {

std::string_view pool_mode_name(PoolMode mode) noexcept {
  return mode == PoolMode::transaction ? "transaction" : "session";
}

namespace config {
namespace {

std::string_view dialect_word(Dialect dialect) {
  return dialect == Dialect::postgresql ? "PostgreSQL" : "SQLite";
}

std::optional<RoleUrl> env_role_url(const char* variable, Dialect main, const EnvLookup& env,
                                    ReferenceLog* log) {
  std::optional<std::string> text = env(variable);
  if (!text) return std::nullopt;
  std::string origin = fmt::format("environment variable {}", variable);
  try {
    const std::string value = resolve_reference(*text, env, variable, log);
    if (value != *text) origin += " (" + *text + ")";
    DatabaseUrl url = parse_database_url(value);
    check_role_url(url, main, variable);
    return RoleUrl{std::move(url), std::move(origin)};
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    if (message.starts_with(variable)) throw;
    throw ConfigError(fmt::format("{}: {}", variable, message));
  }
}

// libpq's multi-host form: "h1,h2" with target_session_attrs=read-write (or primary) already
// finds the primary among the hosts; the same list with prefer-standby finds a replica.
std::optional<RoleUrl> derived_replica(const DatabaseUrl& url) {
  if (url.dialect() != Dialect::postgresql) return std::nullopt;
  const std::optional<std::string> hosts = url.param("host");
  const std::optional<std::string> attrs = url.param("target_session_attrs");
  if (!hosts || hosts->find(',') == std::string::npos) return std::nullopt;
  if (attrs != "read-write" && attrs != "primary") return std::nullopt;
  DatabaseUrl replica = url;
  replica.set_param("target_session_attrs", "prefer-standby");
  return RoleUrl{std::move(replica),
                 fmt::format("the database URL's hosts with target_session_attrs=prefer-standby "
                             "(it has target_session_attrs={})",
                             *attrs)};
}

void apply_env_roles(ResolvedUrl& resolved, const EnvLookup& env) {
  const Dialect main = resolved.url.dialect();
  resolved.replica = env_role_url("RETORT_REPLICA_URL", main, env, &resolved.references);
  resolved.migration = env_role_url("RETORT_MIGRATION_URL", main, env, &resolved.references);
  if (std::optional<std::string> mode = env("RETORT_POOL_MODE")) {
    resolved.pool_mode = parse_pool_mode(*mode, main, "RETORT_POOL_MODE");
    resolved.pool_mode_origin = "environment variable RETORT_POOL_MODE";
  }
}

void apply_file_roles(ResolvedUrl& resolved, const std::filesystem::path& file,
                      const EnvLookup& env) {
  std::optional<RoleConfig> roles =
      read_role_config(file, resolved.url.dialect(), env, &resolved.references);
  if (!roles) return;
  const std::string origin = "config file " + file.string();
  if (roles->replica) resolved.replica = RoleUrl{std::move(*roles->replica), origin};
  if (roles->migration) resolved.migration = RoleUrl{std::move(*roles->migration), origin};
  if (roles->pool_mode) {
    resolved.pool_mode = *roles->pool_mode;
    resolved.pool_mode_origin = origin;
  }
}

}  // namespace

void check_role_url(const DatabaseUrl& url, Dialect main, std::string_view setting) {
  if (main != Dialect::postgresql) {
    throw ConfigError(
        fmt::format("{} applies to PostgreSQL, and the database URL it accompanies is {}", setting,
                    dialect_word(main)));
  }
  if (url.dialect() != Dialect::postgresql) {
    throw ConfigError(fmt::format("{} must be a PostgreSQL URL (it is {})", setting,
                                  dialect_word(url.dialect())));
  }
}

PoolMode parse_pool_mode(std::string_view text, Dialect main, std::string_view setting) {
  PoolMode mode;
  if (text == "session") {
    mode = PoolMode::session;
  } else if (text == "transaction") {
    mode = PoolMode::transaction;
  } else if (text == "statement") {
    throw ConfigError(fmt::format(
        "{}: 'statement' pooling runs each statement on another session, and retort needs "
        "transactions of several statements (use transaction pooling)",
        setting));
  } else {
    throw ConfigError(
        fmt::format("{}: bad pool mode '{}' (expected session or transaction)", setting, text));
  }
  if (mode == PoolMode::transaction && main != Dialect::postgresql) {
    throw ConfigError(
        fmt::format("{}: transaction pooling applies to PostgreSQL, and the "
                    "database URL is {}",
                    setting, dialect_word(main)));
  }
  return mode;
}

void resolve_roles(ResolvedUrl& resolved, const EnvLookup& env,
                   const std::optional<std::filesystem::path>& config_file) {
  switch (resolved.source) {
    case UrlSource::retort_database_url:
    case UrlSource::database_url:
    case UrlSource::components:
      apply_env_roles(resolved, env);
      break;
    case UrlSource::config_file:
      if (config_file) apply_file_roles(resolved, *config_file, env);
      break;
    case UrlSource::argument:
    case UrlSource::default_sqlite:
      break;
  }
  if (!resolved.replica) resolved.replica = derived_replica(resolved.url);
}

}  // namespace config
}  // namespace retort

#include "config/config_file.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "config/toml_file.hpp"
#include "config/url_parsing.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

namespace fs = std::filesystem;

struct Component {
  std::string_view key;      // in [database]
  std::string_view keyword;  // libpq's name for it
};
constexpr Component kComponents[] = {{"user", "user"},
                                     {"password", "password"},
                                     {"host", "host"},
                                     {"port", "port"},
                                     {"name", "dbname"},
                                     {"sslmode", "sslmode"},
                                     {"sslrootcert", "sslrootcert"},
                                     {"sslcert", "sslcert"},
                                     {"sslkey", "sslkey"},
                                     {"sslpassword", "sslpassword"}};
constexpr std::string_view kKnownKeys =
    "url, or user, password, host, port, name; and sslmode, sslrootcert, sslcert, sslkey, "
    "sslpassword; replica_url, migration_url, pool_mode";

// The settings that accompany the database (read by read_role_config, not part of the URL).
bool is_role_key(std::string_view key) {
  return key == "replica_url" || key == "migration_url" || key == "pool_mode";
}

// The TLS settings may accompany `url` (which then needs no query string for them).
bool is_tls_key(std::string_view key) {
  return key.starts_with("ssl");
}

bool is_component(std::string_view key) {
  for (const auto& c : kComponents) {
    if (c.key == key) return true;
  }
  return false;
}

void check_keys(const fs::path& file, const toml::table& table) {
  for (const auto& [key, node] : table) {
    if (key.str() == "url" || is_component(key.str()) || is_role_key(key.str())) continue;
    fail_at(file, key.source(),
            fmt::format("unknown key '{}' in [database] (expected {})", key.str(), kKnownKeys));
  }
}

DatabaseUrl url_setting(const fs::path& file, const toml::node& node, const EnvLookup& env,
                        ReferenceLog* log) {
  const auto* text = node.as_string();
  if (text == nullptr) fail_at(file, node.source(), "database.url must be a string");
  std::string value;
  try {
    value = resolve_reference(text->get(), env, "database.url", log);
  } catch (const ConfigError& e) {
    fail_at(file, node.source(), e.what());
  }
  // Say where the text came from when it was not written in the file itself.
  std::string via = is_reference(text->get()) ? " (" + text->get() + ")" : "";
  try {
    return parse_database_url(value);
  } catch (const ConfigError& e) {
    fail_at(file, node.source(), fmt::format("database.url{}: {}", via, e.what()));
  }
}

std::string port_setting(const fs::path& file, const toml::node& node) {
  if (const auto* number = node.as_integer()) {
    std::int64_t port = number->get();
    if (port < 1 || port > 65535)
      fail_at(file, node.source(), fmt::format("bad port '{}' in [database]", port));
    return std::to_string(port);
  }
  if (const auto* text = node.as_string()) {
    if (auto bad = first_bad_port(text->get())) {
      fail_at(file, node.source(), fmt::format("bad port '{}' in [database]", *bad));
    }
    return text->get();
  }
  fail_at(file, node.source(), "database.port must be a number or a string");
}

// A password in a file that gets committed is the thing to avoid: every string may be a
// reference (env:, file:, vault:) instead of the value.
std::string component_setting(const fs::path& file, const Component& component,
                              const toml::node& node, const EnvLookup& env, ReferenceLog* log) {
  if (component.key == "port" && !node.is_string()) return port_setting(file, node);
  const auto* text = node.as_string();
  if (text == nullptr) {
    fail_at(file, node.source(), fmt::format("database.{} must be a string", component.key));
  }
  std::string value;
  try {
    value = resolve_reference(text->get(), env, fmt::format("database.{}", component.key), log);
  } catch (const ConfigError& e) {
    fail_at(file, node.source(), e.what());
  }
  if (component.key == "port") {
    if (auto bad = first_bad_port(value)) {
      fail_at(file, node.source(), fmt::format("bad port '{}' in [database]", *bad));
    }
  }
  if (component.key == "sslmode") {
    try {
      check_sslmode(value);
    } catch (const ConfigError& e) {
      fail_at(file, node.source(), fmt::format("database.sslmode: {}", e.what()));
    }
  }
  return value;
}

// The parameters of the components present in table (only the TLS ones when `tls_only`).
DatabaseUrl::Params component_params(const fs::path& file, const toml::table& table,
                                     const EnvLookup& env, ReferenceLog* log, bool tls_only) {
  DatabaseUrl::Params params;
  for (const auto& component : kComponents) {
    if (tls_only && !is_tls_key(component.key)) continue;
    const toml::node* node = table.get(component.key);
    if (node == nullptr) continue;
    std::string value = component_setting(file, component, *node, env, log);
    if (!value.empty()) params.emplace_back(component.keyword, std::move(value));
  }
  return params;
}

[[noreturn]] void fail_postgresql(const fs::path& file, const toml::table& table,
                                  const ConfigError& e) {
  fail_at(file, table.source(), fmt::format("[database]: {}", e.what()));
}

}  // namespace

namespace {

// replica_url / migration_url: a PostgreSQL URL (or a reference to one) beside a PostgreSQL url.
std::optional<DatabaseUrl> role_url(const fs::path& file, const toml::table& table,
                                    std::string_view key, Dialect main, const EnvLookup& env,
                                    ReferenceLog* log) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const auto* text = node->as_string();
  if (text == nullptr)
    fail_at(file, node->source(), fmt::format("database.{} must be a string", key));
  const std::string setting = fmt::format("database.{}", key);
  try {
    DatabaseUrl url = parse_database_url(resolve_reference(text->get(), env, setting, log));
    check_role_url(url, main, setting);
    return url;
  } catch (const ConfigError& e) {
    fail_at(file, node->source(), e.what());
  }
}

}  // namespace

std::optional<RoleConfig> read_role_config(const fs::path& file, Dialect main, const EnvLookup& env,
                                           ReferenceLog* log) {
  toml::table document = parse_toml_file(file);
  const toml::table* table = document["database"].as_table();
  if (table == nullptr) return std::nullopt;
  RoleConfig roles;
  roles.replica = role_url(file, *table, "replica_url", main, env, log);
  roles.migration = role_url(file, *table, "migration_url", main, env, log);
  if (const toml::node* node = table->get("pool_mode")) {
    const auto* text = node->as_string();
    if (text == nullptr) fail_at(file, node->source(), "database.pool_mode must be a string");
    try {
      roles.pool_mode = parse_pool_mode(text->get(), main, "database.pool_mode");
    } catch (const ConfigError& e) {
      fail_at(file, node->source(), e.what());
    }
  }
  return roles;
}

std::optional<DatabaseUrl> read_database_config(const fs::path& file, const EnvLookup& env,
                                                ReferenceLog* log) {
  toml::table document = parse_toml_file(file);
  const toml::node* node = document.get("database");
  if (node == nullptr) return std::nullopt;
  const toml::table* table = node->as_table();
  if (table == nullptr) fail_at(file, node->source(), "'database' must be a table ([database])");
  check_keys(file, *table);
  if (table->empty()) return std::nullopt;
  if (const toml::node* url = table->get("url")) {
    for (const auto& [key, value] : *table) {
      if (key.str() != "url" && !is_tls_key(key.str()) && !is_role_key(key.str())) {
        fail_at(file, url->source(),
                "[database] has both url and components (user, host, ...): give one or the other "
                "(only the ssl* settings may accompany url)");
      }
    }
    DatabaseUrl parsed = url_setting(file, *url, env, log);
    DatabaseUrl::Params tls = component_params(file, *table, env, log, true);
    if (tls.empty()) return parsed;
    if (parsed.dialect() != Dialect::postgresql) {
      fail_at(file, url->source(), "the ssl* settings apply to PostgreSQL, and url is not one");
    }
    for (auto& [keyword, value] : tls) parsed.set_param(keyword, std::move(value));
    return parsed;
  }
  // Only role settings: the file names no database (and its role settings do not apply).
  if (std::all_of(table->begin(), table->end(),
                  [](const auto& entry) { return is_role_key(entry.first.str()); })) {
    return std::nullopt;
  }
  DatabaseUrl::Params params = component_params(file, *table, env, log, false);
  try {
    return DatabaseUrl::postgresql(std::move(params));
  } catch (const ConfigError& e) {
    fail_postgresql(file, *table, e);
  }
}

}  // namespace retort::config

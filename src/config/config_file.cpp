#include "config/config_file.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/url_parsing.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

namespace fs = std::filesystem;

struct Component {
  std::string_view key;      // in [database]
  std::string_view keyword;  // libpq's name for it
};
constexpr Component kComponents[] = {{"user", "user"},   {"password", "password"},
                                     {"host", "host"},   {"port", "port"},
                                     {"name", "dbname"}, {"sslmode", "sslmode"}};
constexpr std::string_view kKnownKeys = "url, or user, password, host, port, name, sslmode";

// Every error points at the place in the file, as compilers do, so editors can jump there.
[[noreturn]] void fail(const fs::path& file, const toml::source_region& where,
                       std::string_view message) {
  throw ConfigError(
      fmt::format("{}:{}:{}: {}", file.string(), where.begin.line, where.begin.column, message));
}

toml::table parse_file(const fs::path& file) {
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    fail(file, e.source(), e.description());
  }
}

bool is_component(std::string_view key) {
  for (const auto& c : kComponents) {
    if (c.key == key) return true;
  }
  return false;
}

void check_keys(const fs::path& file, const toml::table& table) {
  for (const auto& [key, node] : table) {
    if (key.str() == "url" || is_component(key.str())) continue;
    fail(file, key.source(),
         fmt::format("unknown key '{}' in [database] (expected {})", key.str(), kKnownKeys));
  }
}

DatabaseUrl url_setting(const fs::path& file, const toml::node& node, const EnvLookup& env) {
  const auto* text = node.as_string();
  if (text == nullptr) fail(file, node.source(), "database.url must be a string");
  std::string value;
  try {
    value = resolve_reference(text->get(), env, "database.url");
  } catch (const ConfigError& e) {
    fail(file, node.source(), e.what());
  }
  // Say where the text came from when it was not written in the file itself.
  std::string via = value == text->get() ? "" : " (" + text->get() + ")";
  try {
    return parse_database_url(value);
  } catch (const ConfigError& e) {
    fail(file, node.source(), fmt::format("database.url{}: {}", via, e.what()));
  }
}

std::string port_setting(const fs::path& file, const toml::node& node) {
  if (const auto* number = node.as_integer()) {
    std::int64_t port = number->get();
    if (port < 1 || port > 65535)
      fail(file, node.source(), fmt::format("bad port '{}' in [database]", port));
    return std::to_string(port);
  }
  if (const auto* text = node.as_string()) {
    if (auto bad = first_bad_port(text->get())) {
      fail(file, node.source(), fmt::format("bad port '{}' in [database]", *bad));
    }
    return text->get();
  }
  fail(file, node.source(), "database.port must be a number or a string");
}

std::string component_setting(const fs::path& file, const Component& component,
                              const toml::node& node, const EnvLookup& env) {
  if (component.key == "port") return port_setting(file, node);
  const auto* text = node.as_string();
  if (text == nullptr) {
    fail(file, node.source(), fmt::format("database.{} must be a string", component.key));
  }
  // A password in a file that gets committed is the thing to avoid; env: keeps it out.
  if (component.key != "password") return text->get();
  try {
    return resolve_reference(text->get(), env, "database.password");
  } catch (const ConfigError& e) {
    fail(file, node.source(), e.what());
  }
}

DatabaseUrl components(const fs::path& file, const toml::table& table, const EnvLookup& env) {
  DatabaseUrl::Params params;
  for (const auto& component : kComponents) {
    const toml::node* node = table.get(component.key);
    if (node == nullptr) continue;
    std::string value = component_setting(file, component, *node, env);
    if (!value.empty()) params.emplace_back(component.keyword, std::move(value));
  }
  return DatabaseUrl::postgresql(std::move(params));
}

}  // namespace

std::optional<DatabaseUrl> read_database_config(const fs::path& file, const EnvLookup& env) {
  toml::table document = parse_file(file);
  const toml::node* node = document.get("database");
  if (node == nullptr) return std::nullopt;
  const toml::table* table = node->as_table();
  if (table == nullptr) fail(file, node->source(), "'database' must be a table ([database])");
  check_keys(file, *table);
  if (table->empty()) return std::nullopt;
  if (const toml::node* url = table->get("url")) {
    if (table->size() > 1) {
      fail(file, url->source(),
           "[database] has both url and components (user, host, ...): give one or the other");
    }
    return url_setting(file, *url, env);
  }
  return components(file, *table, env);
}

}  // namespace retort::config

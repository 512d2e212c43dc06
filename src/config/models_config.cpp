#include "config/models_config.hpp"

#include <string_view>

#include <fmt/format.h>

#include "config/toml_file.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKnownKeys = "schema, command, dev_url";

std::string where(const fs::path& file, const toml::source_region& region) {
  return fmt::format("{}:{}:{}", file.string(), region.begin.line, region.begin.column);
}

std::string non_empty_string(const fs::path& file, const toml::node& node, std::string_view key) {
  const auto* text = node.as_string();
  if (text == nullptr) fail_at(file, node.source(), fmt::format("models.{} must be a string", key));
  if (text->get().find_first_not_of(" \t") == std::string::npos) {
    fail_at(file, node.source(), fmt::format("models.{} must not be empty", key));
  }
  return text->get();
}

DatabaseUrl dev_url_setting(const fs::path& file, const toml::node& node, const EnvLookup& env,
                            ReferenceLog* log) {
  const std::string text = non_empty_string(file, node, "dev_url");
  std::string value;
  try {
    value = resolve_reference(text, env, "models.dev_url", log);
  } catch (const ConfigError& e) {
    fail_at(file, node.source(), e.what());
  }
  const std::string via = is_reference(text) ? " (" + text + ")" : "";
  DatabaseUrl url = [&] {
    try {
      return parse_database_url(value);
    } catch (const ConfigError& e) {
      fail_at(file, node.source(), fmt::format("models.dev_url{}: {}", via, e.what()));
    }
  }();
  if (url.dialect() != Dialect::postgresql) {
    fail_at(file, node.source(),
            fmt::format("models.dev_url{} must be a PostgreSQL URL (a development server where "
                        "retort creates and drops a scratch database); SQLite targets need none: "
                        "their scratch database is in memory",
                        via));
  }
  return url;
}

}  // namespace

std::optional<ModelsConfig> read_models_config(const fs::path& file, const EnvLookup& env,
                                               ReferenceLog* log) {
  const toml::table document = parse_toml_file(file);
  const toml::node* node = document.get("models");
  if (node == nullptr) return std::nullopt;
  const toml::table* table = node->as_table();
  if (table == nullptr) fail_at(file, node->source(), "'models' must be a table ([models])");
  ModelsConfig out;
  out.file = file;
  out.directory = file.parent_path();
  for (const auto& [key_node, value] : *table) {
    const std::string_view key = key_node.str();
    if (key == "schema") {
      const fs::path path = non_empty_string(file, value, key);
      out.schema = path.is_absolute() ? path : out.directory / path;
    } else if (key == "command") {
      out.command = non_empty_string(file, value, key);
    } else if (key == "dev_url") {
      out.dev_url = dev_url_setting(file, value, env, log);
      out.dev_url_origin = where(file, value.source()) + ": models.dev_url";
    } else {
      fail_at(file, key_node.source(),
              fmt::format("unknown key '{}' in [models] (expected {})", key, kKnownKeys));
    }
  }
  if (!out.schema && !out.command) {
    fail_at(file, node->source(),
            "[models] declares no models: set schema = \"schema.sql\" (a file or a folder of .sql "
            "files) or command = \"...\" (a program that prints the schema's SQL)");
  }
  return out;
}

}  // namespace retort::config

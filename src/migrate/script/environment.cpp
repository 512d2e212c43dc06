#include "migrate/script/environment.hpp"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "config/duration.hpp"
#include "config/toml_file.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"

namespace retort::migrate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKnownKeys =
    "script_location, version_locations, version_table, history_table, progress_table, "
    "transaction_per_migration, lock_timeout, statement_timeout, lock_wait_timeout, "
    "advisory_lock_id, file_template, truncate_slug_length, revision_template, verify_checksums, "
    "header_cache";

std::string string_value(const fs::path& file, const toml::node& node, std::string_view key) {
  const auto* text = node.as_string();
  if (text == nullptr)
    config::fail_at(file, node.source(), fmt::format("migrations.{} must be a string", key));
  return text->get();
}

std::string table_name(const fs::path& file, const toml::node& node, std::string_view key) {
  std::string name = string_value(file, node, key);
  if (name.empty() || name.size() > 63 || name.find('\0') != std::string::npos) {
    config::fail_at(file, node.source(),
                    fmt::format("migrations.{} must be a table name of 1 to 63 bytes", key));
  }
  return name;
}

bool bool_value(const fs::path& file, const toml::node& node, std::string_view key) {
  const auto* value = node.as_boolean();
  if (value == nullptr)
    config::fail_at(file, node.source(), fmt::format("migrations.{} must be true or false", key));
  return value->get();
}

std::chrono::milliseconds duration_value(const fs::path& file, const toml::node& node,
                                         std::string_view key) {
  if (const auto* number = node.as_integer()) {
    if (number->get() < 0)
      config::fail_at(file, node.source(), fmt::format("migrations.{} must not be negative", key));
    return std::chrono::milliseconds(number->get());
  }
  if (const auto* text = node.as_string()) {
    if (auto parsed = config::parse_duration(text->get(), config::BareNumber::milliseconds))
      return *parsed;
    config::fail_at(
        file, node.source(),
        fmt::format("migrations.{}: bad duration '{}' (expected a whole number with a unit: ms, "
                    "s, min, h or d, e.g. \"500ms\", \"5s\", \"2min\", \"0\")",
                    key, text->get()));
  }
  config::fail_at(file, node.source(),
                  fmt::format("migrations.{} must be a duration string or milliseconds", key));
}

fs::path path_value(const fs::path& file, const toml::node& node, std::string_view key) {
  fs::path p = string_value(file, node, key);
  if (p.empty())
    config::fail_at(file, node.source(), fmt::format("migrations.{} must not be empty", key));
  return p.is_absolute() ? p : file.parent_path() / p;
}

// The running executable's directory, or empty.
fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// The source tree this file was compiled from: CMake names it, so moving this file within the
// tree cannot break the lookup (counting parent folders of __FILE__ did, once).
fs::path source_tree() {
#ifdef RETORT_SOURCE_ROOT
  return fs::path(RETORT_SOURCE_ROOT);
#else
  return {};
#endif
}

fs::path& shared_dir_override() {
  static fs::path dir;
  return dir;
}

fs::path find_shipped(std::string_view what, std::string_view probe) {
  std::vector<fs::path> candidates;
  if (!shared_dir_override().empty()) candidates.push_back(shared_dir_override() / what);
  if (fs::path exe = executable_dir(); !exe.empty()) {
    candidates.push_back(exe.parent_path() / "share" / "retort" / what);
  }
  if (fs::path src = source_tree(); !src.empty()) candidates.push_back(src / what);
#ifdef RETORT_INSTALL_DATADIR
  // Last: a stale installation must not shadow the tree a development build runs from.
  candidates.push_back(fs::path(RETORT_INSTALL_DATADIR) / what);
#endif
  std::error_code ec;
  for (const fs::path& c : candidates) {
    if (fs::exists(c / probe, ec)) return c;
  }
  std::string tried;
  for (const fs::path& c : candidates) tried += (tried.empty() ? "" : ", ") + c.string();
  throw ConfigError(
      fmt::format("retort's {} directory was not found (looked in: {})", what, tried));
}

}  // namespace

void set_shared_dir(const fs::path& dir) {
  shared_dir_override() = dir;
}

std::vector<fs::path> Settings::versions_dirs() const {
  if (!version_locations.empty()) return version_locations;
  return {script_location / "versions"};
}

std::optional<Settings> read_migrations_config(const fs::path& file) {
  const toml::table document = config::parse_toml_file(file);
  const toml::node* node = document.get("migrations");
  if (node == nullptr) return std::nullopt;
  const toml::table* table = node->as_table();
  if (table == nullptr)
    config::fail_at(file, node->source(), "'migrations' must be a table ([migrations])");
  Settings s;
  s.origin = file.string();
  bool located = false;
  for (const auto& [key_node, value] : *table) {
    const std::string_view key = key_node.str();
    if (key == "script_location") {
      s.script_location = path_value(file, value, key);
      located = true;
    } else if (key == "version_locations") {
      const toml::array* list = value.as_array();
      if (list == nullptr)
        config::fail_at(file, value.source(),
                        "migrations.version_locations must be an array of paths");
      for (const toml::node& item : *list)
        s.version_locations.push_back(path_value(file, item, key));
    } else if (key == "version_table") {
      s.version_table = table_name(file, value, key);
    } else if (key == "history_table") {
      s.history_table = table_name(file, value, key);
    } else if (key == "progress_table") {
      s.progress_table = table_name(file, value, key);
    } else if (key == "transaction_per_migration") {
      s.transaction_per_migration = bool_value(file, value, key);
    } else if (key == "header_cache") {
      s.header_cache = bool_value(file, value, key);
    } else if (key == "lock_timeout") {
      s.lock_timeout = duration_value(file, value, key);
    } else if (key == "statement_timeout") {
      s.statement_timeout = duration_value(file, value, key);
    } else if (key == "lock_wait_timeout") {
      s.lock_wait_timeout = duration_value(file, value, key);
    } else if (key == "advisory_lock_id") {
      const auto* number = value.as_integer();
      if (number == nullptr)
        config::fail_at(file, value.source(), "migrations.advisory_lock_id must be an integer");
      s.advisory_lock_id = number->get();
    } else if (key == "file_template") {
      s.file_template = string_value(file, value, key);
      if (s.file_template.find("%(rev)s") == std::string::npos) {
        config::fail_at(file, value.source(), "migrations.file_template must contain %(rev)s");
      }
    } else if (key == "truncate_slug_length") {
      const auto* number = value.as_integer();
      if (number == nullptr || number->get() < 1 || number->get() > 255) {
        config::fail_at(file, value.source(),
                        "migrations.truncate_slug_length must be an integer from 1 to 255");
      }
      s.truncate_slug_length = static_cast<int>(number->get());
    } else if (key == "revision_template") {
      s.revision_template = string_value(file, value, key);
    } else if (key == "verify_checksums") {
      s.verify_checksums = bool_value(file, value, key);
    } else {
      config::fail_at(
          file, key_node.source(),
          fmt::format("unknown key '{}' in [migrations] (expected {})", key, kKnownKeys));
    }
  }
  if (!located) {
    if (!s.version_locations.empty()) {
      config::fail_at(file, node->source(),
                      "[migrations] sets version_locations but not script_location");
    }
    return std::nullopt;
  }
  const std::array<const std::string*, 3> tables = {&s.version_table, &s.history_table,
                                                    &s.progress_table};
  for (std::size_t i = 0; i < tables.size(); ++i) {
    for (std::size_t j = i + 1; j < tables.size(); ++j) {
      if (*tables[i] == *tables[j]) {
        config::fail_at(file, node->source(),
                        fmt::format("[migrations] names the table '{}' twice", *tables[i]));
      }
    }
  }
  return s;
}

Settings load_settings(const std::optional<fs::path>& config_file) {
  SettingsInputs inputs;
  if (config_file) inputs.config_path = *config_file;
  if (std::optional<fs::path> file = find_config_file(inputs)) {
    if (std::optional<Settings> s = read_migrations_config(*file)) return std::move(*s);
  }
  return builtin_settings();
}

Settings builtin_settings() {
  Settings s;
  s.script_location = builtin_migrations_dir();
  s.origin = "built-in (" + s.script_location.string() + ")";
  return s;
}

fs::path builtin_migrations_dir() {
  return find_shipped("migrations", "versions");
}

fs::path templates_dir() {
  return find_shipped("templates", "generic");
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string sql_identifier(std::string_view name) {
  if (is_plain_identifier(name)) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace retort::migrate

// Which database retort uses: the documented order of sources, highest first.
#include <cstdlib>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "config/config_file.hpp"
#include "config/reference.hpp"
#include "config/roles.hpp"
#include "config/secret_cache.hpp"
#include "config/url_parsing.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"

namespace retort {
namespace {

namespace fs = std::filesystem;

config::EnvLookup environment(const SettingsInputs& inputs) {
  return [getenv = inputs.getenv](const char* name) -> std::optional<std::string> {
    std::optional<std::string> value;
    if (getenv) {
      value = getenv(name);
    } else if (const char* raw = std::getenv(name)) {
      value = raw;
    }
    if (value && value->empty()) return std::nullopt;
    return value;
  };
}

// Relative paths are relative to the working directory the inputs name; an empty base keeps
// them relative to the process's own, which reads better in messages ("retort.toml").
fs::path base_directory(const SettingsInputs& inputs) {
  return inputs.working_directory.value_or(fs::path());
}

fs::path require_file(const fs::path& path, std::string_view what) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw ConfigError(fmt::format("{} '{}' not found", what, path.string()));
  if (fs::is_directory(status)) {
    throw ConfigError(fmt::format("{} '{}' is a directory", what, path.string()));
  }
  return path;
}

// The message names the source, since the same URL text could have come from several. The
// text may be a reference (DATABASE_URL=vault:secret/data/app/db#url); the origin then says so.
ResolvedUrl parse_from(std::string_view text, UrlSource source, std::string origin,
                       const config::EnvLookup& env) {
  const std::string name(url_source_name(source));
  config::ReferenceLog references;
  const std::string url = config::resolve_reference(text, env, name, &references);
  if (!references.empty()) origin += " (" + std::string(text) + ")";
  try {
    return {parse_database_url(url), source, std::move(origin), std::move(references)};
  } catch (const ConfigError& e) {
    // "file:app.db" meant as a SQLite URI reads the database file as if it held a URL.
    const std::string hint =
        text.starts_with("file:")
            ? fmt::format(" (read from {}; a SQLite database is written sqlite:///{})", text,
                          text.substr(5))
            : "";
    throw ConfigError(fmt::format("{}: {}{}", name, e.what(), hint));
  }
}

struct Component {
  const char* variable;
  const char* keyword;
};
constexpr Component kComponents[] = {{"DB_USER", "user"},
                                     {"DB_PASSWORD", "password"},
                                     {"DB_HOST", "host"},
                                     {"DB_PORT", "port"},
                                     {"DB_NAME", "dbname"},
                                     {"DB_SSLMODE", "sslmode"},
                                     {"DB_SSLROOTCERT", "sslrootcert"},
                                     {"DB_SSLCERT", "sslcert"},
                                     {"DB_SSLKEY", "sslkey"},
                                     {"DB_SSLPASSWORD", "sslpassword"}};

// The seed's DB_* variables. DB_PASSWORD, DB_PORT or DB_SSLMODE alone do not count: they are
// often exported for other tools, and would turn "no settings" into a half-specified server.
std::optional<ResolvedUrl> from_components(const config::EnvLookup& env) {
  if (!env("DB_HOST") && !env("DB_NAME") && !env("DB_USER")) return std::nullopt;
  DatabaseUrl::Params params;
  std::string used;
  config::ReferenceLog references;
  for (const auto& component : kComponents) {
    std::optional<std::string> raw = env(component.variable);
    if (!raw) continue;
    std::string value = config::resolve_reference(*raw, env, component.variable, &references);
    if (std::string_view(component.keyword) == "port") {
      if (auto bad = config::first_bad_port(value)) {
        throw ConfigError(
            fmt::format("DB_PORT: bad port '{}' (expected a number from 1 to 65535)", *bad));
      }
    }
    params.emplace_back(component.keyword, std::move(value));
    used += (used.empty() ? "" : ", ") + std::string(component.variable);
  }
  try {
    return ResolvedUrl{DatabaseUrl::postgresql(std::move(params)), UrlSource::components,
                       "environment variables " + used, std::move(references)};
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("DB_* variables: {}", e.what()));
  }
}

ResolvedUrl default_database(const SettingsInputs& inputs) {
  std::string path = (base_directory(inputs) / "retort.db").string();
  return {DatabaseUrl::sqlite(std::move(path)),
          UrlSource::default_sqlite,
          "default: SQLite file retort.db in the working directory",
          {}};
}

}  // namespace

std::string_view url_source_name(UrlSource source) noexcept {
  switch (source) {
    case UrlSource::argument:
      return "argument";
    case UrlSource::retort_database_url:
      return "RETORT_DATABASE_URL";
    case UrlSource::database_url:
      return "DATABASE_URL";
    case UrlSource::components:
      return "DB_* variables";
    case UrlSource::config_file:
      return "config file";
    case UrlSource::default_sqlite:
      return "default";
  }
  return "unknown";
}

std::optional<fs::path> find_config_file(const SettingsInputs& inputs) {
  fs::path base = base_directory(inputs);
  if (inputs.config_path) return require_file(base / *inputs.config_path, "config file");
  if (auto named = environment(inputs)("RETORT_CONFIG")) {
    return require_file(base / *named, "RETORT_CONFIG: config file");
  }
  fs::path local = base / "retort.toml";
  std::error_code ec;
  if (fs::is_regular_file(local, ec)) return local;
  return std::nullopt;
}

namespace {

// The database URL alone, from the first source that names one; `file` is set to the config
// file when that was the source.
ResolvedUrl resolve_main_url(const SettingsInputs& inputs, const config::EnvLookup& env,
                             std::optional<fs::path>& file) {
  if (inputs.explicit_url) {
    return parse_from(*inputs.explicit_url, UrlSource::argument, "argument --url", env);
  }
  if (auto text = env("RETORT_DATABASE_URL")) {
    return parse_from(*text, UrlSource::retort_database_url,
                      "environment variable RETORT_DATABASE_URL", env);
  }
  if (auto text = env("DATABASE_URL")) {
    return parse_from(*text, UrlSource::database_url, "environment variable DATABASE_URL", env);
  }
  if (auto resolved = from_components(env)) return std::move(*resolved);
  if (auto found = find_config_file(inputs)) {
    config::ReferenceLog references;
    if (auto url = config::read_database_config(*found, env, &references)) {
      file = found;
      return {std::move(*url), UrlSource::config_file, "config file " + found->string(),
              std::move(references)};
    }
  }
  return default_database(inputs);
}

}  // namespace

ResolvedUrl resolve_database_url(const SettingsInputs& inputs) {
  config::EnvLookup env = environment(inputs);
  std::optional<fs::path> file;
  ResolvedUrl resolved = resolve_main_url(inputs, env, file);
  config::resolve_roles(resolved, env, file);
  return resolved;
}

std::string resolve_secret(std::string_view text, const SettingsInputs& inputs) {
  std::string value = config::resolve_reference(text, environment(inputs), "secret");
  redact::register_secret(value);
  return value;
}

void clear_secret_cache() {
  config::secret_cache().clear();
}

}  // namespace retort

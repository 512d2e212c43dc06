#include "config/reference.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "config/duration.hpp"
#include "config/secret_cache.hpp"
#include "config/vault_client.hpp"
#include "core/log.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEnv = "env:";
constexpr std::string_view kFile = "file:";
constexpr std::string_view kVault = "vault:";
constexpr std::string_view kLiteral = "literal:";
constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;
constexpr std::chrono::minutes kDefaultCacheTtl{5};

std::string resolve_env(std::string_view name, const EnvLookup& env, std::string_view setting) {
  if (name.empty()) {
    throw ConfigError(fmt::format("{} is 'env:' without a variable name", setting));
  }
  std::optional<std::string> resolved = env(std::string(name).c_str());
  if (!resolved) {
    throw ConfigError(
        fmt::format("{} refers to environment variable {}, which is not set", setting, name));
  }
  return *resolved;
}

std::chrono::milliseconds cache_ttl(const EnvLookup& env) {
  auto text = env("RETORT_SECRET_CACHE_TTL");
  if (!text) return kDefaultCacheTtl;
  return require_duration(*text, BareNumber::seconds, "RETORT_SECRET_CACHE_TTL");
}

// "secret/data/app/db#password" -> the field's value, from the cache when it is fresh.
std::string resolve_vault(std::string_view spec, const EnvLookup& env, std::string_view setting) {
  const std::size_t hash = spec.rfind('#');
  if (hash == std::string_view::npos || hash + 1 == spec.size() || hash == 0) {
    throw ConfigError(fmt::format(
        "{} is 'vault:{}': write vault:PATH#FIELD, e.g. vault:secret/data/app/db#password", setting,
        spec));
  }
  const std::string path(spec.substr(0, hash));
  const std::string field(spec.substr(hash + 1));
  const std::string where = fmt::format("{} (vault:{})", setting, spec);
  try {
    VaultSettings settings = VaultSettings::from_environment(env);
    if (settings.address.empty()) {
      throw ConfigError("VAULT_ADDR is not set (e.g. VAULT_ADDR=https://vault.example.com:8200)");
    }
    const std::string key =
        fmt::format("kv|{}|{}|{}", settings.address, settings.namespace_name, path);
    std::optional<SecretCache::Fields> fields = secret_cache().get(key);
    std::string source = "cache";
    if (!fields) {
      VaultClient client(std::move(settings));
      VaultSecret secret = client.read(path);
      std::chrono::milliseconds ttl = cache_ttl(env);
      if (secret.lease.count() > 0) ttl = std::min<std::chrono::milliseconds>(ttl, secret.lease);
      fields = secret.fields;
      secret_cache().put(key, std::move(secret.fields), ttl);
      source = client.describe();
    }
    auto it = fields->find(field);
    if (it == fields->end()) {
      std::string names;
      for (const auto& [name, value] : *fields) names += (names.empty() ? "" : ", ") + name;
      throw ConfigError(fmt::format("the secret at {} has no field '{}' (its fields: {})", path,
                                    field, names.empty() ? "none" : names));
    }
    log::debug("secrets: {} resolved from {}", where, source);
    return it->second;
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", where, e.what()));
  }
}

}  // namespace

bool is_reference(std::string_view value) noexcept {
  return value.starts_with(kEnv) || value.starts_with(kFile) || value.starts_with(kVault) ||
         value.starts_with(kLiteral);
}

std::string read_secret_file(const std::string& path, std::string_view setting) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    throw ConfigError(fmt::format("{} refers to file {}, which does not exist", setting, path));
  }
  if (fs::is_directory(status)) {
    throw ConfigError(fmt::format("{} refers to {}, which is a directory", setting, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("{} refers to file {}, which cannot be read: {}", setting, path,
                                  std::strerror(errno)));
  }
  std::string content(kMaxSecretFileBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxSecretFileBytes) {
    throw ConfigError(fmt::format("{} refers to file {}, which is larger than {} bytes", setting,
                                  path, kMaxSecretFileBytes));
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.empty()) {
    throw ConfigError(fmt::format("{} refers to file {}, which is empty", setting, path));
  }
  return content;
}

std::string resolve_reference(std::string_view value, const EnvLookup& env,
                              std::string_view setting, ReferenceLog* log, ReferenceKinds kinds) {
  if (!is_reference(value)) return std::string(value);
  if (value.starts_with(kLiteral)) return std::string(value.substr(kLiteral.size()));
  std::string resolved;
  if (value.starts_with(kEnv)) {
    resolved = resolve_env(value.substr(kEnv.size()), env, setting);
  } else if (value.starts_with(kFile)) {
    const std::string_view path = value.substr(kFile.size());
    if (path.empty()) throw ConfigError(fmt::format("{} is 'file:' without a path", setting));
    resolved = read_secret_file(std::string(path), setting);
  } else if (kinds == ReferenceKinds::local) {
    throw ConfigError(fmt::format("{} cannot refer to Vault ({})", setting, value));
  } else {
    resolved = resolve_vault(value.substr(kVault.size()), env, setting);
  }
  if (log != nullptr) log->push_back(fmt::format("{} <- {}", setting, value));
  return resolved;
}

}  // namespace retort::config

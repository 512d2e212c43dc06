#include "config/vault_client.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "config/duration.hpp"
#include "config/http.hpp"
#include "config/percent.hpp"
#include "config/secret_cache.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

using Json = nlohmann::json;

std::string env_or_empty(const EnvLookup& env, const char* name) {
  return env(name).value_or(std::string());
}

std::string trim_trailing_slashes(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

// Vault answers errors as {"errors": ["permission denied"]}; an empty list (404 of KV) is
// normal. Returns the messages joined, or "" when there are none or the body is not JSON.
std::string error_text(const std::string& body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return "";
  auto it = parsed.find("errors");
  if (it == parsed.end() || !it->is_array()) return "";
  std::string out;
  for (const Json& e : *it) {
    if (!e.is_string()) continue;
    out += (out.empty() ? "" : "; ") + e.get<std::string>();
  }
  if (out.size() > 500) out = out.substr(0, 500) + "...";
  return redact::scrub(out);
}

std::string field_text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// "secret/data/app db" -> "secret/data/app%20db"; the query (?version=2) is kept as written.
std::string encode_path(std::string_view path) {
  const std::size_t query = path.find('?');
  std::string out = percent_encode(path.substr(0, query), "/");
  if (query != std::string_view::npos) out += path.substr(query);
  return out;
}

Json parse_json(const std::string& body, std::string_view what, const std::string& where) {
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw ConfigError(
        fmt::format("{}: {} answered with something that is not a JSON object", where, what));
  }
  return parsed;
}

// The Vault CLI writes `vault kv get secret/app/db`; the API path of a KV version 2 mount has
// data/ after the mount: the commonest mistake, worth a hint on 403 and 404.
std::string kv2_hint(std::string_view path) {
  if (path.find("/data/") != std::string_view::npos) return "";
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos) return "";
  return fmt::format(" (if {} is a KV version 2 mount, the API path includes data/: {}/data/{})",
                     path.substr(0, slash), path.substr(0, slash), path.substr(slash + 1));
}

bool is_loopback(std::string_view address) {
  return address.find("://127.") != std::string_view::npos ||
         address.find("://localhost") != std::string_view::npos ||
         address.find("://[::1]") != std::string_view::npos;
}

}  // namespace

VaultSettings VaultSettings::from_environment(const EnvLookup& env) {
  VaultSettings s;
  s.address = trim_trailing_slashes(env_or_empty(env, "VAULT_ADDR"));
  s.namespace_name = env_or_empty(env, "VAULT_NAMESPACE");
  s.ca_cert = env_or_empty(env, "VAULT_CACERT");
  s.ca_path = env_or_empty(env, "VAULT_CAPATH");
  if (auto timeout = env("VAULT_CLIENT_TIMEOUT")) {
    auto parsed = parse_duration(*timeout, BareNumber::seconds);
    if (!parsed || parsed->count() <= 0) {
      throw ConfigError(
          fmt::format("VAULT_CLIENT_TIMEOUT: bad duration '{}' (expected more than zero, e.g. 10s, "
                      "500ms, 2min)",
                      *timeout));
    }
    s.timeout = *parsed;
  }
  s.token = env_or_empty(env, "VAULT_TOKEN");
  redact::register_secret(s.token);
  s.role_id = env_or_empty(env, "VAULT_ROLE_ID");
  if (auto secret_id = env("VAULT_SECRET_ID")) {
    s.secret_id =
        resolve_reference(*secret_id, env, "VAULT_SECRET_ID", nullptr, ReferenceKinds::local);
    redact::register_secret(s.secret_id);
  }
  if (auto mount = env("VAULT_APPROLE_MOUNT")) s.approle_mount = trim_trailing_slashes(*mount);
  s.token_file = env_or_empty(env, "VAULT_TOKEN_FILE");
  if (s.token_file.empty()) {
    // The file `vault login` writes, as Vault's CLI reads it.
    if (auto home = env("HOME")) {
      std::error_code ec;
      const std::string default_file = *home + "/.vault-token";
      if (std::filesystem::is_regular_file(default_file, ec)) s.token_file = default_file;
    }
  }
  return s;
}

VaultClient::VaultClient(VaultSettings settings) : settings_(std::move(settings)) {
  if (settings_.address.empty()) {
    throw ConfigError("VAULT_ADDR is not set (e.g. VAULT_ADDR=https://vault.example.com:8200)");
  }
  if (!settings_.address.starts_with("https://") && !settings_.address.starts_with("http://")) {
    throw ConfigError(
        fmt::format("VAULT_ADDR '{}' must start with https:// (or http://)", settings_.address));
  }
  if (settings_.address.starts_with("http://") && !is_loopback(settings_.address)) {
    log::warn(
        "secrets: VAULT_ADDR {} is plain HTTP: the Vault token crosses the network "
        "unencrypted; use https://",
        settings_.address);
  }
}

std::string VaultClient::describe() const {
  if (settings_.namespace_name.empty()) return "Vault at " + settings_.address;
  return fmt::format("Vault at {} (namespace {})", settings_.address, settings_.namespace_name);
}

VaultClient::Reply VaultClient::send(std::string_view method, std::string_view path,
                                     const std::string& body, bool with_token) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = settings_.address + "/v1/" + encode_path(path);
  request.body = body;
  request.ca_file = settings_.ca_cert;
  request.ca_path = settings_.ca_path;
  request.timeout = settings_.timeout;
  request.headers.emplace_back("X-Vault-Request: true");
  if (!settings_.namespace_name.empty()) {
    request.headers.push_back("X-Vault-Namespace: " + settings_.namespace_name);
  }
  if (with_token) request.headers.push_back("X-Vault-Token: " + token());
  try {
    HttpResponse response = http_request(request);
    return {response.status, std::move(response.body)};
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", describe(), e.what()));
  }
}

void VaultClient::fail(std::string_view what, const Reply& reply) {
  const std::string errors = error_text(reply.body);
  throw ConfigError(fmt::format("{}: {} failed: HTTP {}{}", describe(), what, reply.status,
                                errors.empty() ? "" : " (" + errors + ")"));
}

std::string VaultClient::token_cache_key() const {
  return fmt::format("token|{}|{}|{}|{}", settings_.address, settings_.namespace_name,
                     settings_.approle_mount, settings_.role_id);
}

std::string VaultClient::login_approle() {
  const std::string key = token_cache_key();
  if (auto cached = secret_cache().get(key)) return cached->at("token");
  const std::string path = "auth/" + settings_.approle_mount + "/login";
  Json payload = {{"role_id", settings_.role_id}};
  if (!settings_.secret_id.empty()) payload["secret_id"] = settings_.secret_id;
  log::info("secrets: AppRole login at {} ({})", path, describe());
  const Reply reply = send("POST", path, payload.dump(), false);
  if (reply.status != 200) fail(fmt::format("AppRole login at {}", path), reply);
  const Json answer = parse_json(reply.body, "AppRole login at " + path, describe());
  const Json auth = answer.value("auth", Json());
  if (!auth.is_object() || !auth.contains("client_token") || !auth["client_token"].is_string()) {
    throw ConfigError(
        fmt::format("{}: AppRole login at {} returned no auth.client_token", describe(), path));
  }
  std::string client_token = auth["client_token"].get<std::string>();
  redact::register_secret(client_token);
  // Reuse the token until shortly before its lease ends (0: no expiry; keep it an hour).
  const auto lease = std::chrono::seconds(auth.value("lease_duration", 0));
  const auto keep = lease.count() > 0 ? std::chrono::milliseconds(lease) * 9 / 10
                                      : std::chrono::milliseconds(std::chrono::hours(1));
  secret_cache().put(key, {{"token", client_token}}, keep);
  return client_token;
}

const std::string& VaultClient::token() {
  if (!token_.empty()) return token_;
  if (!settings_.token.empty()) {
    token_ = settings_.token;
  } else if (!settings_.role_id.empty()) {
    token_ = login_approle();
  } else if (!settings_.token_file.empty()) {
    token_ = read_secret_file(settings_.token_file, "VAULT_TOKEN_FILE");
    redact::register_secret(token_);
  } else {
    throw ConfigError(
        fmt::format("{}: no Vault token: set VAULT_TOKEN, VAULT_TOKEN_FILE, or VAULT_ROLE_ID and "
                    "VAULT_SECRET_ID (AppRole login)",
                    describe()));
  }
  return token_;
}

VaultTokenInfo VaultClient::lookup_self() {
  const Reply reply = send("GET", "auth/token/lookup-self", "", true);
  if (reply.status != 200) fail("token lookup (auth/token/lookup-self)", reply);
  const Json answer = parse_json(reply.body, "auth/token/lookup-self", describe());
  const Json data = answer.value("data", Json::object());
  VaultTokenInfo info;
  if (data.is_object()) {
    info.display_name = data.value("display_name", std::string());
    info.ttl = std::chrono::seconds(data.value("ttl", 0));
    if (auto p = data.find("policies"); p != data.end() && p->is_array()) {
      for (const Json& policy : *p) {
        if (policy.is_string()) info.policies.push_back(policy.get<std::string>());
      }
    }
  }
  return info;
}

// A 403 means either "this token is no good" or "this token may not read this path"; the two
// need different fixes, and lookup-self tells them apart.
void VaultClient::fail_forbidden(std::string_view path, const Reply& reply) {
  const std::string errors = error_text(reply.body);
  const std::string head = fmt::format("{}: reading {} failed: HTTP 403{}", describe(), path,
                                       errors.empty() ? "" : " (" + errors + ")");
  const std::string hint = kv2_hint(path);
  if (!settings_.role_id.empty() && settings_.token.empty()) {
    secret_cache().erase(token_cache_key());  // a revoked AppRole token: log in again next time
  }
  std::optional<VaultTokenInfo> info;
  try {
    info = lookup_self();
  } catch (const ConfigError&) {
    // Vault refused the lookup too: the token is the problem, said below.
  }
  if (info) {
    throw ConfigError(
        fmt::format("{}: the token is valid (policies: {}) but may not read this path{}", head,
                    info->policies.empty() ? "none" : join(info->policies), hint));
  }
  throw ConfigError(fmt::format(
      "{}: Vault refused the token itself (it is invalid, expired or revoked, or belongs to "
      "another namespace)",
      head));
}

VaultSecret VaultClient::read(std::string_view path) {
  log::info("secrets: reading {} from {}", path, describe());
  const Reply reply = send("GET", path, "", true);
  if (reply.status == 403) fail_forbidden(path, reply);
  if (reply.status == 404) {
    throw ConfigError(fmt::format("{}: reading {} failed: HTTP 404: no secret there{}", describe(),
                                  path, kv2_hint(path)));
  }
  if (reply.status != 200) fail(fmt::format("reading {}", path), reply);
  const Json answer = parse_json(reply.body, "reading " + std::string(path), describe());
  Json data = answer.value("data", Json());
  // KV version 2 nests the fields in data.data next to data.metadata.
  if (data.is_object() && data.contains("metadata") && data.contains("data")) data = data["data"];
  if (!data.is_object()) {
    throw ConfigError(
        fmt::format("{}: {} holds no data (deleted or destroyed version?)", describe(), path));
  }
  VaultSecret secret;
  for (const auto& [name, value] : data.items()) secret.fields[name] = field_text(value);
  secret.lease = std::chrono::seconds(answer.value("lease_duration", 0));
  return secret;
}

}  // namespace retort::config

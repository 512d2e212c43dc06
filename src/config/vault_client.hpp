// HashiCorp Vault over its HTTP API: KV secrets (version 2, and version 1), token or AppRole
// authentication, namespaces, TLS with a CA bundle of its own.
//
// Configured from the variables Vault's own CLI reads (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
// VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_TIMEOUT) plus VAULT_TOKEN_FILE, VAULT_ROLE_ID,
// VAULT_SECRET_ID and VAULT_APPROLE_MOUNT. Errors name the Vault address, the path and the HTTP
// status, with Vault's own error text; tokens and secret IDs are registered with redact before
// the first request, so no message can carry them.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/reference.hpp"

namespace retort::config {

struct VaultSettings {
  std::string address;         // VAULT_ADDR, e.g. https://vault.example.com:8200
  std::string namespace_name;  // VAULT_NAMESPACE (Vault Enterprise / HCP); empty: none
  std::string ca_cert;         // VAULT_CACERT: PEM bundle that signed Vault's certificate
  std::string ca_path;         // VAULT_CAPATH: directory of CA certificates
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // VAULT_CLIENT_TIMEOUT
  // Authentication, the first that is set: a token; AppRole (role id, secret id); a token file.
  std::string token;                      // VAULT_TOKEN
  std::string role_id;                    // VAULT_ROLE_ID
  std::string secret_id;                  // VAULT_SECRET_ID (may be env:/file: reference)
  std::string approle_mount = "approle";  // VAULT_APPROLE_MOUNT
  std::string token_file;                 // VAULT_TOKEN_FILE, else ~/.vault-token if it exists

  // Reads the variables above. Throws ConfigError for a malformed VAULT_CLIENT_TIMEOUT or an
  // unreadable VAULT_SECRET_ID reference; a missing VAULT_ADDR leaves address empty.
  static VaultSettings from_environment(const EnvLookup& env);
};

// A secret's fields (values that are not strings in Vault come as their JSON text) and the
// lease Vault attached to it (zero: none, as for KV version 2).
struct VaultSecret {
  std::map<std::string, std::string> fields;
  std::chrono::seconds lease{0};
};

struct VaultTokenInfo {
  std::string display_name;
  std::vector<std::string> policies;
  std::chrono::seconds ttl{0};  // zero: does not expire
};

class VaultClient {
 public:
  // Throws ConfigError when settings.address is empty or not http(s)://.
  explicit VaultClient(VaultSettings settings);

  // GET /v1/PATH ("secret/data/app/db", optionally "?version=3"). KV version 2 answers carry
  // the fields in data.data, version 1 answers in data. Throws ConfigError naming the path and
  // the HTTP status (403: also whether Vault refused the token itself or only this path).
  VaultSecret read(std::string_view path);

  // GET /v1/auth/token/lookup-self: what Vault knows about the token in use.
  VaultTokenInfo lookup_self();

  // "Vault at https://vault:8200 (namespace team-a)", for messages.
  std::string describe() const;

 private:
  struct Reply {
    long status;
    std::string body;
  };
  Reply send(std::string_view method, std::string_view path, const std::string& body,
             bool with_token);
  const std::string& token();
  std::string login_approle();
  std::string token_cache_key() const;
  [[noreturn]] void fail(std::string_view what, const Reply& reply);
  [[noreturn]] void fail_forbidden(std::string_view path, const Reply& reply);

  VaultSettings settings_;
  std::string token_;
};

}  // namespace retort::config

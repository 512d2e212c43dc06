// VaultClient against the stand-in Vault server (tests/support/fake_vault.py) over HTTPS with a
// CA the test made: KV v2 and v1 reads, namespaces, token / token file / AppRole login, TLS
// verification, and errors that name the path and the HTTP status but never a token.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config/secret_cache.hpp"
#include "config/vault_client.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"
#include "support/fake_vault.hpp"
#include "support/process.hpp"
#include "support/test_db.hpp"

namespace retort::config {
namespace {

using nlohmann::json;

constexpr const char* kToken = "hvs.T0ken-0f-the-app-7c1e";
constexpr const char* kTeamToken = "hvs.T0ken-0f-team-a-91d0";
constexpr const char* kAppRoleToken = "hvs.T0ken-fr0m-approle-4b2a";
constexpr const char* kSecretId = "84896a0c-s3cret-id-aca8b7558780";
constexpr const char* kPassword = "db-Pa55-fr0m-vault";

json vault_config() {
  return {
      {"tokens",
       {{kToken,
         {{"paths", {"secret/data/app/*", "kv/app/*"}}, {"policies", {"default", "app-read"}}}},
        {kTeamToken, {{"paths", {"secret/data/*"}}, {"namespace", "team-a"}}},
        {kAppRoleToken, {{"paths", {"secret/data/app/*"}}, {"policies", {"app-read"}}}}}},
      {"approle",
       {{"mount", "approle"},
        {"role_id", "59d6d1ca-role-id"},
        {"secret_id", kSecretId},
        {"token", kAppRoleToken},
        {"lease_duration", 1200}}},
      {"kv2",
       {{"secret/data/app/db",
         {{"data", {{"username", "app"}, {"password", kPassword}}}, {"version", 2}}},
        {"secret/data/other/db", {{"data", {{"password", "not-for-the-app"}}}}}}},
      {"kv1", {{"kv/app/db", {{"data", {{"password", kPassword}, {"port", 6432}}}, {"ttl", 60}}}}},
      {"hang", {"secret/data/app/slow"}}};
}

class VaultClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vault_ = new testing::FakeVault(vault_config()); }
  static void TearDownTestSuite() {
    delete vault_;
    vault_ = nullptr;
  }
  void SetUp() override {
    redact::clear_secrets_for_testing();
    secret_cache().clear();
    env_ = {{"VAULT_ADDR", vault_->address()},
            {"VAULT_CACERT", vault_->ca_file().string()},
            {"VAULT_TOKEN", kToken}};
  }
  void TearDown() override {
    secret_cache().clear();
    redact::clear_secrets_for_testing();
  }

  EnvLookup env() const {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
  VaultClient client() const { return VaultClient(VaultSettings::from_environment(env())); }

  // The message of the ConfigError reading path throws; fails the test if it does not throw or
  // if the message holds a token, the secret id or the password.
  std::string read_error(const std::string& path) {
    try {
      client().read(path);
      ADD_FAILURE() << "reading " << path << " succeeded";
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      for (const char* secret : {kToken, kTeamToken, kAppRoleToken, kSecretId, kPassword}) {
        EXPECT_EQ(message.find(secret), std::string::npos) << message;
      }
      return message;
    }
    return {};
  }

  static testing::FakeVault* vault_;
  std::map<std::string, std::string> env_;
};

testing::FakeVault* VaultClientTest::vault_ = nullptr;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(VaultClientTest, ReadsKvVersion2FieldsOverHttps) {
  const int before = vault_->count("GET", "secret/data/app/db");
  VaultSecret secret = client().read("secret/data/app/db");
  EXPECT_EQ(secret.fields,
            (std::map<std::string, std::string>{{"password", kPassword}, {"username", "app"}}));
  EXPECT_EQ(secret.lease.count(), 0);
  EXPECT_EQ(vault_->count("GET", "secret/data/app/db"), before + 1);
  const json last = vault_->requests().back();
  EXPECT_TRUE(last["token_sent"].get<bool>());
  EXPECT_TRUE(last["token_known"].get<bool>());
  EXPECT_EQ(last["status"], 200);
}

TEST_F(VaultClientTest, ReadsKvVersion1WithItsLease) {
  VaultSecret secret = client().read("kv/app/db");
  EXPECT_EQ(secret.fields.at("password"), kPassword);
  EXPECT_EQ(secret.fields.at("port"), "6432");  // not a string in Vault: its JSON text
  EXPECT_EQ(secret.lease.count(), 60);
}

TEST_F(VaultClientTest, VersionQueryGoesToVault) {
  EXPECT_EQ(client().read("secret/data/app/db?version=2").fields.at("username"), "app");
  const std::string message = read_error("secret/data/app/db?version=7");
  EXPECT_TRUE(contains(message, "reading secret/data/app/db?version=7 failed: HTTP 404"))
      << message;
}

TEST_F(VaultClientTest, MissingSecretNamesPathAndStatus) {
  std::string message = read_error("secret/data/app/nothing");
  EXPECT_EQ(message, "Vault at " + vault_->address() +
                         ": reading secret/data/app/nothing failed: HTTP 404: no secret there");
  // A path without data/ (a KV v2 path written the CLI's way?) gets a hint.
  message = read_error("kv/app/nothing");
  EXPECT_EQ(message, "Vault at " + vault_->address() +
                         ": reading kv/app/nothing failed: HTTP 404: no secret there (if kv is a "
                         "KV version 2 mount, the API path includes data/: kv/data/app/nothing)");
}

TEST_F(VaultClientTest, ForbiddenPathNamesPolicyNotToken) {
  const std::string message = read_error("secret/data/other/db");
  EXPECT_EQ(message, "Vault at " + vault_->address() +
                         ": reading secret/data/other/db failed: HTTP 403 (permission denied): "
                         "the token is valid (policies: default, app-read) but may not read "
                         "this path");
}

TEST_F(VaultClientTest, UnknownTokenIsReportedAsRefused) {
  env_["VAULT_TOKEN"] = "hvs.revoked-t0ken-aaaa";
  const std::string message = read_error("secret/data/app/db");
  EXPECT_TRUE(contains(message,
                       "reading secret/data/app/db failed: HTTP 403 (permission "
                       "denied): Vault refused the token itself"))
      << message;
  EXPECT_FALSE(contains(message, "revoked-t0ken")) << message;
}

TEST_F(VaultClientTest, NamespaceHeaderIsSent) {
  env_["VAULT_TOKEN"] = kTeamToken;
  std::string message = read_error("secret/data/app/db");  // the token lives in team-a
  EXPECT_TRUE(contains(message, "HTTP 403")) << message;
  env_["VAULT_NAMESPACE"] = "team-a";
  EXPECT_EQ(client().read("secret/data/app/db").fields.at("password"), kPassword);
  EXPECT_EQ(vault_->requests().back()["namespace"], "team-a");
  EXPECT_EQ(client().describe(), "Vault at " + vault_->address() + " (namespace team-a)");
}

TEST_F(VaultClientTest, TlsNeedsTheRightCa) {
  env_["VAULT_CACERT"] = vault_->other_ca_file().string();
  std::string message = read_error("secret/data/app/db");
  EXPECT_TRUE(contains(message, "cannot reach " + vault_->address() + "/v1/secret/data/app/db"))
      << message;
  EXPECT_TRUE(contains(message, "certificate")) << message;
  env_.erase("VAULT_CACERT");  // the system's CAs do not know the test CA either
  message = read_error("secret/data/app/db");
  EXPECT_TRUE(contains(message, "certificate")) << message;
}

TEST_F(VaultClientTest, AppRoleLoginOnceThenCachedToken) {
  env_.erase("VAULT_TOKEN");
  env_["VAULT_ROLE_ID"] = "59d6d1ca-role-id";
  env_["VAULT_SECRET_ID"] = kSecretId;
  const int logins = vault_->count("POST", "auth/approle/login");
  EXPECT_EQ(client().read("secret/data/app/db").fields.at("password"), kPassword);
  EXPECT_EQ(client().read("secret/data/app/db").fields.at("username"), "app");
  EXPECT_EQ(vault_->count("POST", "auth/approle/login"), logins + 1);
  EXPECT_EQ(redact::scrub(kAppRoleToken), "***");  // the issued token is a registered secret
  EXPECT_EQ(redact::scrub(kSecretId), "***");
}

TEST_F(VaultClientTest, AppRoleSecretIdFromAFile) {
  testing::TempDir dir;
  std::ofstream(dir / "secret_id") << kSecretId << "\n";
  env_.erase("VAULT_TOKEN");
  env_["VAULT_ROLE_ID"] = "59d6d1ca-role-id";
  env_["VAULT_SECRET_ID"] = "file:" + (dir / "secret_id").string();
  EXPECT_EQ(client().read("secret/data/app/db").fields.at("password"), kPassword);
}

TEST_F(VaultClientTest, AppRoleLoginFailureNamesTheMountNotTheSecretId) {
  env_.erase("VAULT_TOKEN");
  env_["VAULT_ROLE_ID"] = "59d6d1ca-role-id";
  env_["VAULT_SECRET_ID"] = "wrong-s3cret-id-0000";
  const std::string message = read_error("secret/data/app/db");
  EXPECT_EQ(message, "Vault at " + vault_->address() +
                         ": AppRole login at auth/approle/login failed: HTTP 400 (invalid role "
                         "or secret ID)");
  EXPECT_EQ(redact::scrub("wrong-s3cret-id-0000"), "***");
}

TEST_F(VaultClientTest, TokenFromAFileWithoutItsNewline) {
  testing::TempDir dir;
  std::ofstream(dir / "token") << kToken << "\n";
  env_.erase("VAULT_TOKEN");
  env_["VAULT_TOKEN_FILE"] = (dir / "token").string();
  EXPECT_EQ(client().read("secret/data/app/db").fields.at("password"), kPassword);
  EXPECT_TRUE(vault_->requests().back()["token_known"].get<bool>());
}

TEST_F(VaultClientTest, TokenFromVaultLoginsDefaultFile) {
  testing::TempDir home;
  std::ofstream(home / ".vault-token") << kToken;
  env_.erase("VAULT_TOKEN");
  env_["HOME"] = home.path().string();
  EXPECT_EQ(client().read("secret/data/app/db").fields.at("password"), kPassword);
}

TEST_F(VaultClientTest, NoTokenSaysHowToGiveOne) {
  env_.erase("VAULT_TOKEN");
  const std::string message = read_error("secret/data/app/db");
  EXPECT_TRUE(contains(message,
                       "no Vault token: set VAULT_TOKEN, VAULT_TOKEN_FILE, or "
                       "VAULT_ROLE_ID and VAULT_SECRET_ID"))
      << message;
}

TEST_F(VaultClientTest, TimeoutEndsTheRequest) {
  env_["VAULT_CLIENT_TIMEOUT"] = "300ms";
  const std::string message = read_error("secret/data/app/slow");
  EXPECT_TRUE(contains(message, "/v1/secret/data/app/slow")) << message;
  EXPECT_TRUE(contains(message, "timed out")) << message;
}

TEST_F(VaultClientTest, BadTimeoutSettingIsNamed) {
  env_["VAULT_CLIENT_TIMEOUT"] = "soon";
  try {
    client();
    ADD_FAILURE() << "accepted VAULT_CLIENT_TIMEOUT=soon";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "VAULT_CLIENT_TIMEOUT: bad duration 'soon' (expected more than zero, e.g. 10s, "
              "500ms, 2min)");
  }
}

TEST_F(VaultClientTest, ConnectionRefusedNamesTheAddress) {
  env_["VAULT_ADDR"] = "https://127.0.0.1:" + std::to_string(testing::free_tcp_port());
  const std::string message = read_error("secret/data/app/db");
  EXPECT_TRUE(contains(message, "cannot reach " + env_["VAULT_ADDR"])) << message;
}

TEST_F(VaultClientTest, AddressMustBeHttp) {
  env_["VAULT_ADDR"] = "vault.example.com:8200";
  EXPECT_THROW(client(), ConfigError);
  env_.erase("VAULT_ADDR");
  EXPECT_THROW(client(), ConfigError);
}

TEST_F(VaultClientTest, LookupSelfReportsPolicies) {
  VaultTokenInfo info = client().lookup_self();
  EXPECT_EQ(info.policies, (std::vector<std::string>{"default", "app-read"}));
  EXPECT_EQ(info.ttl.count(), 0);
}

TEST(VaultPlainHttpTest, LoopbackHttpWorks) {
  redact::clear_secrets_for_testing();
  testing::FakeVault vault(vault_config(), false);
  VaultSettings settings;
  settings.address = vault.address();
  settings.token = kToken;
  EXPECT_EQ(VaultClient(settings).read("secret/data/app/db").fields.at("password"), kPassword);
  redact::clear_secrets_for_testing();
}

}  // namespace
}  // namespace retort::config

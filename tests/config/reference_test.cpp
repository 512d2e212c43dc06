// References in settings (env:, file:, vault:, literal:) through resolve_database_url, the way
// an application resolves them at start-up: every source accepts them, Vault is asked once per
// secret and cache lifetime, and no message shows a resolved value.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config/reference.hpp"
#include "config/secret_cache.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"
#include "support/fake_vault.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kToken = "hvs.ref-t0ken-5e11";
constexpr const char* kPassword = "Pw-fr0m-the-vault:@/%";
constexpr const char* kFilePassword = "Pw-fr0m-a-file";

json vault_config() {
  return {{"tokens", {{kToken, {{"paths", {"secret/data/app/*", "kv/*"}}}}}},
          {"kv2",
           {{"secret/data/app/db",
             {{"data",
               {{"username", "app_user"},
                {"password", kPassword},
                {"url", "postgresql://app_user:Url-Pa55w0rd@db.internal:5432/app"}}}}}}},
          {"kv1", {{"kv/short", {{"data", {{"password", kPassword}}}, {"ttl", 30}}}}}};
}

class ReferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vault_ = new testing::FakeVault(vault_config()); }
  static void TearDownTestSuite() {
    delete vault_;
    vault_ = nullptr;
  }
  void SetUp() override {
    redact::clear_secrets_for_testing();
    clear_secret_cache();
    env_ = {{"VAULT_ADDR", vault_->address()},
            {"VAULT_CACERT", vault_->ca_file().string()},
            {"VAULT_TOKEN", kToken}};
  }
  void TearDown() override {
    config::secret_cache().set_clock_for_testing({});
    clear_secret_cache();
    redact::clear_secrets_for_testing();
  }

  SettingsInputs inputs() {
    SettingsInputs in;
    in.getenv = [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    in.working_directory = dir_.path();
    return in;
  }

  // The error resolving throws; fails the test when it resolves, or when the message holds a
  // secret.
  std::string error_of() {
    try {
      ResolvedUrl r = resolve_database_url(inputs());
      ADD_FAILURE() << "resolved: " << r.url.redacted();
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      for (const char* secret : {kToken, kPassword, kFilePassword, "Url-Pa55w0rd"}) {
        EXPECT_EQ(message.find(secret), std::string::npos) << message;
      }
      return message;
    }
    return {};
  }

  int kv_reads() const { return vault_->count("GET", "secret/data/app/db"); }

  static testing::FakeVault* vault_;
  testing::TempDir dir_;
  std::map<std::string, std::string> env_;
};

testing::FakeVault* ReferenceTest::vault_ = nullptr;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ReferenceTest, FileReferenceDropsTrailingNewlines) {
  std::ofstream(dir_ / "db_password", std::ios::binary) << kFilePassword << "\r\n\n";
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "file:" + (dir_ / "db_password").string();
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.param("password"), kFilePassword);
  EXPECT_EQ(r.references,
            std::vector<std::string>{"DB_PASSWORD <- file:" + (dir_ / "db_password").string()});
  EXPECT_EQ(redact::scrub(kFilePassword), "***");
  EXPECT_FALSE(contains(r.url.redacted(), kFilePassword));
}

TEST_F(ReferenceTest, FileReferenceErrorsNameSettingAndPath) {
  env_["DB_HOST"] = "db";
  const std::string missing = (dir_ / "nope").string();
  env_["DB_PASSWORD"] = "file:" + missing;
  EXPECT_EQ(error_of(), "DB_PASSWORD refers to file " + missing + ", which does not exist");
  env_["DB_PASSWORD"] = "file:" + dir_.path().string();
  EXPECT_EQ(error_of(), "DB_PASSWORD refers to " + dir_.path().string() + ", which is a directory");
  std::ofstream(dir_ / "empty") << "\n";
  env_["DB_PASSWORD"] = "file:" + (dir_ / "empty").string();
  EXPECT_EQ(error_of(),
            "DB_PASSWORD refers to file " + (dir_ / "empty").string() + ", which is empty");
  env_["DB_PASSWORD"] = "file:";
  EXPECT_EQ(error_of(), "DB_PASSWORD is 'file:' without a path");
}

TEST_F(ReferenceTest, FileUrlThatIsNotAUrlSuggestsSqlite) {
  std::ofstream(dir_ / "app.db", std::ios::binary) << "SQLite format 3" << '\0' << "pages";
  env_["DATABASE_URL"] = "file:" + (dir_ / "app.db").string();
  EXPECT_EQ(error_of(),
            "DATABASE_URL: not a database URL (expected postgresql://, sqlite://, or a "
            "libpq keyword string) (read from file:" +
                (dir_ / "app.db").string() + "; a SQLite database is written sqlite:///" +
                (dir_ / "app.db").string() + ")");
}

TEST_F(ReferenceTest, LiteralKeepsTextThatLooksLikeAReference) {
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "literal:vault:not-a-reference";
  EXPECT_EQ(resolve_database_url(inputs()).url.param("password"), "vault:not-a-reference");
}

TEST_F(ReferenceTest, UserAndPasswordFromOneVaultSecretCostOneRequest) {
  env_["DB_HOST"] = "db";
  env_["DB_USER"] = "vault:secret/data/app/db#username";
  env_["DB_PASSWORD"] = "vault:secret/data/app/db#password";
  const int before = kv_reads();
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.param("user"), "app_user");
  EXPECT_EQ(r.url.param("password"), kPassword);
  EXPECT_EQ(r.references,
            (std::vector<std::string>{"DB_USER <- vault:secret/data/app/db#username",
                                      "DB_PASSWORD <- vault:secret/data/app/db#password"}));
  EXPECT_EQ(kv_reads(), before + 1);
  // Resolved again (a new pool, a reconnect): served from the cache.
  EXPECT_EQ(resolve_database_url(inputs()).url.param("password"), kPassword);
  EXPECT_EQ(kv_reads(), before + 1);
  clear_secret_cache();
  resolve_database_url(inputs());
  EXPECT_EQ(kv_reads(), before + 2);
}

TEST_F(ReferenceTest, CacheTtlZeroAsksVaultEveryTime) {
  env_["RETORT_SECRET_CACHE_TTL"] = "0";
  env_["DB_HOST"] = "db";
  env_["DB_USER"] = "vault:secret/data/app/db#username";
  env_["DB_PASSWORD"] = "vault:secret/data/app/db#password";
  const int before = kv_reads();
  resolve_database_url(inputs());
  EXPECT_EQ(kv_reads(), before + 2);
  env_["RETORT_SECRET_CACHE_TTL"] = "later";
  EXPECT_TRUE(contains(error_of(), "RETORT_SECRET_CACHE_TTL: bad duration 'later'"));
}

TEST_F(ReferenceTest, CachedValuesExpireAfterTheTtl) {
  auto now = std::chrono::steady_clock::now();
  config::secret_cache().set_clock_for_testing([&now] { return now; });
  env_["RETORT_SECRET_CACHE_TTL"] = "5min";
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "vault:secret/data/app/db#password";
  const int before = kv_reads();
  resolve_database_url(inputs());
  now += std::chrono::minutes(4);
  resolve_database_url(inputs());
  EXPECT_EQ(kv_reads(), before + 1);
  now += std::chrono::minutes(2);
  resolve_database_url(inputs());
  EXPECT_EQ(kv_reads(), before + 2);
}

TEST_F(ReferenceTest, ALeaseShorterThanTheTtlWins) {
  auto now = std::chrono::steady_clock::now();
  config::secret_cache().set_clock_for_testing([&now] { return now; });
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "vault:kv/short#password";  // KV v1 with a 30 s lease
  resolve_database_url(inputs());
  now += std::chrono::seconds(20);
  resolve_database_url(inputs());
  EXPECT_EQ(vault_->count("GET", "kv/short"), 1);
  now += std::chrono::seconds(20);
  resolve_database_url(inputs());
  EXPECT_EQ(vault_->count("GET", "kv/short"), 2);
}

TEST_F(ReferenceTest, WholeUrlFromVault) {
  env_["DATABASE_URL"] = "vault:secret/data/app/db#url";
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::database_url);
  EXPECT_EQ(r.origin, "environment variable DATABASE_URL (vault:secret/data/app/db#url)");
  EXPECT_EQ(r.url.param("host"), "db.internal");
  EXPECT_EQ(r.url.redacted(), "postgresql://app_user:***@db.internal:5432/app");
  EXPECT_EQ(redact::scrub("Url-Pa55w0rd"), "***");
}

TEST_F(ReferenceTest, ConfigFileAndArgumentTakeReferences) {
  std::ofstream(dir_ / "retort.toml")
      << "[database]\nhost = \"db\"\nuser = \"vault:secret/data/app/db#username\"\n"
         "password = \"vault:secret/data/app/db#password\"\n";
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.param("user"), "app_user");
  EXPECT_EQ(r.url.param("password"), kPassword);
  EXPECT_EQ(r.references.size(), 2U);

  SettingsInputs in = inputs();
  in.explicit_url = "vault:secret/data/app/db#url";
  EXPECT_EQ(resolve_database_url(in).url.param("host"), "db.internal");
}

TEST_F(ReferenceTest, MissingFieldListsFieldNamesOnly) {
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "vault:secret/data/app/db#pasword";
  EXPECT_EQ(error_of(),
            "DB_PASSWORD (vault:secret/data/app/db#pasword): the secret at secret/data/app/db "
            "has no field 'pasword' (its fields: password, url, username)");
}

TEST_F(ReferenceTest, VaultErrorsNameTheSettingPathAndStatus) {
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "vault:secret/data/billing/db#password";
  EXPECT_EQ(error_of(), "DB_PASSWORD (vault:secret/data/billing/db#password): Vault at " +
                            vault_->address() +
                            ": reading secret/data/billing/db failed: HTTP 403 (permission "
                            "denied): the token is valid (policies: default) but may not read "
                            "this path");
  env_["DB_PASSWORD"] = "vault:secret/data/app/db";
  EXPECT_TRUE(contains(error_of(), "write vault:PATH#FIELD")) << error_of();
  env_["DB_PASSWORD"] = "vault:secret/data/app/db#password";
  env_.erase("VAULT_ADDR");
  EXPECT_EQ(error_of(),
            "DB_PASSWORD (vault:secret/data/app/db#password): VAULT_ADDR is not set (e.g. "
            "VAULT_ADDR=https://vault.example.com:8200)");
}

TEST_F(ReferenceTest, VaultSettingsCannotComeFromVault) {
  env_.erase("VAULT_TOKEN");
  env_["VAULT_ROLE_ID"] = "role";
  env_["VAULT_SECRET_ID"] = "vault:secret/data/app/db#password";
  env_["DB_HOST"] = "db";
  env_["DB_PASSWORD"] = "vault:secret/data/app/db#password";
  EXPECT_TRUE(contains(error_of(), "VAULT_SECRET_ID cannot refer to Vault")) << error_of();
}

TEST_F(ReferenceTest, ResolveSecretRegistersTheValue) {
  EXPECT_EQ(resolve_secret("vault:secret/data/app/db#password", inputs()), kPassword);
  EXPECT_EQ(redact::scrub(std::string("x ") + kPassword), "x ***");
  EXPECT_EQ(resolve_secret("plain-api-key-1234", inputs()), "plain-api-key-1234");
  EXPECT_EQ(redact::scrub("plain-api-key-1234"), "***");
}

TEST(IsReferenceTest, KnowsEveryForm) {
  EXPECT_TRUE(config::is_reference("env:X"));
  EXPECT_TRUE(config::is_reference("file:/x"));
  EXPECT_TRUE(config::is_reference("vault:a#b"));
  EXPECT_TRUE(config::is_reference("literal:x"));
  EXPECT_FALSE(config::is_reference("postgresql://x"));
  EXPECT_FALSE(config::is_reference("Env:X"));
}

}  // namespace
}  // namespace retort

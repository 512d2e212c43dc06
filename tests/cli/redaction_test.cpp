// No password, token or secret value in anything retort prints: log lines, error messages
// (authentication failure, connection refused, Vault 403), --help, the settings dump, offline
// SQL, a crash message. Each test provokes the output with known secrets and searches it.
#include <gtest/gtest.h>

#include "config/percent.hpp"
#include "migrate_cli_support.hpp"
#include "support/fake_vault.hpp"
#include "support/process.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kToken = "hvs.Redact-t0ken-Q7x";
constexpr const char* kSecretId = "Redact-secret-id-W3";
constexpr const char* kVaultPassword = "Vault-db-pa55-Z9%@";
constexpr const char* kWrongPassword = "Wr0ng-pa55-K4:x";
constexpr const char* kFilePassword = "Fi1e-pa55-R2";

class Redaction : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const json config = {
        {"tokens", {{kToken, {{"paths", {"secret/data/app/*"}}, {"policies", {"app"}}}}}},
        {"approle", {{"role_id", "redact-role"}, {"secret_id", kSecretId}, {"token", kToken}}},
        {"kv2",
         {{"secret/data/app/db", {{"data", {{"password", kVaultPassword}}}}},
          {"secret/data/app/wrong", {{"data", {{"password", kWrongPassword}}}}},
          {"secret/data/app/url",
           {{"data",
             {{"url", "postgresql://app:" + config::percent_encode(kVaultPassword) +
                          "@db.internal/app"}}}}}}}};
    vault_ = new retort::testing::FakeVault(config);
  }
  static void TearDownTestSuite() {
    delete vault_;
    vault_ = nullptr;
  }

  fs::path dir() const { return tmp_.path(); }

  // Vault settings for a run, with the token (or AppRole credentials) in the environment.
  static std::string vault_env() {
    return "VAULT_ADDR=" + vault_->address() + " VAULT_CACERT=" + q(vault_->ca_file().string()) +
           " VAULT_TOKEN=" + kToken;
  }
  // DB_* variables pointing at the shared test server, except the password.
  static std::string server_env(const std::string& port = "") {
    const DatabaseUrl url = parse_database_url(retort::testing::pg_server_url());
    return "DB_HOST=" + url.param("host").value_or("127.0.0.1") +
           " DB_PORT=" + (port.empty() ? url.param("port").value_or("5432") : port) +
           " DB_USER=" + url.param("user").value_or("postgres") + " DB_NAME=postgres";
  }
  static std::string server_password() {
    return *parse_database_url(retort::testing::pg_server_url()).param("password");
  }

  // Fails the test if any known secret, raw or percent-encoded, is in the run's output.
  static void expect_clean(const CliRun& run, std::vector<std::string> extra = {}) {
    std::vector<std::string> secrets = {kToken, kSecretId, kVaultPassword, kWrongPassword,
                                        kFilePassword};
    secrets.insert(secrets.end(), extra.begin(), extra.end());
    for (const std::string& s : secrets) {
      EXPECT_FALSE(contains(run.output, s)) << "secret " << s << " in:\n" << run.output;
      const std::string encoded = config::percent_encode(s);
      EXPECT_FALSE(contains(run.output, encoded)) << "secret " << s << " in:\n" << run.output;
    }
  }

  static retort::testing::FakeVault* vault_;
  retort::testing::TempDir tmp_;
};

retort::testing::FakeVault* Redaction::vault_ = nullptr;

TEST_F(Redaction, LogLinesMaskThePassword) {
  // A server notice that quotes the password, logged with --verbose; and the Vault read's log.
  const std::string password = server_password();
  const CliRun r =
      retort("-v --url " + q(retort::testing::pg_server_url()) + " sql " +
                 q("DO $$ BEGIN RAISE NOTICE 'the password is %', '" + password + "'; END $$"),
             dir());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "the password is ***")) << r.output;
  EXPECT_TRUE(contains(r.output, "database: postgresql://postgres:***@")) << r.output;
  expect_clean(r, {password});

  const CliRun v =
      retort("-v settings", dir(),
             vault_env() + " DB_HOST=db DB_PASSWORD=vault:secret/data/app/db#password");
  ASSERT_EQ(v.exit_code, 0) << v.output;
  EXPECT_TRUE(contains(v.output, "secrets: reading secret/data/app/db from Vault at")) << v.output;
  expect_clean(v);
}

TEST_F(Redaction, AuthenticationFailureWithAPasswordFromVault) {
  const CliRun r = retort(
      "ping", dir(),
      vault_env() + " " + server_env() + " DB_PASSWORD=vault:secret/data/app/wrong#password");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "password authentication failed")) << r.output;
  expect_clean(r);
}

TEST_F(Redaction, ConnectionRefusedWithAPasswordFromAppRole) {
  const std::string port = std::to_string(retort::testing::free_tcp_port());
  const CliRun r =
      retort("ping", dir(),
             "VAULT_ADDR=" + vault_->address() + " VAULT_CACERT=" + q(vault_->ca_file().string()) +
                 " VAULT_ROLE_ID=redact-role VAULT_SECRET_ID=" + kSecretId + " " +
                 server_env(port) + " DB_PASSWORD=vault:secret/data/app/db#password");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "cannot connect to postgresql://postgres:***@")) << r.output;
  expect_clean(r);
}

TEST_F(Redaction, VaultRefusalNamesPathAndStatusNotTheToken) {
  const CliRun r = retort("ping", dir(),
                          vault_env() + " DB_HOST=db DB_PASSWORD=vault:secret/data/billing/db#pw");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(
      contains(r.output, "retort: error: DB_PASSWORD (vault:secret/data/billing/db#pw): Vault at " +
                             vault_->address() +
                             ": reading secret/data/billing/db failed: HTTP 403 (permission "
                             "denied)"))
      << r.output;
  expect_clean(r);
}

TEST_F(Redaction, HelpOfEveryCommand) {
  const std::string env = vault_env() + " VAULT_SECRET_ID=" + kSecretId + " DATABASE_URL=" +
                          q(std::string("postgresql://u:") + kWrongPassword + "@h/db") +
                          " DB_PASSWORD=" + q(kFilePassword);
  const CliRun top = retort("--help", dir(), env);
  ASSERT_EQ(top.exit_code, 0) << top.output;
  expect_clean(top);
  for (const char* command :
       {"settings", "ping",      "sql",    "demo",           "init",    "revision", "merge",
        "upgrade",  "downgrade", "stamp",  "current",        "history", "heads",    "branches",
        "show",     "edit",      "verify", "list_templates", "events",  "grants"}) {
    const CliRun r = retort(std::string(command) + " --help", dir(), env);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
    expect_clean(r);
  }
}

TEST_F(Redaction, SettingsDump) {
  std::ofstream(dir() / "db_password") << kFilePassword << "\n";
  CliRun r = retort("settings", dir(), vault_env() + " DATABASE_URL=vault:secret/data/app/url#url");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, "url:     postgresql://app:***@db.internal/app\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "secret:  DATABASE_URL <- vault:secret/data/app/url#url\n")) << r.out;
  expect_clean(r);
  std::ofstream(dir() / "retort.toml")
      << "[database]\nhost = \"db\"\npassword = \"file:" << (dir() / "db_password").string()
      << "\"\nsslpassword = \"vault:secret/data/app/db#password\"\n";
  r = retort("-v settings", dir(), vault_env());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, "sslpassword=***")) << r.out;
  expect_clean(r);
}

TEST_F(Redaction, OfflineSqlOutput) {
  const std::string url =
      q(std::string("postgresql://app:") + config::percent_encode(kWrongPassword) + "@db/app");
  CliRun r = retort("--url " + url + " upgrade head --sql", dir());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.out, "CREATE TABLE IF NOT EXISTS events")) << r.out;
  expect_clean(r);

  // A revision that embeds the database password is refused, naming the file and line only.
  write_project(dir(), 1, std::string("ALTER ROLE app PASSWORD '") + kWrongPassword + "';");
  r = retort("--url " + url + " upgrade head --sql", dir());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "r0000_create_t_r0000.sql:")) << r.output;
  EXPECT_TRUE(contains(r.output, "revision r0000 holds a secret retort knows from its settings"))
      << r.output;
  expect_clean(r);
}

TEST_F(Redaction, CrashMessage) {
  const std::string url =
      q(std::string("postgresql://app:") + config::percent_encode(kWrongPassword) + "@db/app");
  const CliRun r = retort("--url " + url + " internal-crash-check", dir());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "retort: fatal: simulated crash while holding the password ***"))
      << r.output;
  expect_clean(r);
}

}  // namespace
}  // namespace retort::migrate_cli

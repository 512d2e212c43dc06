// "No sensitive data in migrations": a revision whose SQL holds a secret retort knows is refused
// before anything runs, naming the file and line, never the secret.
#include <gtest/gtest.h>

#include "core/redact.hpp"
#include "migrate/runtime/runner_support.hpp"

namespace retort::migrate::runner_testing {
namespace {

class SecretRefusal : public OnBothDialects {
 protected:
  void SetUp() override { redact::register_secret("Sh0uld-not-be-here"); }
  void TearDown() override { redact::clear_secrets_for_testing(); }
};

TEST_P(SecretRefusal, ARevisionHoldingASecretIsRefusedOnlineAndOffline) {
  env_.chain(1);
  RevisionFile leaky;
  leaky.id = "r001";
  leaky.down = {"r000"};
  leaky.upgrade = "CREATE TABLE creds (v TEXT);\nINSERT INTO creds VALUES ('Sh0uld-not-be-here');";
  leaky.downgrade = "DROP TABLE creds;";
  env_.write(leaky);
  const ConfigError e = error_of<ConfigError>([&] { upgrade(db_, "head", env_.options()); });
  const std::string message = e.what();
  EXPECT_TRUE(message.starts_with(env_.path_of("r001").string() + ":")) << message;
  EXPECT_TRUE(message.find("revision r001 holds a secret retort knows") != std::string::npos)
      << message;
  EXPECT_EQ(message.find("Sh0uld-not-be-here"), std::string::npos) << message;
  // r000 ran in its own transaction; r001 ran nothing.
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r000"});
  EXPECT_FALSE(table_exists(db_, "creds"));
  EXPECT_THROW(upgrade_sql(db_.dialect(), "r000:head", env_.options()), ConfigError);
}

TEST_P(SecretRefusal, IdentifierLikeSecretsDoNotBlockMigrations) {
  redact::register_secret("postgres");  // a weak password that is also a role name
  RevisionFile f;
  f.id = "r000";
  f.upgrade = "CREATE TABLE owned_by_postgres (v TEXT);";
  f.downgrade = "DROP TABLE owned_by_postgres;";
  env_.write(f);
  upgrade(db_, "head", env_.options());
  EXPECT_TRUE(table_exists(db_, "owned_by_postgres"));
}

INSTANTIATE_TEST_SUITE_P(BothDialects, SecretRefusal,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::migrate::runner_testing

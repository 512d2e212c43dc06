// The settings beside the database URL (config/roles.cpp): replica and migration URLs, the pool
// mode, where each may come from, the replica derived from libpq's multi-host form, and the
// errors. The environment is a map, never the real one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/redact.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

namespace fs = std::filesystem;

class RolesTest : public ::testing::Test {
 protected:
  void SetUp() override { redact::clear_secrets_for_testing(); }
  void TearDown() override { redact::clear_secrets_for_testing(); }

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

  ResolvedUrl resolve() { return resolve_database_url(inputs()); }

  std::string error_of() {
    try {
      const ResolvedUrl r = resolve();
      ADD_FAILURE() << "resolved: " << r.url.redacted();
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
      return message;
    }
    return {};
  }

  void write_config(std::string_view text) { std::ofstream(dir_ / "retort.toml") << text; }
  std::string config_path() const { return (dir_ / "retort.toml").string(); }

  testing::TempDir dir_;
  std::map<std::string, std::string, std::less<>> env_;
};

TEST_F(RolesTest, NoneByDefault) {
  env_["DATABASE_URL"] = "postgresql://primary/app";
  const ResolvedUrl r = resolve();
  EXPECT_FALSE(r.replica.has_value());
  EXPECT_FALSE(r.migration.has_value());
  EXPECT_EQ(r.pool_mode, PoolMode::session);
  EXPECT_EQ(r.pool_mode_origin, "");
}

TEST_F(RolesTest, EnvironmentRolesAccompanyAnEnvironmentUrl) {
  env_["DATABASE_URL"] = "postgresql://app@bouncer:6432/app";
  env_["RETORT_REPLICA_URL"] = "postgresql://app:s3cret@replica/app";
  env_["RETORT_MIGRATION_URL"] = "postgresql://app@primary:5432/app";
  env_["RETORT_POOL_MODE"] = "transaction";
  const ResolvedUrl r = resolve();
  ASSERT_TRUE(r.replica.has_value());
  EXPECT_EQ(r.replica->url.param("host"), "replica");
  EXPECT_EQ(r.replica->url.redacted(), "postgresql://app:***@replica/app");
  EXPECT_EQ(r.replica->origin, "environment variable RETORT_REPLICA_URL");
  ASSERT_TRUE(r.migration.has_value());
  EXPECT_EQ(r.migration->url.param("port"), "5432");
  EXPECT_EQ(r.migration->origin, "environment variable RETORT_MIGRATION_URL");
  EXPECT_EQ(r.pool_mode, PoolMode::transaction);
  EXPECT_EQ(r.pool_mode_origin, "environment variable RETORT_POOL_MODE");
}

TEST_F(RolesTest, ComponentsTakeTheEnvironmentRolesToo) {
  env_["DB_HOST"] = "primary";
  env_["RETORT_REPLICA_URL"] = "postgresql://replica/app";
  ASSERT_TRUE(resolve().replica.has_value());
}

TEST_F(RolesTest, ConfigFileRolesAccompanyTheConfigFileUrl) {
  write_config(
      "[database]\nurl = \"postgresql://bouncer:6432/app\"\nreplica_url = "
      "\"postgresql://replica/app\"\nmigration_url = \"env:DIRECT\"\npool_mode = "
      "\"transaction\"\n");
  env_["DIRECT"] = "postgresql://primary/app";
  const ResolvedUrl r = resolve();
  ASSERT_TRUE(r.replica.has_value());
  EXPECT_EQ(r.replica->url.param("host"), "replica");
  EXPECT_EQ(r.replica->origin, "config file " + config_path());
  ASSERT_TRUE(r.migration.has_value());
  EXPECT_EQ(r.migration->url.param("host"), "primary");
  EXPECT_EQ(r.pool_mode, PoolMode::transaction);
  // The reference is named (a place, not the value).
  ASSERT_EQ(r.references.size(), 1u);
  EXPECT_NE(r.references[0].find("database.migration_url"), std::string::npos);
}

TEST_F(RolesTest, ComponentsInTheFileTakeItsRoles) {
  write_config(
      "[database]\nhost = \"primary\"\nname = \"app\"\nreplica_url = "
      "\"postgresql://replica/app\"\n");
  ASSERT_TRUE(resolve().replica.has_value());
}

// A URL from one place never pairs with another place's replica: --url given for a scratch
// database must not read from production's replica named in the environment.
TEST_F(RolesTest, RolesNeverCrossSources) {
  env_["RETORT_REPLICA_URL"] = "postgresql://env-replica/app";
  env_["RETORT_POOL_MODE"] = "transaction";
  write_config(
      "[database]\nurl = \"postgresql://file/app\"\nreplica_url = "
      "\"postgresql://file-replica/app\"\n");
  SettingsInputs in = inputs();
  in.explicit_url = "postgresql://argument/app";
  const ResolvedUrl argument = resolve_database_url(in);
  EXPECT_FALSE(argument.replica.has_value());
  EXPECT_EQ(argument.pool_mode, PoolMode::session);

  const ResolvedUrl file = resolve();
  ASSERT_TRUE(file.replica.has_value());
  EXPECT_EQ(file.replica->url.param("host"), "file-replica");
  EXPECT_EQ(file.pool_mode, PoolMode::session);

  env_["DATABASE_URL"] = "postgresql://env/app";
  env_.erase("RETORT_REPLICA_URL");
  EXPECT_FALSE(resolve().replica.has_value());
}

TEST_F(RolesTest, AFileWithOnlyRolesNamesNoDatabase) {
  write_config("[database]\npool_mode = \"transaction\"\n");
  const ResolvedUrl r = resolve();
  EXPECT_EQ(r.source, UrlSource::default_sqlite);
  EXPECT_EQ(r.pool_mode, PoolMode::session);
}

TEST_F(RolesTest, MultiHostUrlForThePrimaryReadsFromAStandby) {
  env_["DATABASE_URL"] = "postgresql://app@db1:5432,db2:5433/app?target_session_attrs=read-write";
  const ResolvedUrl r = resolve();
  ASSERT_TRUE(r.replica.has_value());
  EXPECT_EQ(r.replica->url.param("host"), "db1,db2");
  EXPECT_EQ(r.replica->url.param("port"), "5432,5433");
  EXPECT_EQ(r.replica->url.param("target_session_attrs"), "prefer-standby");
  EXPECT_EQ(r.url.param("target_session_attrs"), "read-write");
  EXPECT_NE(r.replica->origin.find("prefer-standby"), std::string::npos) << r.replica->origin;
}

TEST_F(RolesTest, MultiHostWithoutAPrimaryTargetDerivesNothing) {
  env_["DATABASE_URL"] = "postgresql://db1,db2/app";
  EXPECT_FALSE(resolve().replica.has_value());
  env_["DATABASE_URL"] = "postgresql://db1/app?target_session_attrs=read-write";
  EXPECT_FALSE(resolve().replica.has_value());
}

TEST_F(RolesTest, AnExplicitReplicaBeatsTheDerivedOne) {
  env_["DATABASE_URL"] = "postgresql://db1,db2/app?target_session_attrs=primary";
  env_["RETORT_REPLICA_URL"] = "postgresql://db2/app";
  const ResolvedUrl r = resolve();
  ASSERT_TRUE(r.replica.has_value());
  EXPECT_EQ(r.replica->url.param("host"), "db2");
}

TEST_F(RolesTest, BadPoolModesAreNamed) {
  env_["DATABASE_URL"] = "postgresql://db/app";
  env_["RETORT_POOL_MODE"] = "txn";
  EXPECT_EQ(error_of(), "RETORT_POOL_MODE: bad pool mode 'txn' (expected session or transaction)");
  env_["RETORT_POOL_MODE"] = "statement";
  EXPECT_NE(error_of().find("transactions of several statements"), std::string::npos);
}

TEST_F(RolesTest, SqliteTakesNoRoles) {
  env_["DATABASE_URL"] = "sqlite:///app.db";
  env_["RETORT_REPLICA_URL"] = "postgresql://replica/app";
  EXPECT_EQ(error_of(),
            "RETORT_REPLICA_URL applies to PostgreSQL, and the database URL it accompanies is "
            "SQLite");
  env_.erase("RETORT_REPLICA_URL");
  env_["RETORT_POOL_MODE"] = "transaction";
  EXPECT_NE(error_of().find("transaction pooling applies to PostgreSQL"), std::string::npos);
}

TEST_F(RolesTest, ARoleUrlMustBePostgresql) {
  env_["DATABASE_URL"] = "postgresql://db/app";
  env_["RETORT_MIGRATION_URL"] = "sqlite:///x.db";
  EXPECT_EQ(error_of(), "RETORT_MIGRATION_URL must be a PostgreSQL URL (it is SQLite)");
}

TEST_F(RolesTest, MalformedRoleUrlIsNamedWithoutItsPassword) {
  env_["DATABASE_URL"] = "postgresql://db/app";
  env_["RETORT_REPLICA_URL"] = "postgresql://app:s3cret@replica:port/app";
  EXPECT_EQ(error_of(), "RETORT_REPLICA_URL: bad port 'port' in database URL");
}

TEST_F(RolesTest, ConfigFileErrorsPointAtTheLine) {
  write_config("[database]\nurl = \"postgresql://db/app\"\n\nreplica_url = \"sqlite:///r.db\"\n");
  EXPECT_EQ(error_of(),
            config_path() + ":4:15: database.replica_url must be a PostgreSQL URL (it is SQLite)");
  write_config("[database]\nurl = \"postgresql://db/app\"\npool_mode = 3\n");
  EXPECT_EQ(error_of(), config_path() + ":3:13: database.pool_mode must be a string");
  write_config("[database]\nurl = \"postgresql://db/app\"\npool_mode = \"none\"\n");
  EXPECT_EQ(
      error_of(),
      config_path() +
          ":3:13: database.pool_mode: bad pool mode 'none' (expected session or transaction)");
}

TEST_F(RolesTest, PoolModeNames) {
  EXPECT_EQ(pool_mode_name(PoolMode::session), "session");
  EXPECT_EQ(pool_mode_name(PoolMode::transaction), "transaction");
}

}  // namespace
}  // namespace retort

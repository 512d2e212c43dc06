// resolve_database_url and find_config_file: the order of sources, each source beating the ones
// below it, the config file's forms and errors. The environment is a map, never the real one.
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

constexpr std::string_view kSecret = "pa55:w0rd";

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

class SettingsTest : public ::testing::Test {
 protected:
  // Registered secrets (redact.hpp) from one test must not mask text in the next.
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

  std::string error_of(const SettingsInputs& in) {
    try {
      ResolvedUrl r = resolve_database_url(in);
      ADD_FAILURE() << "resolved: " << r.url.redacted();
    } catch (const ConfigError& e) {
      std::string message = e.what();
      EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
      EXPECT_EQ(message.find("pa55"), std::string::npos) << message;
      return message;
    }
    return {};
  }

  void write_config(std::string_view text) { write_file(dir_ / "retort.toml", text); }

  // Every source set at once; each test removes the ones above the source it looks at.
  void set_every_source() {
    env_["RETORT_DATABASE_URL"] = "postgresql://retort-env/db";
    env_["DATABASE_URL"] = "postgresql://database-url/db";
    env_["DB_HOST"] = "components";
    write_config("[database]\nurl = \"postgresql://config-file/db\"\n");
  }

  testing::TempDir dir_;
  std::map<std::string, std::string, std::less<>> env_;
};

TEST_F(SettingsTest, DefaultIsRetortDbInTheWorkingDirectory) {
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::default_sqlite);
  EXPECT_EQ(r.url.dialect(), Dialect::sqlite);
  EXPECT_EQ(r.url.path(), (dir_ / "retort.db").string());
  EXPECT_EQ(r.origin, "default: SQLite file retort.db in the working directory");
}

TEST_F(SettingsTest, DefaultStaysRelativeWithoutAWorkingDirectory) {
  if (fs::exists("retort.toml")) GTEST_SKIP() << "the test's own directory has a retort.toml";
  SettingsInputs in = inputs();
  in.working_directory.reset();
  ResolvedUrl r = resolve_database_url(in);
  EXPECT_EQ(r.source, UrlSource::default_sqlite);
  EXPECT_EQ(r.url.path(), "retort.db");
}

TEST_F(SettingsTest, ArgumentBeatsEverything) {
  set_every_source();
  SettingsInputs in = inputs();
  in.explicit_url = "sqlite:///arg.db";
  ResolvedUrl r = resolve_database_url(in);
  EXPECT_EQ(r.source, UrlSource::argument);
  EXPECT_EQ(r.url.path(), "arg.db");
}

TEST_F(SettingsTest, RetortDatabaseUrlBeatsDatabaseUrlAndBelow) {
  set_every_source();
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::retort_database_url);
  EXPECT_EQ(r.url.param("host"), "retort-env");
  EXPECT_EQ(r.origin, "environment variable RETORT_DATABASE_URL");
}

TEST_F(SettingsTest, DatabaseUrlBeatsComponentsAndBelow) {
  set_every_source();
  env_.erase("RETORT_DATABASE_URL");
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::database_url);
  EXPECT_EQ(r.url.param("host"), "database-url");
  EXPECT_EQ(r.origin, "environment variable DATABASE_URL");
}

TEST_F(SettingsTest, ComponentsBeatConfigFile) {
  set_every_source();
  env_.erase("RETORT_DATABASE_URL");
  env_.erase("DATABASE_URL");
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::components);
  EXPECT_EQ(r.url.params(), (DatabaseUrl::Params{{"host", "components"}}));
  EXPECT_EQ(r.origin, "environment variables DB_HOST");
}

TEST_F(SettingsTest, ConfigFileBeatsDefault) {
  write_config("[database]\nurl = \"postgresql://config-file/db\"\n");
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::config_file);
  EXPECT_EQ(r.url.param("host"), "config-file");
  EXPECT_EQ(r.origin, "config file " + (dir_ / "retort.toml").string());
}

TEST_F(SettingsTest, EmptyVariablesCountAsUnset) {
  env_["RETORT_DATABASE_URL"] = "";
  env_["DATABASE_URL"] = "";
  env_["DB_HOST"] = "";
  EXPECT_EQ(resolve_database_url(inputs()).source, UrlSource::default_sqlite);
}

TEST_F(SettingsTest, EveryComponentInOrder) {
  env_ = {{"DB_USER", "app"},   {"DB_PASSWORD", std::string(kSecret)},
          {"DB_HOST", "db"},    {"DB_PORT", "6432"},
          {"DB_NAME", "appdb"}, {"DB_SSLMODE", "require"}};
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::components);
  EXPECT_EQ(r.url.params(), (DatabaseUrl::Params{{"user", "app"},
                                                 {"password", std::string(kSecret)},
                                                 {"host", "db"},
                                                 {"port", "6432"},
                                                 {"dbname", "appdb"},
                                                 {"sslmode", "require"}}));
  EXPECT_EQ(r.origin,
            "environment variables DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, DB_NAME, DB_SSLMODE");
  EXPECT_EQ(r.url.redacted(), "postgresql://app:***@db:6432/appdb?sslmode=require");
}

TEST_F(SettingsTest, SomeComponents) {
  env_ = {{"DB_NAME", "appdb"}, {"DB_PASSWORD", std::string(kSecret)}};
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.params(),
            (DatabaseUrl::Params{{"password", std::string(kSecret)}, {"dbname", "appdb"}}));
  EXPECT_EQ(r.origin, "environment variables DB_PASSWORD, DB_NAME");

  env_ = {{"DB_USER", "app"}};
  EXPECT_EQ(resolve_database_url(inputs()).url.params(), (DatabaseUrl::Params{{"user", "app"}}));
}

TEST_F(SettingsTest, PasswordPortOrSslmodeAloneDoNotSelectComponents) {
  env_ = {{"DB_PASSWORD", std::string(kSecret)}, {"DB_PORT", "5432"}, {"DB_SSLMODE", "require"}};
  EXPECT_EQ(resolve_database_url(inputs()).source, UrlSource::default_sqlite);
}

TEST_F(SettingsTest, BadDbPort) {
  env_ = {{"DB_HOST", "db"}, {"DB_PASSWORD", std::string(kSecret)}, {"DB_PORT", "abc"}};
  EXPECT_EQ(error_of(inputs()), "DB_PORT: bad port 'abc' (expected a number from 1 to 65535)");
  env_["DB_PORT"] = "70000";
  EXPECT_NE(error_of(inputs()).find("bad port '70000'"), std::string::npos);
}

TEST_F(SettingsTest, ErrorsNameTheSource) {
  const std::string bad = "postgresql://u:pa55%3Aw0rd@h:abc/d";
  env_["DATABASE_URL"] = bad;
  EXPECT_EQ(error_of(inputs()), "DATABASE_URL: bad port 'abc' in database URL");
  env_["RETORT_DATABASE_URL"] = bad;
  EXPECT_EQ(error_of(inputs()), "RETORT_DATABASE_URL: bad port 'abc' in database URL");
  SettingsInputs in = inputs();
  in.explicit_url = "mysql://u:pa55@h/d";
  EXPECT_NE(error_of(in).find("argument: unknown scheme 'mysql'"), std::string::npos);
}

TEST_F(SettingsTest, KeywordStringWithQuotedPasswordEndToEnd) {
  env_["DATABASE_URL"] = "host=db.internal port=5433 dbname=app user=app password='pa55:w0rd \\'x'";
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::database_url);
  EXPECT_EQ(r.url.param("password"), "pa55:w0rd 'x");
  EXPECT_EQ(r.url.param("port"), "5433");
  EXPECT_EQ(r.url.redacted(), "postgresql://app:***@db.internal:5433/app");
}

TEST_F(SettingsTest, ConfigFileFromOption) {
  testing::TempDir other;
  write_file(other / "custom.toml", "[database]\nurl = \"sqlite:///from-option.db\"\n");
  write_config("[database]\nurl = \"sqlite:///from-cwd.db\"\n");
  env_["RETORT_CONFIG"] = (dir_ / "retort.toml").string();
  SettingsInputs in = inputs();
  in.config_path = other / "custom.toml";
  EXPECT_EQ(find_config_file(in), other / "custom.toml");
  ResolvedUrl r = resolve_database_url(in);
  EXPECT_EQ(r.source, UrlSource::config_file);
  EXPECT_EQ(r.url.path(), "from-option.db");
  EXPECT_EQ(r.origin, "config file " + (other / "custom.toml").string());
}

TEST_F(SettingsTest, RelativeConfigOptionIsRelativeToTheWorkingDirectory) {
  fs::create_directories(dir_ / "conf");
  write_file(dir_ / "conf" / "db.toml", "[database]\nurl = \"sqlite:///rel.db\"\n");
  SettingsInputs in = inputs();
  in.config_path = "conf/db.toml";
  EXPECT_EQ(resolve_database_url(in).url.path(), "rel.db");
}

TEST_F(SettingsTest, ConfigFileFromRetortConfig) {
  testing::TempDir other;
  write_file(other / "env.toml", "[database]\nurl = \"sqlite:///from-env.db\"\n");
  write_config("[database]\nurl = \"sqlite:///from-cwd.db\"\n");
  env_["RETORT_CONFIG"] = (other / "env.toml").string();
  EXPECT_EQ(find_config_file(inputs()), other / "env.toml");
  EXPECT_EQ(resolve_database_url(inputs()).url.path(), "from-env.db");
}

TEST_F(SettingsTest, ConfigFileFromWorkingDirectory) {
  EXPECT_EQ(find_config_file(inputs()), std::nullopt);
  write_config("[database]\nurl = \"sqlite:///from-cwd.db\"\n");
  EXPECT_EQ(find_config_file(inputs()), dir_ / "retort.toml");
  EXPECT_EQ(resolve_database_url(inputs()).url.path(), "from-cwd.db");
}

TEST_F(SettingsTest, NamedConfigFileMustExist) {
  SettingsInputs in = inputs();
  in.config_path = dir_ / "missing.toml";
  std::string expected = "config file '" + (dir_ / "missing.toml").string() + "' not found";
  EXPECT_EQ(error_of(in), expected);
  EXPECT_THROW(find_config_file(in), ConfigError);

  env_["RETORT_CONFIG"] = (dir_ / "gone.toml").string();
  EXPECT_EQ(error_of(inputs()),
            "RETORT_CONFIG: config file '" + (dir_ / "gone.toml").string() + "' not found");

  in.config_path = dir_.path();
  EXPECT_NE(error_of(in).find("is a directory"), std::string::npos);
}

TEST_F(SettingsTest, ConfigFileIsOnlyReadWhenNeeded) {
  write_config("this is [not toml");
  env_["DATABASE_URL"] = "sqlite:///x.db";
  EXPECT_EQ(resolve_database_url(inputs()).source, UrlSource::database_url);
}

TEST_F(SettingsTest, TomlSyntaxErrorGivesLineAndColumn) {
  write_config("[database]\nurl = \"sqlite:///x.db\"\nuser = \n");
  std::string message = error_of(inputs());
  std::string prefix = (dir_ / "retort.toml").string() + ":3:";
  EXPECT_EQ(message.rfind(prefix, 0), 0U) << message;
}

TEST_F(SettingsTest, UnknownKeyInDatabaseTable) {
  write_config("[database]\nhost = \"db\"\npasswrod = \"pa55:w0rd\"\n");
  EXPECT_EQ(
      error_of(inputs()),
      (dir_ / "retort.toml").string() +
          ":3:1: unknown key 'passwrod' in [database] (expected url, or user, password, "
          "host, port, name; and sslmode, sslrootcert, sslcert, sslkey, sslpassword; replica_url, "
          "migration_url, pool_mode)");
}

TEST_F(SettingsTest, OtherTablesAreIgnored) {
  write_config("[migrations]\ndirectory = \"migrations\"\n");
  EXPECT_EQ(resolve_database_url(inputs()).source, UrlSource::default_sqlite);
  write_config("[migrations]\ndirectory = \"m\"\n[database]\nurl = \"sqlite:///x.db\"\n");
  EXPECT_EQ(resolve_database_url(inputs()).source, UrlSource::config_file);
}

TEST_F(SettingsTest, ConfigComponents) {
  write_config(
      "[database]\nuser = \"app\"\npassword = \"pa55:w0rd\"\nhost = \"db\"\nport = 6432\n"
      "name = \"appdb\"\nsslmode = \"verify-full\"\n");
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.params(), (DatabaseUrl::Params{{"user", "app"},
                                                 {"password", std::string(kSecret)},
                                                 {"host", "db"},
                                                 {"port", "6432"},
                                                 {"dbname", "appdb"},
                                                 {"sslmode", "verify-full"}}));
  write_config("[database]\nhost = \"db\"\nport = \"6432\"\n");
  EXPECT_EQ(resolve_database_url(inputs()).url.param("port"), "6432");
}

TEST_F(SettingsTest, ConfigComponentErrors) {
  const std::string file = (dir_ / "retort.toml").string();
  write_config("[database]\npassword = \"pa55:w0rd\"\nport = 70000\n");
  EXPECT_EQ(error_of(inputs()), file + ":3:8: bad port '70000' in [database]");
  write_config("[database]\npassword = \"pa55:w0rd\"\nport = \"x\"\n");
  EXPECT_EQ(error_of(inputs()), file + ":3:8: bad port 'x' in [database]");
  write_config("[database]\nuser = 5\n");
  EXPECT_EQ(error_of(inputs()), file + ":2:8: database.user must be a string");
  write_config("[database]\nurl = \"sqlite://\"\nhost = \"db\"\n");
  EXPECT_NE(error_of(inputs()).find("has both url and components"), std::string::npos);
  write_config("database = \"sqlite://\"\n");
  EXPECT_NE(error_of(inputs()).find("'database' must be a table"), std::string::npos);
}

TEST_F(SettingsTest, ConfigUrlErrorsNameFileAndLine) {
  write_config("[database]\nurl = \"postgresql://u:pa55%3Aw0rd@h:abc/d\"\n");
  EXPECT_EQ(error_of(inputs()),
            (dir_ / "retort.toml").string() + ":2:7: database.url: bad port 'abc' in database URL");
}

TEST_F(SettingsTest, EnvReferenceInConfig) {
  write_config("[database]\nurl = \"env:APP_DB\"\n");
  env_["APP_DB"] = "postgresql://u:pa55@referenced/db";
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.source, UrlSource::config_file);
  EXPECT_EQ(r.url.param("host"), "referenced");

  env_["APP_DB"] = "postgresql://u:pa55@h:abc/db";
  EXPECT_NE(error_of(inputs()).find(":2:7: database.url (env:APP_DB): bad port 'abc'"),
            std::string::npos);

  env_.erase("APP_DB");
  EXPECT_NE(error_of(inputs()).find(
                ":2:7: database.url refers to environment variable APP_DB, which is not set"),
            std::string::npos);

  write_config("[database]\nhost = \"db\"\npassword = \"env:APP_PW\"\n");
  env_["APP_PW"] = std::string(kSecret);
  EXPECT_EQ(resolve_database_url(inputs()).url.param("password"), std::string(kSecret));
}

TEST_F(SettingsTest, TlsSettingsInTheConfigFile) {
  write_config(
      "[database]\nurl = \"postgresql://app@db/app\"\nsslmode = \"verify-full\"\n"
      "sslrootcert = \"/etc/retort/ca.crt\"\nsslcert = \"/etc/retort/client.crt\"\n"
      "sslkey = \"/etc/retort/client.key\"\nsslpassword = \"env:KEY_PASSPHRASE\"\n");
  env_["KEY_PASSPHRASE"] = "k3y-pa55phrase";
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.param("sslmode"), "verify-full");
  EXPECT_EQ(r.url.param("sslrootcert"), "/etc/retort/ca.crt");
  EXPECT_EQ(r.url.param("sslcert"), "/etc/retort/client.crt");
  EXPECT_EQ(r.url.param("sslkey"), "/etc/retort/client.key");
  EXPECT_EQ(r.url.param("sslpassword"), "k3y-pa55phrase");
  EXPECT_EQ(r.url.redacted(),
            "postgresql://app@db/app?sslmode=verify-full&sslrootcert=/etc/retort/ca.crt&"
            "sslcert=/etc/retort/client.crt&sslkey=/etc/retort/client.key&sslpassword=***");
  EXPECT_EQ(r.references, std::vector<std::string>{"database.sslpassword <- env:KEY_PASSPHRASE"});

  write_config("[database]\nurl = \"sqlite:///x.db\"\nsslmode = \"require\"\n");
  EXPECT_NE(error_of(inputs()).find("the ssl* settings apply to PostgreSQL"), std::string::npos);
}

TEST_F(SettingsTest, TlsSettingsFromDbVariables) {
  env_["DB_HOST"] = "db";
  env_["DB_SSLMODE"] = "verify-ca";
  env_["DB_SSLROOTCERT"] = "/run/secrets/ca.crt";
  env_["DB_SSLCERT"] = "/run/secrets/client.crt";
  env_["DB_SSLKEY"] = "/run/secrets/client.key";
  ResolvedUrl r = resolve_database_url(inputs());
  EXPECT_EQ(r.url.param("sslmode"), "verify-ca");
  EXPECT_EQ(r.url.param("sslrootcert"), "/run/secrets/ca.crt");
  EXPECT_EQ(r.url.param("sslcert"), "/run/secrets/client.crt");
  EXPECT_EQ(r.url.param("sslkey"), "/run/secrets/client.key");
}

TEST_F(SettingsTest, BadSslmodeIsRefusedWhereverItComesFrom) {
  const std::string expected =
      "bad sslmode 'verify_full' (expected disable, allow, prefer, require, verify-ca or "
      "verify-full)";
  env_["DATABASE_URL"] = "postgresql://db/app?sslmode=verify_full";
  EXPECT_EQ(error_of(inputs()), "DATABASE_URL: " + expected);
  env_.erase("DATABASE_URL");
  env_["DB_HOST"] = "db";
  env_["DB_SSLMODE"] = "verify_full";
  EXPECT_EQ(error_of(inputs()), "DB_* variables: " + expected);
  env_.clear();
  write_config("[database]\nhost = \"db\"\nsslmode = \"verify_full\"\n");
  EXPECT_EQ(error_of(inputs()),
            (dir_ / "retort.toml").string() + ":3:11: database.sslmode: " + expected);
}

TEST(UrlSourceNameTest, NamesEverySource) {
  EXPECT_EQ(url_source_name(UrlSource::argument), "argument");
  EXPECT_EQ(url_source_name(UrlSource::retort_database_url), "RETORT_DATABASE_URL");
  EXPECT_EQ(url_source_name(UrlSource::database_url), "DATABASE_URL");
  EXPECT_EQ(url_source_name(UrlSource::components), "DB_* variables");
  EXPECT_EQ(url_source_name(UrlSource::config_file), "config file");
  EXPECT_EQ(url_source_name(UrlSource::default_sqlite), "default");
}

}  // namespace
}  // namespace retort

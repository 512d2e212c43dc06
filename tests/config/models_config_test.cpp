// [models] of retort.toml (config/models_config.cpp): what each key accepts, where relative paths
// lead, dev_url's reference forms, and errors that point at FILE:LINE:COL. The environment is a
// map, never the real one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config/models_config.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort::config {
namespace {

namespace fs = std::filesystem;

class ModelsConfigTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& text) {
    const fs::path file = dir_.path() / "retort.toml";
    std::ofstream(file) << text;
    return file;
  }
  std::optional<ModelsConfig> read(const std::string& text) {
    return read_models_config(write(text), [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }
  std::string error_of(const std::string& text) {
    try {
      read(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }

  retort::testing::TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ModelsConfigTest, AbsentTableMeansNoDeclaredModels) {
  EXPECT_FALSE(read("[migrations]\nscript_location = \"migrations\"\n"));
}

TEST_F(ModelsConfigTest, SchemaIsRelativeToTheConfigFile) {
  const auto config = read("[models]\nschema = \"db/schema.sql\"\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(*config->schema, dir_.path() / "db" / "schema.sql");
  EXPECT_EQ(config->directory, dir_.path());
  EXPECT_FALSE(config->command);
  EXPECT_FALSE(config->dev_url);
}

TEST_F(ModelsConfigTest, CommandAndDevUrlThroughAnEnvironmentReference) {
  env_["DEV_DB"] = "postgresql://dev@localhost:5433/postgres";
  const auto config =
      read("[models]\ncommand = \"python3 dump_models.py\"\ndev_url = \"env:DEV_DB\"\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(*config->command, "python3 dump_models.py");
  ASSERT_TRUE(config->dev_url);
  EXPECT_EQ(config->dev_url->dialect(), Dialect::postgresql);
  EXPECT_EQ(config->dev_url->param("port"), "5433");
  EXPECT_EQ(config->dev_url_origin,
            (dir_.path() / "retort.toml").string() + ":3:11: models.dev_url");
}

TEST_F(ModelsConfigTest, ErrorsPointAtTheLineAndSayWhatIsExpected) {
  const std::string file = (dir_.path() / "retort.toml").string();
  EXPECT_EQ(error_of("[models]\nschema = \"s.sql\"\nshema = \"x\"\n"),
            file + ":3:1: unknown key 'shema' in [models] (expected schema, command, dev_url)");
  EXPECT_EQ(error_of("[models]\nschema = 3\n"), file + ":2:10: models.schema must be a string");
  EXPECT_EQ(error_of("[models]\ncommand = \"  \"\n"),
            file + ":2:11: models.command must not be empty");
  EXPECT_TRUE(error_of("[models]\n").starts_with(file + ":1:1: [models] declares no models"))
      << error_of("[models]\n");
  EXPECT_TRUE(error_of("[models]\nschema = \"s.sql\"\ndev_url = \"sqlite:///dev.db\"\n")
                  .starts_with(file + ":3:11: models.dev_url must be a PostgreSQL URL"));
  EXPECT_TRUE(error_of("[models]\nschema = \"s.sql\"\ndev_url = \"env:NOT_SET\"\n")
                  .starts_with(file + ":3:11: "))
      << error_of("[models]\nschema = \"s.sql\"\ndev_url = \"env:NOT_SET\"\n");
  EXPECT_EQ(error_of("models = 1\n"), file + ":1:10: 'models' must be a table ([models])");
}

}  // namespace
}  // namespace retort::config

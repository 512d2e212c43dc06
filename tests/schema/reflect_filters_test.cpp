// ReflectOptions' filters on both backends: include_name, exclude_tables and the migration
// engine's own tables.
#include <gtest/gtest.h>

#include "retort/ddl.hpp"
#include "retort/inspect.hpp"
#include "schema/schema_printers.hpp"
#include "support/test_db.hpp"

namespace retort::schema {
namespace {

class ReflectFilters : public ::testing::TestWithParam<Dialect> {
 protected:
  ReflectFilters() : connection_(connect(database_.url())) {
    MetaData metadata;
    for (const char* name : {"retort_version", "retort_history", "retort_progress",
                             "alembic_version", "keep_me", "skip_me", "also_kept"}) {
      Table t;
      t.name = name;
      Column id;
      id.name = "id";
      id.type = types::integer();
      t.columns.push_back(id);
      metadata.tables.push_back(t);
    }
    metadata.enums.push_back({"kept_enum", {"a"}});
    metadata.enums.push_back({"skipped_enum", {"b"}});
    for (const std::string& statement : ddl::create_statements(metadata, GetParam())) {
      connection_->execute(statement);
    }
  }

  std::vector<std::string> table_names(const ReflectOptions& options) {
    std::vector<std::string> names;
    for (const Table& t : reflect(*connection_, options).tables) names.push_back(t.name);
    return names;
  }

  testing::TestDatabase database_{GetParam()};
  std::unique_ptr<Connection> connection_;
};

TEST_P(ReflectFilters, MigrationTablesAreLeftOutByDefault) {
  EXPECT_EQ(table_names({}), (std::vector<std::string>{"also_kept", "keep_me", "skip_me"}));
  ReflectOptions options;
  options.include_migration_tables = true;
  EXPECT_EQ(table_names(options),
            (std::vector<std::string>{"alembic_version", "also_kept", "keep_me", "retort_history",
                                      "retort_progress", "retort_version", "skip_me"}));
}

TEST_P(ReflectFilters, ExcludeTablesByName) {
  ReflectOptions options;
  options.exclude_tables = {"skip_me", "not_there"};
  EXPECT_EQ(table_names(options), (std::vector<std::string>{"also_kept", "keep_me"}));
}

TEST_P(ReflectFilters, IncludeNameSeesEveryTableAndEnumOnce) {
  std::vector<std::string> asked;
  ReflectOptions options;
  options.include_name = [&](std::string_view kind, std::string_view name) {
    asked.push_back(std::string(kind) + ":" + std::string(name));
    return name != "skip_me" && name != "skipped_enum";
  };
  MetaData metadata = reflect(*connection_, options);
  std::vector<std::string> names;
  for (const Table& t : metadata.tables) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"also_kept", "keep_me"}));
  std::vector<std::string> expected_asks{"table:also_kept", "table:keep_me", "table:skip_me"};
  if (GetParam() == Dialect::postgresql) {
    // SQLite has no enum types (only enum columns' CHECKs), so only PostgreSQL asks about them.
    expected_asks.push_back("enum:kept_enum");
    expected_asks.push_back("enum:skipped_enum");
    ASSERT_EQ(metadata.enums.size(), 1u);
    EXPECT_EQ(metadata.enums[0].name, "kept_enum");
  }
  EXPECT_EQ(asked, expected_asks) << "migration tables are excluded before include_name is asked";
}

INSTANTIATE_TEST_SUITE_P(Dialects, ReflectFilters,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::schema

// The twenty-model translation unit (twenty_models.cpp) compiles into the suite and works.
#include <gtest/gtest.h>

#include "support/test_db.hpp"
#include "twenty_models.cpp"  // NOLINT: built here so the compile-time check cannot rot

namespace twenty {
namespace {

TEST(TwentyModels, MetadataHasEveryTable) {
  retort::schema::MetaData m = all_metadata();
  EXPECT_EQ(m.tables.size(), 20u);
  for (const retort::schema::Table& t : m.tables) {
    EXPECT_GE(t.columns.size(), 6u) << t.name;
    EXPECT_LE(t.columns.size(), 10u) << t.name;
  }
}

TEST(TwentyModels, EveryRepositoryOperationRunsOnSqlite) {
  retort::testing::TestDatabase test_db(retort::Dialect::sqlite);
  retort::Database db(test_db.url());
  std::size_t seen = db.transaction([](retort::Session& s) {
    retort::create_all(s, all_metadata());
    return exercise_all(s);
  });
  // Per model: 3 bulk + 4 listed + 1 got + 4 streamed + 3 counted after the removal.
  EXPECT_EQ(seen, 20u * (3 + 4 + 1 + 4 + 3));
}

}  // namespace
}  // namespace twenty

// What a model description produces: schema metadata with names filled in, bindings, and
// UsageErrors for descriptions that cannot work.
#include <gtest/gtest.h>

#include "retort/ddl.hpp"
#include "retort/error.hpp"
#include "sample_models.hpp"

namespace retort::orm_test {

// Deliberately broken descriptions, one problem each.
struct Broken {
  std::int64_t id = 0;
  std::string name{};
  std::optional<std::string> note{};
};
template <int Problem>
struct BrokenModel : Broken {};

}  // namespace retort::orm_test

template <int Problem>
struct retort::ModelTraits<retort::orm_test::BrokenModel<Problem>> {
  using B = orm_test::BrokenModel<Problem>;
  static void describe(ModelBuilder<B>& m) {
    namespace types = schema::types;
    if (Problem != 0) m.table("broken");
    m.column("id", &B::id, types::bigint()).primary_key();
    m.column("name", &B::name, Problem == 3 ? types::enum_("undeclared") : types::text());
    if (Problem == 1) m.index("ix_broken").on("missing");
    if (Problem == 2) m.column("name", &B::note, types::text());
    if (Problem == 4) m.column("note", &B::note, types::text()).set_on_update();
    if (Problem == 5) m.unique({"name", "nope"});
    if (Problem == 6) m.primary_key({"name"});
  }
};

namespace retort::orm_test {
namespace {

TEST(Model, DescribesTheTable) {
  const schema::Table& t = model<Ticket>().table();
  EXPECT_EQ(t.name, "tickets");
  ASSERT_EQ(t.columns.size(), 14u);
  EXPECT_EQ(t.primary_key.columns, std::vector<std::string>{"id"});
  EXPECT_FALSE(t.find_column("title")->nullable);    // plain member: NOT NULL
  EXPECT_TRUE(t.find_column("assignee")->nullable);  // std::optional member
  EXPECT_EQ(t.find_column("priority")->server_default, schema::DialectSql("0"));
  ASSERT_EQ(t.unique_constraints.size(), 1u);
  EXPECT_EQ(t.unique_constraints[0].name, "tickets_customer_id_title_key");
  ASSERT_EQ(t.foreign_keys.size(), 1u);
  EXPECT_EQ(t.foreign_keys[0].name, "tickets_customer_id_fkey");
  EXPECT_EQ(t.foreign_keys[0].on_delete, schema::ReferentialAction::cascade);
  EXPECT_EQ(t.check_constraints.at(0).name, "ck_tickets_priority");
  ASSERT_EQ(t.indexes.size(), 4u);
  EXPECT_TRUE(t.indexes[3].postgresql_only);
  EXPECT_EQ(t.indexes[3].elements.at(0).operator_class, "jsonb_path_ops");
  EXPECT_TRUE(t.indexes[0].elements.at(1).descending);

  const schema::Table& c = model<Customer>().table();
  EXPECT_TRUE(c.find_column("id")->identity);
  EXPECT_FALSE(c.find_column("joined_at")->nullable);  // optional member, not_null()
  EXPECT_EQ(c.comment, "people who open tickets");
  EXPECT_EQ(c.find_column("name")->comment, "display name");
}

TEST(Model, MetadataCollectsTablesAndEnums) {
  schema::MetaData m = metadata<Customer, Ticket, Event>();
  ASSERT_EQ(m.tables.size(), 3u);
  EXPECT_EQ(m.tables[2].name, "events");
  ASSERT_EQ(m.enums.size(), 2u);
  EXPECT_EQ(m.find_enum("ticket_status")->values,
            (std::vector<std::string>{"open", "pending", "closed"}));
  EXPECT_THROW((metadata<Ticket, Ticket>()), UsageError);  // one table, two models
}

TEST(Model, BindsMembers) {
  const Model<Ticket>& m = model<Ticket>();
  EXPECT_EQ(m.column_of(&Ticket::assignee), "assignee");
  EXPECT_EQ(field(&Ticket::data).name(), "data");
  Ticket t;
  t.title = "x";
  EXPECT_EQ(m.get(&t, 2), Value("x"));
  m.set(&t, 7, Value("bob"));
  EXPECT_EQ(t.assignee, "bob");
  m.set(&t, 7, Value());
  EXPECT_FALSE(t.assignee.has_value());
  EXPECT_THROW(m.set(&t, 2, Value()), UsageError);  // NULL into a plain member
}

TEST(Model, RendersToDdlForBothDialects) {
  schema::MetaData m = metadata<Customer, Ticket>();
  std::vector<std::string> pg = ddl::create_statements(m, Dialect::postgresql);
  std::vector<std::string> lite = ddl::create_statements(m, Dialect::sqlite);
  EXPECT_EQ(pg.front(),
            "CREATE TYPE \"customer_tier\" AS ENUM ('free', 'pro', 'it''s \"enterprise\"')");
  EXPECT_EQ(pg.size(), 2u + 3u + 1u + 4u);  // enums; customers + 2 comments; tickets + indexes
  EXPECT_EQ(lite.size(), 1u + 1u + 3u);     // no enums, comments or GIN on SQLite
}

template <int Problem>
std::string problem() {
  try {
    model<BrokenModel<Problem>>();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Model, BrokenDescriptionsAreUsageErrors) {
  EXPECT_EQ(problem<0>(), "model (no table name): no table name (call m.table(\"...\"))");
  EXPECT_EQ(problem<1>(), "model broken: index ix_broken names unknown column missing");
  EXPECT_EQ(problem<2>(), "model broken: column name appears twice");
  EXPECT_EQ(problem<3>(),
            "model broken: broken.name: enum type undeclared is not declared (m.enum_type(...))");
  EXPECT_EQ(problem<4>(),
            "model broken: broken.note: set_on_create/set_on_update need a timestamp column");
  EXPECT_EQ(problem<5>(), "model broken: unique constraint names unknown column nope");
  EXPECT_EQ(
      problem<6>(),
      "model broken: primary key: declare it either on the columns or with primary_key({...})");
}

}  // namespace
}  // namespace retort::orm_test

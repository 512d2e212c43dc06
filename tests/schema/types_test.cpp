// Column types per dialect, and the metadata finders.
#include <gtest/gtest.h>

#include "retort/schema.hpp"

namespace retort::schema {
namespace {

struct Spelling {
  ColumnType type;
  const char* postgresql;
  const char* sqlite;
};

TEST(ColumnTypes, EveryKindHasASpellingPerDialect) {
  const Spelling spellings[] = {
      {types::uuid(), "uuid", "UUID"},
      {types::text(), "text", "TEXT"},
      {types::varchar(40), "character varying(40)", "VARCHAR(40)"},
      {types::smallint(), "smallint", "SMALLINT"},
      {types::integer(), "integer", "INTEGER"},
      {types::bigint(), "bigint", "BIGINT"},
      {types::real(), "real", "REAL"},
      {types::double_precision(), "double precision", "DOUBLE"},
      {types::numeric(12, 3), "numeric(12,3)", "NUMERIC(12,3)"},
      {types::boolean(), "boolean", "BOOLEAN"},
      {types::bytes(), "bytea", "BLOB"},
      {types::timestamptz(), "timestamp with time zone", "TIMESTAMPTZ"},
      {types::timestamp(), "timestamp without time zone", "TIMESTAMP"},
      {types::date(), "date", "DATE"},
      {types::json(), "json", "JSON"},
      {types::jsonb(), "jsonb", "JSON"},
      {types::enum_("mood"), "\"mood\"", "TEXT"},
      {types::custom("inet", "TEXT"), "inet", "TEXT"},
      {types::array_of(types::integer()), "integer[]", "JSON"},
  };
  for (const Spelling& s : spellings) {
    EXPECT_EQ(s.type.sql(Dialect::postgresql), s.postgresql);
    EXPECT_EQ(s.type.sql(Dialect::sqlite), s.sqlite);
  }
}

TEST(ColumnTypes, ConstructorsSetTheirParameters) {
  EXPECT_EQ(types::varchar(7).length, 7);
  EXPECT_EQ(types::numeric(5, 2).precision, 5);
  EXPECT_EQ(types::numeric(5, 2).scale, 2);
  EXPECT_EQ(types::enum_("e").enum_name, "e");
  EXPECT_TRUE(types::array_of(types::text()).array);
  EXPECT_EQ(types::text(), types::text());
  EXPECT_NE(types::varchar(1), types::varchar(2));
}

TEST(ReferentialActions, Sql) {
  EXPECT_EQ(referential_action_sql(ReferentialAction::no_action), "NO ACTION");
  EXPECT_EQ(referential_action_sql(ReferentialAction::restrict), "RESTRICT");
  EXPECT_EQ(referential_action_sql(ReferentialAction::cascade), "CASCADE");
  EXPECT_EQ(referential_action_sql(ReferentialAction::set_null), "SET NULL");
  EXPECT_EQ(referential_action_sql(ReferentialAction::set_default), "SET DEFAULT");
}

TEST(MetaData, Finders) {
  MetaData m;
  Table t;
  t.name = "a";
  Column x;
  x.name = "x";
  x.type = types::text();
  t.columns.push_back(x);
  m.tables.push_back(t);
  m.enums.push_back({"mood", {"ok"}});
  ASSERT_NE(m.find_table("a"), nullptr);
  EXPECT_EQ(m.find_table("b"), nullptr);
  EXPECT_EQ(m.find_table("a")->find_column("x")->type, types::text());
  EXPECT_EQ(m.find_table("a")->find_column("y"), nullptr);
  EXPECT_EQ(m.find_enum("mood")->values.size(), 1u);
  EXPECT_EQ(m.find_enum("sad"), nullptr);
}

TEST(DialectSql, Spellings) {
  DialectSql both("now()");
  EXPECT_EQ(both.for_dialect(Dialect::sqlite), "now()");
  DialectSql split("now()", "CURRENT_TIMESTAMP");
  EXPECT_EQ(split.for_dialect(Dialect::postgresql), "now()");
  EXPECT_EQ(split.for_dialect(Dialect::sqlite), "CURRENT_TIMESTAMP");
  EXPECT_TRUE(DialectSql().empty());
}

}  // namespace
}  // namespace retort::schema

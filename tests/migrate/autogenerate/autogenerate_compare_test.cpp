// Comparison on metadata alone (no database): every kind of difference, the order of the
// operations, rename hints, enum values, normalization, and that operations replayed on the
// database's metadata give the models back (and their inverses the database).
#include <gtest/gtest.h>

#include "migrate/autogenerate/autogenerate_support.hpp"
#include "migrate/ddl/normalize.hpp"
#include "orm/sample_models.hpp"

namespace retort::autogenerate::testing {
namespace {

using migrate::ddl::normalize_sql;

CompareOptions on(Dialect dialect) {
  CompareOptions o;
  o.dialect = dialect;
  return o;
}

MetaData sample() {
  return metadata<orm_test::Customer, orm_test::Ticket, orm_test::Event, orm_test::Reading>();
}

// apply(before, ops) must be what the models describe, and the inverses must lead back.
void expect_replays(const MetaData& models, const MetaData& database, const Diff& diff,
                    Dialect dialect) {
  MetaData after = database;
  for (const Operation& op : diff.operations) apply(after, op);
  EXPECT_TRUE(compare(models, after, on(dialect)).empty())
      << listed(compare(models, after, on(dialect)));
  for (auto it = diff.operations.rbegin(); it != diff.operations.rend(); ++it) {
    apply(after, invert(*it));
  }
  EXPECT_TRUE(compare(database, after, on(dialect)).empty());
}

TEST(AutogenerateCompare, ModelsCompareEqualToWhatEachDialectReadsBack) {
  for (Dialect d : {Dialect::postgresql, Dialect::sqlite}) {
    const Diff diff = compare(sample(), schema::as_reflected(sample(), d), on(d));
    EXPECT_TRUE(diff.empty()) << dialect_name(d) << listed(diff);
    EXPECT_TRUE(diff.notes.empty()) << dialect_name(d) << listed(diff);
  }
}

TEST(AutogenerateCompare, NewAndDroppedTablesInForeignKeyOrder) {
  MetaData models;
  models.tables.push_back(table("child", {col("parent_id", types::bigint())}));
  models.tables.back().foreign_keys.push_back(
      foreign_key("child_parent_id_fkey", {"parent_id"}, "parent", {"id"}));
  models.tables.push_back(table("parent"));
  const Diff created = compare(models, MetaData{}, on(Dialect::postgresql));
  EXPECT_EQ(descriptions(created),
            (std::vector<std::string>{"create table parent", "create table child"}));
  const Diff dropped = compare(MetaData{}, models, on(Dialect::postgresql));
  EXPECT_EQ(descriptions(dropped),
            (std::vector<std::string>{"drop table child", "drop table parent"}));
  expect_replays(models, MetaData{}, created, Dialect::postgresql);
}

TEST(AutogenerateCompare, ColumnsAddedDroppedAndAltered) {
  MetaData db, models;
  db.tables.push_back(table("t", {col("a", types::integer()), col("b", types::text()),
                                  col("c", types::varchar(10)), col("gone", types::text())}));
  db.tables[0].columns[4].comment = "";
  models.tables.push_back(
      table("t", {col("a", types::bigint()), col("b", types::text(), false),
                  with_default(col("c", types::varchar(10)), {"'x'"}), col("new", types::uuid())}));
  models.tables[0].columns[1].comment = "the a";
  const Diff diff = compare(models, db, on(Dialect::postgresql));
  EXPECT_EQ(descriptions(diff), (std::vector<std::string>{
                                    "add column t.new (uuid)",
                                    "alter column t.a: type integer -> bigint, comment",
                                    "alter column t.b: SET NOT NULL",
                                    "alter column t.c: default none -> 'x'",
                                    "drop column t.gone",
                                }));
  expect_replays(models, db, diff, Dialect::postgresql);
  // Comments do not exist on SQLite.
  EXPECT_EQ(describe(compare(models, db, on(Dialect::sqlite)).operations[1]),
            "alter column t.a: type integer -> bigint");
}

TEST(AutogenerateCompare, IndexesAndConstraints) {
  MetaData db, models;
  db.tables.push_back(table("parent"));
  db.tables.push_back(table("t", {col("a", types::integer()), col("p", types::bigint())}));
  db.tables[1].indexes.push_back(index("ix_t_a", {"a"}));
  db.tables[1].indexes.push_back(index("ix_t_old", {"p"}));
  db.tables[1].check_constraints.push_back({"ck_t_a", {"a > 0"}});
  models = db;
  Table& t = models.tables[1];
  t.indexes = {index("ix_t_a", {"a", "p"}), index("ix_t_new", {"p"}, true)};
  t.check_constraints = {{"ck_t_a", {"a >= 0"}}};
  t.unique_constraints.push_back({"t_a_key", {"a"}});
  t.foreign_keys.push_back(foreign_key("t_p_fkey", {"p"}, "parent", {"id"}));
  const Diff diff = compare(models, db, on(Dialect::postgresql));
  EXPECT_EQ(descriptions(diff), (std::vector<std::string>{
                                    "drop index ix_t_a on t",
                                    "drop index ix_t_old on t",
                                    "drop check constraint ck_t_a on t",
                                    "create index ix_t_a on t (a, p)",
                                    "create unique index ix_t_new on t (p)",
                                    "add unique constraint t_a_key on t (a)",
                                    "add check constraint ck_t_a on t",
                                    "add foreign key t_p_fkey on t (p) -> parent (id)",
                                }))
      << listed(diff);
  expect_replays(models, db, diff, Dialect::postgresql);
}

// SQLite does not keep the names of unique constraints and foreign keys: they match by content.
TEST(AutogenerateCompare, UnnamedConstraintsMatchByContent) {
  MetaData models;
  models.tables.push_back(table("parent"));
  models.tables.push_back(table("t", {col("p", types::bigint())}));
  models.tables[1].unique_constraints.push_back({"t_p_key", {"p"}});
  models.tables[1].foreign_keys.push_back(foreign_key("t_p_fkey", {"p"}, "parent", {"id"}));
  MetaData db = models;
  db.tables[1].unique_constraints[0].name.clear();
  db.tables[1].foreign_keys[0].name.clear();
  EXPECT_TRUE(compare(models, db, on(Dialect::sqlite)).empty());
  db.tables[1].foreign_keys[0].on_delete = schema::ReferentialAction::cascade;
  EXPECT_EQ(kinds(compare(models, db, on(Dialect::sqlite))),
            (std::vector<OpKind>{OpKind::drop_foreign_key, OpKind::add_foreign_key}));
}

TEST(AutogenerateCompare, EnumTypes) {
  MetaData db, models;
  db.enums = {{"mood", {"sad", "ok"}}, {"old", {"x"}}};
  models.enums = {{"mood", {"glad", "sad", "fine", "ok", "great"}}, {"fresh", {"a", "b"}}};
  const Diff diff = compare(models, db, on(Dialect::postgresql));
  EXPECT_EQ(descriptions(diff), (std::vector<std::string>{
                                    "add value 'glad' to enum mood",
                                    "add value 'fine' to enum mood",
                                    "add value 'great' to enum mood",
                                    "create enum fresh (a, b)",
                                    "drop enum old",
                                }))
      << listed(diff);
  EXPECT_EQ(diff.operations[1].enum_type.values,
            (std::vector<std::string>{"glad", "sad", "fine", "ok"}));
  expect_replays(models, db, diff, Dialect::postgresql);

  models.enums[0].values = {"ok"};
  const Diff removed = compare(models, db, on(Dialect::postgresql));
  EXPECT_EQ(descriptions(removed),
            (std::vector<std::string>{"create enum fresh (a, b)",
                                      "remove value 'sad' from enum mood", "drop enum old"}));
  expect_replays(models, db, removed, Dialect::postgresql);
  // SQLite only knows enum types through the columns that use them.
  EXPECT_EQ(kinds(compare(models, MetaData{}, on(Dialect::sqlite))), std::vector<OpKind>{});
}

TEST(AutogenerateCompare, ReorderedEnumValuesAreOnlyNoted) {
  MetaData db, models;
  db.enums = {{"mood", {"ok", "sad"}}};
  models.enums = {{"mood", {"sad", "ok"}}};
  const Diff diff = compare(models, db, on(Dialect::postgresql));
  EXPECT_TRUE(diff.empty());
  ASSERT_EQ(diff.notes.size(), 1u);
  EXPECT_NE(diff.notes[0].find("another order"), std::string::npos);
}

TEST(AutogenerateCompare, RenameHints) {
  MetaData db, same_table;
  db.tables.push_back(table("notes", {col("title", types::text()), col("n", types::integer())}));
  // A column renamed in a table that kept its name.
  same_table.tables.push_back(
      table("notes", {col("name", types::text()), col("n", types::integer())}));
  Diff diff = compare(same_table, db, on(Dialect::postgresql));
  ASSERT_EQ(diff.renames.size(), 1u);
  EXPECT_EQ(describe(diff.renames[0]), "column notes.title -> notes.name");
  EXPECT_FALSE(diff.renames[0].applied);
  EXPECT_EQ(kinds(diff), (std::vector<OpKind>{OpKind::add_column, OpKind::drop_column}));

  CompareOptions apply_all = on(Dialect::postgresql);
  apply_all.apply_renames = true;
  diff = compare(same_table, db, apply_all);
  EXPECT_EQ(descriptions(diff), (std::vector<std::string>{"rename column notes.title to name"}));
  expect_replays(same_table, db, diff, Dialect::postgresql);

  // A table with the same columns under another name.
  MetaData renamed = db;
  renamed.tables[0].name = "memos";
  CompareOptions by_name = on(Dialect::sqlite);
  by_name.renames = {"notes:memos"};
  diff = compare(renamed, db, by_name);
  EXPECT_EQ(descriptions(diff), (std::vector<std::string>{"rename table notes to memos"}));
  expect_replays(renamed, db, diff, Dialect::sqlite);
}

TEST(AutogenerateCompare, AmbiguousRenamesAreNotHinted) {
  MetaData db, models;
  db.tables.push_back(table("t", {col("a", types::text()), col("b", types::text())}));
  models.tables.push_back(table("t", {col("c", types::text()), col("d", types::text())}));
  const Diff diff = compare(models, db, on(Dialect::postgresql));
  EXPECT_TRUE(diff.renames.empty());
  EXPECT_EQ(diff.operations.size(), 4u);
}

TEST(AutogenerateCompare, DependencyOrder) {
  MetaData db, models;
  db.enums = {{"gone", {"x"}}};
  db.tables.push_back(table("a", {col("x", types::enum_("gone")), col("b_id", types::bigint())}));
  db.tables.push_back(table("b"));
  db.tables[0].foreign_keys.push_back(foreign_key("a_b_id_fkey", {"b_id"}, "b", {"id"}));
  db.tables[0].indexes.push_back(index("ix_a_x", {"x"}));
  models.enums = {{"mood", {"ok"}}};
  models.tables.push_back(
      table("a", {col("m", types::enum_("mood")), col("c_id", types::bigint())}));
  models.tables.push_back(table("c"));
  models.tables[0].foreign_keys.push_back(foreign_key("a_c_id_fkey", {"c_id"}, "c", {"id"}));
  models.tables[0].indexes.push_back(index("ix_a_m", {"m"}));
  const Diff diff = compare(models, db, on(Dialect::postgresql));
  EXPECT_EQ(kinds(diff),
            (std::vector<OpKind>{OpKind::create_enum, OpKind::drop_foreign_key, OpKind::drop_index,
                                 OpKind::create_table, OpKind::add_column, OpKind::add_column,
                                 OpKind::drop_column, OpKind::drop_column, OpKind::drop_table,
                                 OpKind::drop_enum, OpKind::create_index, OpKind::add_foreign_key}))
      << listed(diff);
  expect_replays(models, db, diff, Dialect::postgresql);
}

TEST(AutogenerateCompare, KeyColumnsAndIdentityNeedNoNullabilityOrDefault) {
  MetaData db, models;
  db.tables.push_back(table("t"));
  db.tables[0].columns[0].nullable = true;  // SQLite's rowid key reports nullable
  db.tables[0].columns[0].identity = true;
  models.tables.push_back(table("t"));
  models.tables[0].columns[0].identity = true;
  models.tables[0].columns[0].type = types::integer();
  EXPECT_TRUE(compare(models, db, on(Dialect::sqlite)).empty());
}

TEST(AutogenerateCompare, PostgresqlOnlyObjectsAreNotComparedOnSqlite) {
  MetaData models;
  models.tables.push_back(table("t", {col("doc", types::jsonb())}));
  schema::Index gin = index("ix_t_doc", {"doc"});
  gin.method = "gin";
  gin.postgresql_only = true;
  models.tables[0].indexes.push_back(gin);
  models.tables[0].check_constraints.push_back({"ck_pg", {"doc ? 'a'", ""}});
  MetaData db = models;
  db.tables[0].indexes.clear();
  db.tables[0].check_constraints.clear();
  EXPECT_TRUE(compare(models, db, on(Dialect::sqlite)).empty());
  EXPECT_EQ(compare(models, db, on(Dialect::postgresql)).operations.size(), 2u);
}

TEST(AutogenerateNormalize, SpellingsOfTheSameExpression) {
  EXPECT_EQ(normalize_sql("'x'::text"), normalize_sql("'x'"));
  EXPECT_EQ(normalize_sql("'x'::character varying"), normalize_sql("'x'"));
  EXPECT_EQ(normalize_sql("'-1'::integer"), normalize_sql("-1"));
  EXPECT_EQ(normalize_sql("(strftime('%Y', 'now'))"), normalize_sql("strftime('%Y', 'now')"));
  EXPECT_EQ(normalize_sql("'open'::ticket_status"), normalize_sql("'open'"));
  EXPECT_EQ(normalize_sql("(status = ANY (ARRAY['a'::text, 'b'::text]))"),
            normalize_sql("status IN ('a', 'b')"));
  EXPECT_EQ(normalize_sql("length((code)::text) > 2"), normalize_sql("length(code::text) > 2"));
  EXPECT_EQ(normalize_sql("NOW()"), normalize_sql("now( )"));
  EXPECT_EQ(normalize_sql("\"Weird\" + \"plain\""), "\"Weird\"+plain");
  // What must stay different.
  EXPECT_NE(normalize_sql("'X'"), normalize_sql("'x'"));
  EXPECT_NE(normalize_sql("now()"), normalize_sql("CURRENT_TIMESTAMP"));
  EXPECT_NE(normalize_sql("(a + b) * c"), normalize_sql("a + b * c"));
}

}  // namespace
}  // namespace retort::autogenerate::testing

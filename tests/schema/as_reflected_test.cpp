// as_reflected(): each rule of what a dialect keeps of model metadata, without a database.
#include <gtest/gtest.h>

#include "retort/inspect.hpp"
#include "schema/schema_printers.hpp"

namespace retort::schema {
namespace {

Column column(std::string name, ColumnType type, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.nullable = nullable;
  return c;
}

MetaData sample() {
  MetaData m;
  Table t;
  t.name = "zeta";
  t.comment = "a table";
  t.columns.push_back(column("id", types::integer()));
  t.columns.back().identity = true;
  t.columns.push_back(column("doc", types::json()));
  t.columns.back().comment = "a column";
  t.columns.push_back(column("tags", types::array_of(types::text())));
  t.columns.push_back(column("state", types::enum_("used")));
  t.columns.push_back(column("states", types::array_of(types::enum_("in_array"))));
  t.columns.push_back(column("ip", types::custom("inet", "TEXT")));
  t.columns.push_back(column("at", types::timestamptz()));
  t.columns.back().server_default = DialectSql("now()", "CURRENT_TIMESTAMP");
  t.columns.push_back(column("pg_default_only", types::text()));
  t.columns.back().server_default = DialectSql("'x'::text", "");
  t.primary_key.columns = {"id"};
  t.check_constraints.push_back({"z_check", DialectSql("id > 0")});
  t.check_constraints.push_back({"a_check", DialectSql("doc IS NOT NULL", "")});
  Index gin;
  gin.name = "ix_gin";
  gin.elements.push_back({"doc", {}, "jsonb_path_ops", false});
  gin.method = "gin";
  gin.postgresql_only = true;
  t.indexes.push_back(gin);
  Index btree;
  btree.name = "ix_btree";
  btree.method = "btree";
  btree.elements.push_back({"", DialectSql("lower(ip)", "lower(ip)"), "", true});
  btree.where = DialectSql("ip IS NOT NULL");
  t.indexes.push_back(btree);
  m.tables.push_back(t);
  Table a;
  a.name = "alpha";
  m.tables.push_back(a);
  m.enums.push_back({"used", {"a"}});
  m.enums.push_back({"in_array", {"b"}});
  m.enums.push_back({"unused", {"c"}});
  return m;
}

TEST(AsReflected, PostgresqlKeepsItsHalfAndSortsByName) {
  MetaData m = as_reflected(sample(), Dialect::postgresql);
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[0].name, "alpha");
  const Table& t = m.tables[1];
  EXPECT_EQ(t.comment, "a table");
  EXPECT_EQ(t.primary_key, (PrimaryKey{"zeta_pkey", {"id"}})) << "the server's name for it";
  EXPECT_FALSE(t.columns[0].nullable) << "identity and key columns are NOT NULL";
  EXPECT_EQ(t.columns[0].type, types::integer());
  EXPECT_EQ(t.columns[1].type, types::json());
  EXPECT_EQ(t.columns[1].comment, "a column");
  EXPECT_EQ(t.columns[5].type, types::custom("inet", ""));
  EXPECT_EQ(t.columns[6].server_default, DialectSql("now()", ""));
  EXPECT_EQ(t.columns[7].server_default, DialectSql("'x'::text", ""));
  ASSERT_EQ(t.check_constraints.size(), 2u);
  EXPECT_EQ(t.check_constraints[0],
            (CheckConstraint{"a_check", DialectSql("doc IS NOT NULL", "")}));
  ASSERT_EQ(t.indexes.size(), 2u);
  EXPECT_EQ(t.indexes[0].name, "ix_btree");
  EXPECT_EQ(t.indexes[0].method, "") << "btree is the empty method";
  EXPECT_EQ(t.indexes[0].where, DialectSql("ip IS NOT NULL", ""));
  EXPECT_EQ(t.indexes[0].elements[0].expression, DialectSql("lower(ip)", ""));
  EXPECT_EQ(t.indexes[1].name, "ix_gin");
  EXPECT_FALSE(t.indexes[1].postgresql_only);
  EXPECT_EQ(t.indexes[1].elements[0].operator_class, "jsonb_path_ops");
  ASSERT_EQ(m.enums.size(), 3u);
  EXPECT_EQ(m.enums[0].name, "in_array");
}

TEST(AsReflected, SqliteKeepsWhatSqliteCanStore) {
  MetaData m = as_reflected(sample(), Dialect::sqlite);
  const Table& t = m.tables.at(1);
  EXPECT_EQ(t.comment, "");
  EXPECT_EQ(t.primary_key.name, "") << "SQLite has no name for an unnamed key";
  EXPECT_EQ(t.columns[0].type, types::bigint()) << "identity is a 64-bit rowid";
  EXPECT_TRUE(t.columns[0].nullable);
  EXPECT_EQ(t.columns[1].type, types::jsonb()) << "json and jsonb are both JSON";
  EXPECT_EQ(t.columns[1].comment, "");
  EXPECT_EQ(t.columns[2].type, types::jsonb()) << "arrays are JSON text";
  EXPECT_EQ(t.columns[3].type, types::enum_("used"));
  EXPECT_EQ(t.columns[4].type, types::jsonb());
  EXPECT_EQ(t.columns[5].type, types::text()) << "custom TEXT reads back as text";
  EXPECT_EQ(t.columns[6].server_default, DialectSql("", "CURRENT_TIMESTAMP"));
  EXPECT_FALSE(t.columns[7].server_default.has_value()) << "no SQLite spelling, no default";
  ASSERT_EQ(t.check_constraints.size(), 1u);
  EXPECT_EQ(t.check_constraints[0], (CheckConstraint{"z_check", DialectSql("", "id > 0")}));
  ASSERT_EQ(t.indexes.size(), 1u) << "the PostgreSQL-only index is not created";
  EXPECT_EQ(t.indexes[0].method, "");
  EXPECT_EQ(t.indexes[0].elements[0].expression, DialectSql("", "lower(ip)"));
  ASSERT_EQ(m.enums.size(), 1u) << "only enums a (non-array) column's CHECK names";
  EXPECT_EQ(m.enums[0].name, "used");
}

TEST(AsReflected, PostgresqlKeyNameIsCutLikeTheServerCutsIt) {
  MetaData m;
  Table t;
  t.name = std::string(57, 'a') + "\xc3\xa9" + "tail";  // é straddles byte 58
  t.columns.push_back(column("id", types::integer()));
  t.primary_key.columns = {"id"};
  m.tables.push_back(t);
  EXPECT_EQ(as_reflected(m, Dialect::postgresql).tables[0].primary_key.name,
            std::string(57, 'a') + "_pkey");
  m.tables[0].primary_key.name = "given";
  EXPECT_EQ(as_reflected(m, Dialect::postgresql).tables[0].primary_key.name, "given");
}

}  // namespace
}  // namespace retort::schema

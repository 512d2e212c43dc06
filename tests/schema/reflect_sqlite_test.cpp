// SQLite reflection, feature by feature: objects created with SQL, read back with reflect().
#include <gtest/gtest.h>

#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "retort/inspect.hpp"
#include "schema/schema_printers.hpp"
#include "support/test_db.hpp"

namespace retort::schema {
namespace {

class ReflectSqlite : public ::testing::Test {
 protected:
  ReflectSqlite() : connection_(connect(database_.url())) {}

  Table table(const std::string& name, const ReflectOptions& options = {}) {
    MetaData metadata = reflect(*connection_, options);
    const Table* found = metadata.find_table(name);
    if (found == nullptr) throw std::runtime_error("reflect did not find table " + name);
    return *found;
  }

  static const Column& column(const Table& t, const std::string& name) {
    const Column* found = t.find_column(name);
    if (found == nullptr) throw std::runtime_error("no column " + name + " in " + t.name);
    return *found;
  }

  testing::TestDatabase database_{Dialect::sqlite};
  std::unique_ptr<Connection> connection_;
};

TEST_F(ReflectSqlite, DeclaredTypesMapBackToTheKindsDdlRenders) {
  connection_->execute_script(R"sql(
    CREATE TABLE typed (u UUID, t TEXT, v VARCHAR(120), vn VARCHAR, s SMALLINT, i INTEGER,
      b BIGINT, r REAL, d DOUBLE, n NUMERIC(10,2), nn NUMERIC, bo BOOLEAN, by BLOB,
      tz TIMESTAMPTZ, ts TIMESTAMP, dt DATE, j JSON, lower_case varchar(7), odd "CHAR(3)",
      untyped))sql");
  Table t = table("typed");
  auto kind = [&](const char* name) { return column(t, name).type; };
  EXPECT_EQ(kind("u"), types::uuid());
  EXPECT_EQ(kind("t"), types::text());
  EXPECT_EQ(kind("v"), types::varchar(120));
  EXPECT_EQ(kind("vn"), types::varchar(0));
  EXPECT_EQ(kind("s"), types::smallint());
  EXPECT_EQ(kind("i"), types::integer());
  EXPECT_EQ(kind("b"), types::bigint());
  EXPECT_EQ(kind("r"), types::real());
  EXPECT_EQ(kind("d"), types::double_precision());
  EXPECT_EQ(kind("n"), types::numeric(10, 2));
  EXPECT_EQ(kind("nn"), types::numeric(0, 0));
  EXPECT_EQ(kind("bo"), types::boolean());
  EXPECT_EQ(kind("by"), types::bytes());
  EXPECT_EQ(kind("tz"), types::timestamptz());
  EXPECT_EQ(kind("ts"), types::timestamp());
  EXPECT_EQ(kind("dt"), types::date());
  EXPECT_EQ(kind("j"), types::jsonb()) << "SQLite cannot tell json from jsonb: both read as jsonb";
  EXPECT_EQ(kind("lower_case"), types::varchar(7));
  EXPECT_EQ(kind("odd"), types::custom("", "CHAR(3)"));
  EXPECT_EQ(kind("untyped"), types::custom("", ""));
}

TEST_F(ReflectSqlite, DdlChecksFoldIntoJsonAndEnumColumns) {
  connection_->execute_script(R"(
    CREATE TABLE folded (
      "data" JSON NOT NULL CHECK (json_valid("data")),
      ctx JSON CHECK (ctx IS NULL OR json_valid(ctx)),
      status TEXT NOT NULL CONSTRAINT "ticket_status" CHECK ("status" IN ('open', 'it''s closed')),
      again TEXT CONSTRAINT ticket_status CHECK (again IN ('open', 'it''s closed')),
      qty INTEGER CONSTRAINT qty_positive CHECK (qty > 0),
      note TEXT CHECK (note IN ('unnamed', 'stays a check')),
      CONSTRAINT table_level CHECK (qty < 100)))");
  MetaData metadata = reflect(*connection_);
  const Table& t = metadata.tables.at(0);
  EXPECT_EQ(column(t, "data").type, types::jsonb());
  EXPECT_EQ(column(t, "ctx").type, types::jsonb());
  EXPECT_EQ(column(t, "status").type, types::enum_("ticket_status"));
  EXPECT_EQ(column(t, "again").type, types::enum_("ticket_status"));
  ASSERT_EQ(metadata.enums.size(), 1u);
  EXPECT_EQ(metadata.enums[0], (EnumType{"ticket_status", {"open", "it's closed"}}));
  // Sorted by name (the unnamed one first), the SQLite half holding the text as written.
  ASSERT_EQ(t.check_constraints.size(), 3u);
  EXPECT_EQ(t.check_constraints[0],
            (CheckConstraint{"", DialectSql("", "note IN ('unnamed', 'stays a check')")}));
  EXPECT_EQ(t.check_constraints[1], (CheckConstraint{"qty_positive", DialectSql("", "qty > 0")}));
  EXPECT_EQ(t.check_constraints[2], (CheckConstraint{"table_level", DialectSql("", "qty < 100")}));
}

TEST_F(ReflectSqlite, DefaultsIdentityGeneratedAndNullability) {
  connection_->execute_script(R"(
    CREATE TABLE t (
      id INTEGER CONSTRAINT t_pkey PRIMARY KEY AUTOINCREMENT NOT NULL,
      required TEXT NOT NULL,
      created TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
      stamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
      zero SMALLINT DEFAULT 0,
      label TEXT DEFAULT 'it''s',
      doubled INTEGER GENERATED ALWAYS AS (zero * 2) STORED,
      tripled INTEGER AS (zero * 3));
    CREATE TABLE plain_rowid (id INTEGER PRIMARY KEY, v TEXT))");
  Table t = table("t");
  const Column& id = column(t, "id");
  EXPECT_TRUE(id.identity);
  EXPECT_EQ(id.type, types::bigint()) << "a rowid is 64-bit";
  EXPECT_FALSE(id.nullable);
  EXPECT_EQ(t.primary_key, (PrimaryKey{"t_pkey", {"id"}}));
  EXPECT_FALSE(column(t, "required").nullable);
  EXPECT_TRUE(column(t, "created").nullable);
  // Defaults verbatim as written, in the SQLite half.
  EXPECT_EQ(column(t, "created").server_default,
            DialectSql("", "(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))"));
  EXPECT_EQ(column(t, "stamp").server_default, DialectSql("", "CURRENT_TIMESTAMP"));
  EXPECT_EQ(column(t, "zero").server_default, DialectSql("", "0"));
  EXPECT_EQ(column(t, "label").server_default, DialectSql("", "'it''s'"));
  EXPECT_EQ(column(t, "doubled").generated, DialectSql("", "zero * 2"));
  EXPECT_EQ(column(t, "tripled").generated, DialectSql("", "zero * 3"))
      << "virtual reads as generated";
  EXPECT_FALSE(column(t, "doubled").server_default.has_value());
  // INTEGER PRIMARY KEY without AUTOINCREMENT may reuse ids: not identity.
  Table plain = table("plain_rowid");
  EXPECT_FALSE(column(plain, "id").identity);
  EXPECT_EQ(column(plain, "id").type, types::integer());
  EXPECT_EQ(plain.primary_key, (PrimaryKey{"", {"id"}}));
}

TEST_F(ReflectSqlite, KeysUniqueConstraintsAndForeignKeysWithNames) {
  connection_->execute_script(R"(
    CREATE TABLE parent (a INTEGER, b INTEGER, code TEXT CONSTRAINT parent_code_key UNIQUE,
      other TEXT UNIQUE,
      CONSTRAINT "parent key" PRIMARY KEY (b, a), CONSTRAINT parent_a_b UNIQUE (a, b));
    CREATE TABLE child (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER,
      code TEXT CONSTRAINT child_code REFERENCES parent (code) ON DELETE RESTRICT
        ON UPDATE SET DEFAULT,
      whole INTEGER REFERENCES solo,
      CONSTRAINT child_parent FOREIGN KEY (b, a) REFERENCES parent (b, a)
        ON DELETE CASCADE ON UPDATE SET NULL);
    CREATE TABLE solo (id UUID NOT NULL PRIMARY KEY))");
  Table parent = table("parent");
  EXPECT_EQ(parent.primary_key, (PrimaryKey{"parent key", {"b", "a"}}));
  ASSERT_EQ(parent.unique_constraints.size(), 3u);
  EXPECT_EQ(parent.unique_constraints[0], (UniqueConstraint{"", {"other"}}));
  EXPECT_EQ(parent.unique_constraints[1], (UniqueConstraint{"parent_a_b", {"a", "b"}}));
  EXPECT_EQ(parent.unique_constraints[2], (UniqueConstraint{"parent_code_key", {"code"}}));
  EXPECT_TRUE(parent.indexes.empty()) << "automatic indexes are constraints, not indexes";

  Table child = table("child");
  ASSERT_EQ(child.foreign_keys.size(), 3u);
  const ForeignKey& unnamed = child.foreign_keys[0];
  EXPECT_EQ(unnamed.name, "");
  EXPECT_EQ(unnamed.referred_table, "solo");
  EXPECT_EQ(unnamed.referred_columns, std::vector<std::string>{"id"}) << "the referred key";
  const ForeignKey& code = child.foreign_keys[1];
  EXPECT_EQ(code.name, "child_code");
  EXPECT_EQ(code.columns, std::vector<std::string>{"code"});
  EXPECT_EQ(code.on_delete, ReferentialAction::restrict);
  EXPECT_EQ(code.on_update, ReferentialAction::set_default);
  const ForeignKey& composite = child.foreign_keys[2];
  EXPECT_EQ(composite.name, "child_parent");
  EXPECT_EQ(composite.columns, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(composite.referred_columns, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(composite.on_delete, ReferentialAction::cascade);
  EXPECT_EQ(composite.on_update, ReferentialAction::set_null);
  EXPECT_EQ(composite.referred_schema, "");
  EXPECT_EQ(table("solo").primary_key, (PrimaryKey{"", {"id"}}));
}

TEST_F(ReflectSqlite, IndexesUniquePartialExpressionAndDesc) {
  connection_->execute_script(R"(
    CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, created TIMESTAMPTZ, status TEXT);
    CREATE INDEX "ix_lower" ON "docs" ((lower(title)));
    CREATE INDEX ix_bare ON docs (lower(status), id);
    CREATE INDEX ix_open ON docs (created DESC, id COLLATE NOCASE ASC) WHERE status <> 'closed';
    CREATE UNIQUE INDEX ux_title ON docs (title))");
  Table docs = table("docs");
  ASSERT_EQ(docs.indexes.size(), 4u);
  EXPECT_EQ(docs.indexes[0].name, "ix_bare");
  EXPECT_EQ(docs.indexes[0].elements,
            (std::vector<IndexElement>{{"", DialectSql("", "lower(status)"), "", false},
                                       {"id", {}, "", false}}));
  EXPECT_EQ(docs.indexes[1].name, "ix_lower");
  EXPECT_EQ(docs.indexes[1].elements,
            (std::vector<IndexElement>{{"", DialectSql("", "lower(title)"), "", false}}));
  const Index& open = docs.indexes[2];
  EXPECT_EQ(open.name, "ix_open");
  EXPECT_EQ(open.where, DialectSql("", "status <> 'closed'"));
  EXPECT_EQ(open.elements,
            (std::vector<IndexElement>{{"created", {}, "", true}, {"id", {}, "", false}}));
  EXPECT_FALSE(open.unique);
  EXPECT_TRUE(docs.indexes[3].unique);
  EXPECT_EQ(docs.indexes[3].method, "");
}

TEST_F(ReflectSqlite, NoCommentsAndNoSqliteTables) {
  connection_->execute_script(
      "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT); INSERT INTO a DEFAULT VALUES;"
      "CREATE TABLE b (id INTEGER); ANALYZE;");
  MetaData metadata = reflect(*connection_);
  ASSERT_EQ(metadata.tables.size(), 2u) << "sqlite_sequence and sqlite_stat1 are not user tables";
  EXPECT_EQ(metadata.tables[0].name, "a");
  EXPECT_EQ(metadata.tables[1].name, "b");
  EXPECT_EQ(metadata.tables[0].comment, "");
}

TEST_F(ReflectSqlite, AttachedDatabaseBySchemaName) {
  testing::TempDir dir;
  connection_->execute("ATTACH DATABASE $1 AS side", {(dir / "side.db").string()});
  connection_->execute_script(
      "CREATE TABLE main_only (id INTEGER); CREATE TABLE side.side_only (id INTEGER, "
      "ref INTEGER CONSTRAINT side_ref REFERENCES side_only (id));"
      "CREATE INDEX side.ix_side ON side_only (ref)");
  ReflectOptions options;
  options.schema = "side";
  MetaData metadata = reflect(*connection_, options);
  ASSERT_EQ(metadata.tables.size(), 1u);
  EXPECT_EQ(metadata.tables[0].name, "side_only");
  EXPECT_EQ(metadata.tables[0].schema, "side");
  EXPECT_EQ(metadata.tables[0].foreign_keys.at(0).name, "side_ref");
  EXPECT_EQ(metadata.tables[0].indexes.at(0).name, "ix_side");
  EXPECT_EQ(reflect(*connection_).tables.at(0).name, "main_only");
  options.schema = "no_such_database";
  EXPECT_THROW(reflect(*connection_, options), DatabaseError);
}

TEST_F(ReflectSqlite, QueryCountDoesNotGrowWithTables) {
  auto create_tables = [&](int from, int to) {
    std::string script;
    for (int n = from; n < to; ++n) {
      std::string t = "t" + std::to_string(n);
      script += "CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, v TEXT UNIQUE);CREATE INDEX ix_" +
                t + " ON " + t + " (lower(v));";
    }
    connection_->execute_script(script);
  };
  create_tables(0, 5);
  ReflectStats few;
  EXPECT_EQ(reflect(*connection_, {}, &few).tables.size(), 5u);
  create_tables(5, 200);
  ReflectStats many;
  EXPECT_EQ(reflect(*connection_, {}, &many).tables.size(), 200u);
  EXPECT_EQ(few.catalog_queries, many.catalog_queries);
}

}  // namespace
}  // namespace retort::schema

// The operations API of C++ revisions on both backends: tables, columns (SQLite rebuilds keep
// every row), indexes, constraints, enum types, statements with parameters, bulk inserts,
// batch_alter_table, the inspector, and what each renders offline.
#include <gtest/gtest.h>

#include "migrate/operations/cpp_revision_support.hpp"
#include "migrate/operations/sql_literals.hpp"

namespace retort::migrate::runner_testing {
namespace {

using CppOperations = OnBothDialects;

// Runs one C++ revision (the only one of the environment) on the test database.
class Harness : public CppOperations {
 protected:
  void run(std::function<void(Operations&)> upgrade_body) {
    CppRevision r{.id = fmt::format("c{:03}", revisions_.size()),
                  .upgrade = std::move(upgrade_body)};
    if (!revisions_.empty()) r.down_revisions = {revisions_.back().id};
    revisions_.push_back(std::move(r));
    upgrade(db_, "head", options());
  }
  std::string offline(std::function<void(Operations&)> upgrade_body) {
    CppRevision r{.id = "c900", .upgrade = std::move(upgrade_body)};
    MigrateOptions o = env_.options();
    o.revisions = {r};
    return upgrade_sql(db_.dialect(), "head", o);
  }
  MigrateOptions options() {
    MigrateOptions o = env_.options();
    o.revisions = revisions_;
    return o;
  }
  // The table as reflection reads it now.
  schema::Table table(const std::string& name) {
    std::optional<schema::Table> out;
    run([&](Operations& op) { out = op.inspector().get_table(name); });
    EXPECT_TRUE(out.has_value()) << name;
    return out.value_or(schema::Table{});
  }
  std::vector<CppRevision> revisions_;
};

schema::Table items_table() {
  return {.name = "items",
          .columns = {{.name = "id", .type = types::integer(), .nullable = false},
                      {.name = "code", .type = types::text()},
                      {.name = "qty", .type = types::text()}},
          .primary_key = {.columns = {"id"}}};
}

void create_items(Operations& op) {
  op.create_table(items_table());
  op.bulk_insert("items", {"id", "code", "qty"},
                 {{1, "a", "10"}, {2, "b", "20"}, {3, std::nullopt, "30"}});
}

TEST_P(Harness, AlterColumnChangesTypeNullabilityDefaultAndNameKeepingRows) {
  run(create_items);
  run([](Operations& op) {
    op.alter_column("items", "qty",
                    {.type = types::integer(), .nullable = false, .server_default = {"0"}});
    op.alter_column("items", "code", {.new_name = "label"});
  });
  const schema::Table t = table("items");
  ASSERT_NE(t.find_column("qty"), nullptr);
  EXPECT_EQ(t.find_column("qty")->type.kind, schema::ColumnType::Kind::integer);
  EXPECT_FALSE(t.find_column("qty")->nullable);
  EXPECT_TRUE(t.find_column("qty")->server_default.has_value());
  EXPECT_EQ(t.find_column("code"), nullptr);
  EXPECT_NE(t.find_column("label"), nullptr);
  EXPECT_EQ(column(db_, "SELECT qty + 1 FROM items ORDER BY id"),
            (std::vector<std::string>{"11", "21", "31"}));
  EXPECT_EQ(column(db_, "SELECT coalesce(label, '-') FROM items ORDER BY id"),
            (std::vector<std::string>{"a", "b", "-"}));
}

TEST_P(Harness, ColumnsAddedAndDropped) {
  run(create_items);
  run([](Operations& op) {
    op.add_column("items", {.name = "note", .type = types::varchar(20)});
    op.add_column(
        "items",
        {.name = "rank", .type = types::integer(), .nullable = false, .server_default = {"7"}});
    op.drop_column("items", "qty");
  });
  EXPECT_EQ(column(db_, "SELECT rank FROM items ORDER BY id"),
            (std::vector<std::string>{"7", "7", "7"}));
  const schema::Table t = table("items");
  EXPECT_EQ(t.find_column("qty"), nullptr);
  EXPECT_NE(t.find_column("note"), nullptr);
}

TEST_P(Harness, IndexesAndConstraintsCreatedAndDroppedByName) {
  run(create_items);
  run([](Operations& op) {
    op.create_table({.name = "owners",
                     .columns = {{.name = "id", .type = types::integer(), .nullable = false}},
                     .primary_key = {.columns = {"id"}}});
    op.bulk_insert("owners", {"id"}, {{1}});
    op.add_column("items", {.name = "owner_id", .type = types::integer()});
    op.create_index("items", "ix_items_code", {"code"});
    op.create_unique_constraint("items", {.name = "uq_items_qty", .columns = {"qty"}});
    op.create_foreign_key("items", {.name = "fk_items_owner",
                                    .columns = {"owner_id"},
                                    .referred_table = "owners",
                                    .referred_columns = {"id"}});
    op.create_check_constraint("items", {.name = "ck_items_code", .expression = {"code <> ''"}});
  });
  bool index = false, unique = false, fk = false, check = false;
  run([&](Operations& op) {
    index = op.inspector().has_index("items", "ix_items_code");
    unique = op.inspector().has_constraint("items", "uq_items_qty");
    fk = op.inspector().has_constraint("items", "fk_items_owner");
    check = op.inspector().has_constraint("items", "ck_items_code");
  });
  EXPECT_TRUE(index && unique && fk && check) << index << unique << fk << check;
  PooledConnection c = db_.connection();
  EXPECT_THROW(c->execute("INSERT INTO items (id, code, qty) VALUES (9, 'z', '10')"),
               UniqueViolation);
  EXPECT_THROW(c->execute("INSERT INTO items (id, code, qty, owner_id) VALUES (9, 'z', '9', 5)"),
               ForeignKeyViolation);
  EXPECT_THROW(c->execute("INSERT INTO items (id, code, qty) VALUES (9, '', '9')"), CheckViolation);

  run([](Operations& op) {
    op.drop_index("items", "ix_items_code");
    op.drop_constraint("items", "uq_items_qty");
    op.drop_constraint("items", "fk_items_owner");
    op.drop_constraint("items", "ck_items_code");
  });
  const schema::Table t = table("items");
  EXPECT_TRUE(t.indexes.empty());
  EXPECT_TRUE(t.unique_constraints.empty());
  EXPECT_TRUE(t.foreign_keys.empty());
  EXPECT_TRUE(t.check_constraints.empty());
  EXPECT_EQ(column(db_, "SELECT count(*) FROM items"), std::vector<std::string>{"3"});
}

TEST_P(Harness, DroppingAnUnknownConstraintSaysWhich) {
  run(create_items);
  try {
    run([](Operations& op) { op.drop_constraint("items", "nope"); });
    FAIL() << "expected an error";
  } catch (const Error& e) {
    if (db_.dialect() == Dialect::sqlite) {
      EXPECT_NE(std::string(e.what()).find("table items has no constraint named nope"),
                std::string::npos)
          << e.what();
    }
    EXPECT_NE(std::string(e.what()).find("c001"), std::string::npos) << e.what();
  }
}

TEST_P(Harness, BatchAlterTableAppliesEveryChangeKeepingRowsIndexesAndTriggers) {
  run(create_items);
  run([](Operations& op) {
    op.create_index("items", "ix_items_code", {"code"});
    if (op.dialect() == Dialect::sqlite) {
      op.execute(
          "CREATE TABLE audit (n INTEGER); CREATE TRIGGER items_audit AFTER INSERT ON items "
          "BEGIN INSERT INTO audit (n) VALUES (NEW.id); END");
    }
  });
  run([](Operations& op) {
    op.batch_alter_table("items", [](BatchOperations& batch) {
      batch.alter_column("qty", {.type = types::integer(), .nullable = false});
      batch.add_column({.name = "created", .type = types::text(), .server_default = {"'x'"}});
      batch.create_check_constraint({.name = "ck_qty", .expression = {"qty > 0"}});
      batch.drop_index("ix_items_code");  // PostgreSQL would drop it with the column; SQLite not
      batch.drop_column("code");
    });
  });
  EXPECT_EQ(column(db_, "SELECT id || ':' || qty || ':' || created FROM items ORDER BY id"),
            (std::vector<std::string>{"1:10:x", "2:20:x", "3:30:x"}));
  const schema::Table t = table("items");
  EXPECT_EQ(t.find_column("code"), nullptr);
  EXPECT_EQ(t.check_constraints.size(), 1u);
  if (db_.dialect() == Dialect::sqlite) {
    PooledConnection c = db_.connection();
    c->execute("INSERT INTO items (id, qty) VALUES (4, 40)");
    EXPECT_EQ(column(db_, "SELECT n FROM audit"), std::vector<std::string>{"4"});
  }
}

TEST_P(Harness, EnumColumnsOnBothDialects) {
  run([](Operations& op) {
    op.create_enum({.name = "mood", .values = {"ok", "sad"}});
    op.create_table({.name = "people",
                     .columns = {{.name = "id", .type = types::integer(), .nullable = false},
                                 {.name = "mood", .type = types::enum_("mood")}},
                     .primary_key = {.columns = {"id"}}});
    op.execute("INSERT INTO people (id, mood) VALUES ($1, $2)", {1, "ok"});
  });
  PooledConnection c = db_.connection();
  EXPECT_THROW(c->execute("INSERT INTO people (id, mood) VALUES (2, 'angry')"), DatabaseError);
  run([](Operations& op) {
    // An enum type of an earlier revision: SQLite reads its values from the table's CHECK.
    op.add_column("people", {.name = "other_mood", .type = types::enum_("mood")});
  });
  EXPECT_TRUE(table("people").find_column("other_mood") != nullptr);
}

TEST_P(Harness, InspectorReadsTablesColumnsAndKeys) {
  run(create_items);
  std::vector<std::string> names;
  std::vector<schema::Column> columns;
  schema::PrimaryKey key;
  bool has_items = false, has_nothing = true, has_qty = false;
  run([&](Operations& op) {
    names = op.inspector().get_table_names();
    columns = op.inspector().get_columns("items");
    key = op.inspector().get_pk_constraint("items");
    has_items = op.inspector().has_table("items");
    has_nothing = op.inspector().has_table("nothing");
    has_qty = op.inspector().has_column("items", "qty");
  });
  EXPECT_EQ(names, std::vector<std::string>{"items"});
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[1].name, "code");
  EXPECT_EQ(key.columns, std::vector<std::string>{"id"});
  EXPECT_TRUE(has_items);
  EXPECT_FALSE(has_nothing);
  EXPECT_TRUE(has_qty);
}

TEST_P(Harness, QueryReadsRowsForADataMigration) {
  run(create_items);
  run([](Operations& op) {
    op.add_column("items", {.name = "qty_number", .type = types::integer()});
    for (const Row& row : op.query("SELECT id, qty FROM items WHERE qty <> $1", {"20"})) {
      op.execute("UPDATE items SET qty_number = $1 WHERE id = $2",
                 {std::stoll(row.get<std::string>("qty")) * 2, row.get<std::int64_t>("id")});
    }
  });
  EXPECT_EQ(column(db_, "SELECT coalesce(qty_number, -1) FROM items ORDER BY id"),
            (std::vector<std::string>{"20", "-1", "60"}));
}

TEST_P(Harness, OfflineRendersParametersAndBulkRowsAsLiterals) {
  const std::string sql = offline([](Operations& op) {
    create_items(op);
    op.execute("UPDATE items SET code = $1 WHERE qty = $2 AND code <> '$1'", {"it's", 10});
  });
  EXPECT_NE(sql.find("INSERT INTO \"items\" (\"id\", \"code\", \"qty\") VALUES\n  (1, 'a', '10'),\n"
                     "  (2, 'b', '20'),\n  (3, NULL, '30');"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("UPDATE items SET code = 'it''s' WHERE qty = 10 AND code <> '$1';"),
            std::string::npos)
      << sql;
}

TEST_P(Harness, OfflineSqliteRebuildNeedsTheTableDefinition) {
  if (db_.dialect() == Dialect::postgresql) {
    const std::string sql = offline(
        [](Operations& op) { op.alter_column("items", "qty", {.type = types::integer()}); });
    EXPECT_NE(sql.find("ALTER TABLE \"items\" ALTER COLUMN \"qty\" TYPE integer"),
              std::string::npos)
        << sql;
    return;
  }
  const CannotRenderOffline e = error_of<CannotRenderOffline>([&] {
    offline([](Operations& op) { op.alter_column("items", "qty", {.type = types::integer()}); });
  });
  EXPECT_NE(std::string(e.what()).find("alter_column on SQLite, which rebuilds table items"),
            std::string::npos)
      << e.what();
  // With copy_from: one rebuild for the whole batch.
  const std::string sql = offline([](Operations& op) {
    op.batch_alter_table("items",
                         [](BatchOperations& batch) {
                           batch.alter_column("qty", {.type = types::integer()});
                           batch.alter_column("code", {.nullable = false});
                         },
                         {.copy_from = items_table()});
  });
  std::size_t rebuilds = 0;
  for (std::size_t at = sql.find("CREATE TABLE \"_retort_new_items\""); at != std::string::npos;
       at = sql.find("CREATE TABLE \"_retort_new_items\"", at + 1)) {
    ++rebuilds;
  }
  EXPECT_EQ(rebuilds, 1u) << sql;
  EXPECT_NE(sql.find("-- SQLite: triggers on items cannot be read offline"), std::string::npos)
      << sql;
  EXPECT_NE(sql.find("PRAGMA foreign_keys = OFF"), std::string::npos) << sql;
}

INSTANTIATE_TEST_SUITE_P(Dialects, Harness, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

TEST(SqlLiterals, ValuesReadBackAsThemselves) {
  using detail::value_literal;
  EXPECT_EQ(value_literal(Value(), Dialect::sqlite), "NULL");
  EXPECT_EQ(value_literal(true, Dialect::postgresql), "TRUE");
  EXPECT_EQ(value_literal(true, Dialect::sqlite), "1");
  EXPECT_EQ(value_literal(-42, Dialect::sqlite), "-42");
  EXPECT_EQ(value_literal(0.1, Dialect::postgresql), "0.1");
  EXPECT_EQ(value_literal(std::numeric_limits<double>::infinity(), Dialect::postgresql),
            "'Infinity'");
  EXPECT_EQ(value_literal("o'clock", Dialect::postgresql), "'o''clock'");
  EXPECT_EQ(value_literal(Bytes{"\x01\xff"}, Dialect::postgresql), "'\\x01ff'");
  EXPECT_EQ(value_literal(Bytes{"\x01\xff"}, Dialect::sqlite), "X'01ff'");
  EXPECT_EQ(value_literal(Timestamp::from_micros(1), Dialect::sqlite),
            "'1970-01-01T00:00:00.000001Z'");
  EXPECT_THROW(value_literal(std::nan(""), Dialect::sqlite), UsageError);
}

TEST(SqlLiterals, PlaceholdersOutsideQuotesAndCommentsAreReplaced) {
  using detail::inline_parameters;
  EXPECT_EQ(
      inline_parameters("SELECT $1, '$1', \"$1\", $2 -- $1\n/* $2 */ $$ $1 $$, $body$ $2 $body$",
                        {1, "x"}, Dialect::postgresql),
      "SELECT 1, '$1', \"$1\", 'x' -- $1\n/* $2 */ $$ $1 $$, $body$ $2 $body$");
  EXPECT_EQ(inline_parameters("SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10",
                              {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Dialect::sqlite),
            "SELECT 1,2,3,4,5,6,7,8,9,10");
  EXPECT_THROW(inline_parameters("SELECT $3", {1, 2}, Dialect::sqlite), UsageError);
  EXPECT_THROW(inline_parameters("SELECT $1", {1, 2}, Dialect::sqlite), UsageError);
}

}  // namespace
}  // namespace retort::migrate::runner_testing

// SQLite move-and-copy on a live database: every row stays, indexes and triggers come back,
// foreign keys keep holding (and a child's ON DELETE CASCADE does not fire while its parent is
// rebuilt), and a rebuild that breaks a foreign key rolls the revision back.
#include <gtest/gtest.h>

#include "migrate/autogenerate/autogenerate_support.hpp"

namespace retort::autogenerate::testing {
namespace {

class AutogenerateSqlite : public ::testing::Test {
 protected:
  AutogenerateSqlite() : ws_(Dialect::sqlite) {}

  static MetaData family() {
    MetaData m;
    m.tables.push_back(
        table("parents", {col("name", types::text()), col("age", types::integer())}));
    m.tables.back().indexes.push_back(index("ix_parents_name", {"name"}));
    m.tables.push_back(table("children", {col("parent_id", types::bigint(), false)}));
    m.tables.back().foreign_keys.push_back(
        foreign_key("children_parent_id_fkey", {"parent_id"}, "parents", {"id"}));
    m.tables.back().foreign_keys.back().on_delete = schema::ReferentialAction::cascade;
    m.tables.push_back(table("parent_log", {col("what", types::text())}));
    m.tables.back().columns[0].identity = true;  // written by a trigger on parents
    return m;
  }

  void fill() {
    ws_.execute(
        "INSERT INTO parents (id, name, age) VALUES (1, 'ann', 40), (2, 'bob', 41), (3, NULL, 42);"
        "INSERT INTO children (id, parent_id) VALUES (10, 1), (11, 2), (12, 2);"
        "CREATE TRIGGER parents_log AFTER UPDATE ON parents BEGIN "
        "INSERT INTO parent_log (what) VALUES (new.name); END;");
  }

  std::vector<std::string> sqlite_master(const std::string& type) {
    return migrate::runner_testing::column(ws_.db(),
                                           "SELECT name FROM sqlite_master WHERE type = '" + type +
                                               "' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  }

  Workspace ws_;
};

TEST_F(AutogenerateSqlite, RebuildKeepsRowsIndexesTriggersAndForeignKeys) {
  ws_.migrate_to(family());
  fill();
  MetaData changed = family();
  Table& parents = changed.tables[0];
  parents.columns[1] = with_default(col("name", types::varchar(80), false), {"'?'"});
  parents.columns[2].type = types::bigint();
  parents.unique_constraints.push_back({"parents_name_key", {"name"}});
  parents.check_constraints.push_back({"ck_parents_age", {"age > 0"}});
  ws_.execute("UPDATE parents SET name = 'cy' WHERE id = 3");
  const std::string before = ws_.current().at(0);
  const GeneratedRevisions generated = ws_.migrate_to(changed);
  ASSERT_FALSE(generated.revisions.empty());
  EXPECT_NE(generated.revisions[0].content.find("-- SQLite foreign keys: off"), std::string::npos);
  EXPECT_NE(generated.revisions[0].content.find("INSERT INTO \"_retort_new_parents\""),
            std::string::npos);
  EXPECT_TRUE(ws_.pending(changed).empty()) << listed(ws_.pending(changed));

  EXPECT_EQ(ws_.count("SELECT count(*) FROM parents"), 3);
  EXPECT_EQ(ws_.count("SELECT count(*) FROM children"), 3);  // the cascade did not fire
  EXPECT_EQ(ws_.count("SELECT count(*) FROM parents WHERE name = 'ann' AND age = 40"), 1);
  EXPECT_EQ(sqlite_master("index"), std::vector<std::string>{"ix_parents_name"});
  EXPECT_THROW(ws_.execute("INSERT INTO parents (id, name) VALUES (7, 'ann')"), UniqueViolation);
  EXPECT_EQ(sqlite_master("trigger"), std::vector<std::string>{"parents_log"});
  ws_.execute("UPDATE parents SET age = 50 WHERE id = 1");
  EXPECT_EQ(ws_.count("SELECT count(*) FROM parent_log"), 2);  // one from before, one now
  // The foreign keys still hold and still cascade.
  EXPECT_THROW(ws_.execute("INSERT INTO children (id, parent_id) VALUES (13, 99)"),
               ForeignKeyViolation);
  ws_.execute("DELETE FROM parents WHERE id = 2");
  EXPECT_EQ(ws_.count("SELECT count(*) FROM children"), 1);
  EXPECT_EQ(ws_.count("PRAGMA foreign_keys"), 1);  // enforcement is back on

  // Offline, the pragmas surround the revision's own transaction as the runner does it.
  const std::string sql =
      migrate::upgrade_sql(Dialect::sqlite, before + ":head", ws_.env().options());
  EXPECT_NE(sql.find("PRAGMA foreign_keys = OFF;\n\nBEGIN;"), std::string::npos) << sql;
  EXPECT_NE(sql.find("COMMIT;\n\nPRAGMA foreign_keys = ON;"), std::string::npos) << sql;

  ws_.downgrade(before);  // PostgreSQL's online revision too, which is empty on SQLite
  EXPECT_TRUE(ws_.pending(family()).empty()) << listed(ws_.pending(family()));
  EXPECT_EQ(ws_.count("SELECT count(*) FROM parents"), 2);
  EXPECT_EQ(sqlite_master("trigger"), std::vector<std::string>{"parents_log"});
}

TEST_F(AutogenerateSqlite, ARebuildThatBreaksAForeignKeyRollsBack) {
  ws_.migrate_to(family());
  fill();
  // The new key column of parents no longer holds the ids children refer to.
  MetaData changed = family();
  changed.tables[1].foreign_keys[0].referred_columns = {"age"};
  changed.tables[0].unique_constraints.push_back({"parents_age_key", {"age"}});
  RevisionOptions options;
  options.message = "refer to age";
  options.migrate = ws_.env().options();
  revision(ws_.db(), changed, options);
  try {
    ws_.upgrade();
    FAIL() << "the upgrade should have failed";
  } catch (const migrate::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("foreign key violation"), std::string::npos) << e.what();
    EXPECT_TRUE(e.details().rolled_back);
  }
  EXPECT_EQ(ws_.count("SELECT count(*) FROM children"), 3);
  EXPECT_TRUE(ws_.pending(family()).empty());
  EXPECT_EQ(ws_.count("PRAGMA foreign_keys"), 1);
}

TEST_F(AutogenerateSqlite, SimpleColumnsAreAddedAndDroppedInPlace) {
  ws_.migrate_to(family());
  fill();
  MetaData changed = family();
  changed.tables[0].columns.push_back(col("nickname", types::text()));
  changed.tables[0].columns.push_back(with_default(col("score", types::integer(), false), {"0"}));
  changed.tables[0].columns.erase(changed.tables[0].columns.begin() + 2);  // age
  const GeneratedRevisions generated = ws_.migrate_to(changed);
  const std::string& content = generated.revisions[0].content;
  EXPECT_EQ(content.find("_retort_new_"), std::string::npos) << content;
  EXPECT_NE(content.find("ALTER TABLE \"parents\" DROP COLUMN \"age\""), std::string::npos);
  EXPECT_TRUE(ws_.pending(changed).empty());
  EXPECT_EQ(ws_.count("SELECT count(*) FROM parents WHERE score = 0"), 3);
}

}  // namespace
}  // namespace retort::autogenerate::testing

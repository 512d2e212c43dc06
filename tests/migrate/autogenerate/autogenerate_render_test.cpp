// Rendering against golden files (tests/migrate/autogenerate/goldens/autogenerate_*.sql;
// RETORT_UPDATE_GOLDENS=1 rewrites them): the PostgreSQL online-safe forms and their split into
// revisions, the plain forms, SQLite's move-and-copy, enum changes. What each rendered file does on
// a live database is the business of autogenerate_db_test and autogenerate_sqlite_test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "migrate/autogenerate/autogenerate_support.hpp"
#include "migrate/autogenerate/revision_text.hpp"
#include "retort/events.hpp"

namespace retort::autogenerate::testing {
namespace {

const std::filesystem::path kGoldens =
    std::filesystem::path(RETORT_SOURCE_DIR) / "tests/migrate/autogenerate/goldens";

// Every revision body as the file would hold it, minus the parts that change per run.
std::string files_of(const Diff& diff, const RenderOptions& options = {}) {
  std::string out;
  const Rendered rendered = render(diff, options);
  for (std::size_t i = 0; i < rendered.revisions.size(); ++i) {
    const RevisionBody& body = rendered.revisions[i];
    out += fmt::format("==== revision {}: {}\n", i + 1, body.role);
    for (const std::string& h : detail::extra_headers(body)) out += h + "\n";
    out += detail::header_comments(body, diff, i == 0 ? "" : "previous");
    out += detail::dialect_sections(body);
  }
  return out;
}

void expect_golden(const std::string& name, const std::string& text) {
  const std::filesystem::path file = kGoldens / name;
  if (std::getenv("RETORT_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(file, std::ios::binary) << text;
    return;
  }
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden " << file << " (run with RETORT_UPDATE_GOLDENS=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(text, expected.str()) << "golden " << file;
}

CompareOptions postgresql() {
  CompareOptions o;
  o.dialect = Dialect::postgresql;
  return o;
}

// An existing table gaining what is slow on a live database, and a new table.
Diff live_changes() {
  MetaData db;
  db.tables.push_back(table("owners"));
  db.tables.push_back(
      table("accounts", {col("email", types::text()), col("owner_id", types::bigint()),
                         col("status", types::text()), col("score", types::integer())}));
  MetaData models = db;
  Table& accounts = models.tables[1];
  accounts.columns[3].nullable = false;        // SET NOT NULL
  accounts.columns[4].type = types::bigint();  // a rewrite
  accounts.columns.push_back(
      with_default(col("token", types::uuid(), false), {"gen_random_uuid()"}));
  accounts.indexes.push_back(index("ix_accounts_status", {"status"}));
  accounts.unique_constraints.push_back({"accounts_email_key", {"email"}});
  accounts.foreign_keys.push_back(
      foreign_key("accounts_owner_id_fkey", {"owner_id"}, "owners", {"id"}));
  accounts.check_constraints.push_back({"ck_accounts_score", {"score >= 0"}});
  models.tables.push_back(table("audit", {col("account_id", types::bigint(), false)}));
  models.tables.back().indexes.push_back(index("ix_audit_account", {"account_id"}));
  return compare(models, db, postgresql());
}

TEST(AutogenerateRender, PostgresqlOnlineSafe) {
  expect_golden("autogenerate_online.sql", files_of(live_changes()));
}

TEST(AutogenerateRender, PostgresqlPlain) {
  RenderOptions plain;
  plain.online = false;
  const Rendered rendered = render(live_changes(), plain);
  ASSERT_EQ(rendered.revisions.size(), 1u);
  EXPECT_TRUE(rendered.revisions[0].transactional);
  expect_golden("autogenerate_plain.sql", files_of(live_changes(), plain));
}

// The events table as the original service's SQLAlchemy model made it (json, nullable data,
// timestamps without time zone), as PostgreSQL reflects it, compared with retort's Event model,
// with the size the comparison found.
Diff original_events_table() {
  MetaData db;
  Table events;
  events.name = "events";
  events.columns = {
      col("id", types::uuid(), false), col("data", types::json()),
      col("task_context", types::json()),
      with_default(col("created_at", types::timestamp(), false), schema::DialectSql("now()", "")),
      with_default(col("updated_at", types::timestamp(), false), schema::DialectSql("now()", ""))};
  events.primary_key = {"events_pkey", {"id"}};
  db.tables.push_back(events);
  Diff diff = compare(metadata<events::Event>(), db, postgresql());
  diff.sizes.push_back({"events", 1250000, std::int64_t{734} * 1024 * 1024});
  return diff;
}

// json -> jsonb as a column swap (trigger, batched backfill, short swap), timestamp ->
// timestamptz under SET LOCAL timezone TO 'UTC', the indexes CONCURRENTLY after the swap.
TEST(AutogenerateRender, PostgresqlOnlineTypeChangesOfTheOriginalEventsTable) {
  const Diff diff = original_events_table();
  const Rendered rendered = render(diff);
  ASSERT_EQ(rendered.revisions.size(), 2u);
  const std::vector<std::string>& main = rendered.revisions[0].upgrade_postgresql;
  for (const std::string& statement : main) {
    EXPECT_EQ(statement.find("\"data\" TYPE"), std::string::npos) << "rewrite: " << statement;
  }
  const std::string& warning = rendered.revisions[1].warnings.front();
  EXPECT_NE(warning.find("events: about 1250000 rows, 734 MB: the backfill"), std::string::npos)
      << warning;
  expect_golden("autogenerate_online_type_change.sql", files_of(diff));
}

// --plain: the ALTER COLUMN ... TYPE of before, with the size in its warning.
TEST(AutogenerateRender, PostgresqlPlainTypeChangesOfTheOriginalEventsTable) {
  RenderOptions plain;
  plain.online = false;
  const Diff diff = original_events_table();
  const Rendered rendered = render(diff, plain);
  ASSERT_EQ(rendered.revisions.size(), 1u);
  const std::vector<std::string>& up = rendered.revisions[0].upgrade_postgresql;
  EXPECT_NE(std::find(up.begin(), up.end(),
                      "ALTER TABLE \"events\" ALTER COLUMN \"data\" TYPE jsonb USING "
                      "\"data\"::jsonb"),
            up.end());
  expect_golden("autogenerate_plain_type_change.sql", files_of(diff, plain));
}

TEST(AutogenerateRender, SqliteMoveAndCopy) {
  MetaData db;
  db.tables.push_back(table("parents", {col("name", types::text())}));
  db.tables.back().indexes.push_back(index("ix_parents_name", {"name"}));
  db.tables.push_back(table("children", {col("parent_id", types::bigint())}));
  db.tables.back().foreign_keys.push_back(
      foreign_key("children_parent_id_fkey", {"parent_id"}, "parents", {"id"}));
  MetaData models = db;
  models.tables[0].columns[1].nullable = false;
  models.tables[0].columns.push_back(
      with_default(col("born", types::timestamptz()), {"now()", "CURRENT_TIMESTAMP"}));
  models.tables[0].unique_constraints.push_back({"parents_name_key", {"name"}});
  CompareOptions lite;
  lite.dialect = Dialect::sqlite;
  RenderOptions options;
  options.sqlite_triggers = std::vector<std::pair<std::string, std::string>>{
      {"parents", "CREATE TRIGGER parents_touch AFTER UPDATE ON parents BEGIN SELECT 1; END"}};
  const Diff diff = compare(models, db, lite);
  const Rendered rendered = render(diff, options);
  ASSERT_EQ(rendered.revisions.size(), 2u);  // PostgreSQL builds the unique index online
  EXPECT_TRUE(rendered.revisions[0].sqlite_foreign_keys_off);
  EXPECT_TRUE(rendered.revisions[1].upgrade_sqlite.empty());
  expect_golden("autogenerate_sqlite_rebuild.sql", files_of(diff, options));
}

TEST(AutogenerateRender, EnumChanges) {
  MetaData db;
  db.enums = {{"status", {"open", "closed"}}, {"unused", {"a"}}};
  // As PostgreSQL reflects it: only its own spelling of the default.
  db.tables.push_back(table("tickets", {with_default(col("status", types::enum_("status")),
                                                     schema::DialectSql("'open'::status", ""))}));
  MetaData models = db;
  models.enums = {{"status", {"new", "open", "closed"}}, {"priority", {"low", "high"}}};
  models.tables[0].columns.push_back(col("priority", types::enum_("priority")));
  expect_golden("autogenerate_enums.sql", files_of(compare(models, db, postgresql())));
}

TEST(AutogenerateRender, DowngradeUndoesEveryStatementInReverse) {
  const Rendered rendered = render(live_changes());
  ASSERT_EQ(rendered.revisions.size(), 2u);
  const RevisionBody& online = rendered.revisions[1];
  EXPECT_FALSE(online.transactional);
  // Each online build has its drop, each SET NOT NULL its DROP NOT NULL.
  const std::vector<std::string>& up = online.upgrade_postgresql;
  EXPECT_NE(std::find(up.begin(), up.end(),
                      "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"ix_accounts_status\" ON "
                      "\"accounts\" (\"status\")"),
            up.end());
  const std::vector<std::string>& down = online.downgrade_postgresql;
  EXPECT_NE(std::find(down.begin(), down.end(),
                      "DROP INDEX CONCURRENTLY IF EXISTS \"ix_accounts_status\""),
            down.end());
  EXPECT_EQ(down.back(), "ALTER TABLE \"accounts\" ALTER COLUMN \"status\" DROP NOT NULL");
  EXPECT_EQ(online.upgrade_postgresql.size(), 8u);
  EXPECT_EQ(down.size(), 4u);  // VALIDATE has no inverse: dropping the constraint (main) is it
}

}  // namespace
}  // namespace retort::autogenerate::testing

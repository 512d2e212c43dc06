// Models without C++: [models] schema (a file or a folder of .sql files) and [models] command
// (a program that prints the SQL), loaded into a scratch database (in-memory SQLite; a temporary
// database on the PostgreSQL dev server) and compared as C++ models are. And what the stock
// binary compares when a project declares no models.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <utility>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"
#include "support/events_schema.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTasks =
    "-- the desired schema\n"
    "CREATE TABLE tasks (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    title TEXT NOT NULL\n"
    ");\n";

// The scratch databases retort left on the test server (none, ever).
std::vector<std::string> scratch_databases() {
  Database server(parse_database_url(retort::testing::pg_server_url()));
  const Result rows = server.connection()->execute(
      "SELECT datname FROM pg_database WHERE datname LIKE 'retort\\_models\\_%' ORDER BY 1");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(rows.at(i)[0].to_display());
  return out;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

class DeclaredModels : public ::testing::TestWithParam<Dialect> {
 protected:
  DeclaredModels() {
    if (GetParam() == Dialect::postgresql) {
      schema_ = std::make_unique<retort::testing::PgSchema>();
      url_ = schema_->url_text();
    } else {
      url_ = "sqlite:///" + (dir() / "app.db").string();
    }
  }
  fs::path dir() const { return tmp_.path(); }
  CliRun run(const std::string& args) const {
    return retort("--url " + q(url_) + " " + args, dir());
  }
  // `init migrations`, then [models] with `lines` (dev_url added for PostgreSQL).
  void init_with_models(const std::string& lines) const {
    ASSERT_EQ(run("init migrations").exit_code, 0);
    std::ofstream toml(dir() / "retort.toml", std::ios::app);
    toml << "\n[models]\n" << lines << "\n";
    if (GetParam() == Dialect::postgresql) {
      toml << "dev_url = " << q(retort::testing::pg_server_url()) << "\n";
    }
  }
  // ctest runs other tests of this kind at the same time on the same server, and their scratch
  // databases live for a second or so: one that stays for 30 s was left behind.
  void expect_no_scratch_database_left() const {
    if (GetParam() != Dialect::postgresql) return;
    std::vector<std::string> left = scratch_databases();
    for (int i = 0; i < 300 && !left.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      left = scratch_databases();
    }
    EXPECT_EQ(left, std::vector<std::string>{});
  }

  retort::testing::TempDir tmp_;
  std::unique_ptr<retort::testing::PgSchema> schema_;
  std::string url_;
};

TEST_P(DeclaredModels, SchemaFileDrivesCheckAndAutogenerate) {
  write(dir() / "schema.sql", kTasks);
  init_with_models("schema = \"schema.sql\"");
  const CliRun pending = run("check");
  EXPECT_EQ(pending.exit_code, 5) << pending.output;
  EXPECT_EQ(pending.out, "New upgrade operations detected:\n  create table tasks\n");
  EXPECT_TRUE(contains(pending.output, "Models: schema.sql (1 table)")) << pending.output;

  const CliRun generated = run("revision --autogenerate -m 'create tasks'");
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  const CliRun clean = run("check");
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_EQ(clean.out, "No new upgrade operations detected.\n");

  // The schema changes: the comparison sees the new column and nothing else.
  write(dir() / "schema.sql",
        std::string(kTasks).replace(std::string(kTasks).find("title TEXT NOT NULL"),
                                    std::string("title TEXT NOT NULL").size(),
                                    "title TEXT NOT NULL,\n    priority INTEGER"));
  const CliRun changed = run("check");
  EXPECT_EQ(changed.exit_code, 5) << changed.output;
  EXPECT_EQ(changed.out,
            "New upgrade operations detected:\n  add column tasks.priority (integer)\n");
  expect_no_scratch_database_left();
}

TEST_P(DeclaredModels, FolderIsReadInNameOrder) {
  // 02 needs 01's table: read in another order, the index would fail.
  write(dir() / "schema" / "02_index.sql", "CREATE INDEX ix_tasks_title ON tasks (title);\n");
  write(dir() / "schema" / "01_tasks.sql", kTasks);
  write(dir() / "schema" / "notes.txt", "not SQL: ignored\n");
  init_with_models("schema = \"schema\"");
  const CliRun pending = run("check");
  EXPECT_EQ(pending.exit_code, 5) << pending.output;
  EXPECT_EQ(pending.out, "New upgrade operations detected:\n  create table tasks\n");
  const CliRun preview = run("revision --autogenerate --sql -m tasks");
  ASSERT_EQ(preview.exit_code, 0) << preview.output;
  EXPECT_TRUE(contains(preview.out, "ix_tasks_title")) << preview.out;
  expect_no_scratch_database_left();
}

TEST_P(DeclaredModels, BadSqlNamesTheFileAndLine) {
  write(dir() / "schema" / "01_tasks.sql", kTasks);
  write(dir() / "schema" / "02_broken.sql",
        "-- a typo on line 3\n\nCREATE TABEL notes (id INTEGER);\n");
  init_with_models("schema = \"schema\"");
  const CliRun failed = run("check");
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_TRUE(
      contains(failed.output, "schema/02_broken.sql:3: the models' SQL failed in the scratch"))
      << failed.output;
  EXPECT_TRUE(contains(failed.output, "TABEL")) << failed.output;  // the server's message
  EXPECT_FALSE(contains(failed.out, "upgrade operations")) << failed.output;
  expect_no_scratch_database_left();
}

// SQLite stops preparing at a NUL byte: without the check, the tables after it would be missing
// from the models and the comparison would propose dropping them.
TEST_P(DeclaredModels, NulByteOrInvalidUtf8InTheSqlIsRefusedWithFileAndLine) {
  init_with_models("schema = \"schema.sql\"");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("CREATE TABLE a (id INTEGER);\n\0CREATE TABLE b (id INTEGER);\n", 59),
       "schema.sql:2: a NUL byte at byte 1 of the line: the models' SQL must be UTF-8 text"},
      {"CREATE TABLE a (id INTEGER);\n-- caf\xe9\nCREATE TABLE b (id INTEGER);\n",
       "schema.sql:2: invalid UTF-8 at byte 7 of the line: the models' SQL must be UTF-8 text"},
  };
  for (const auto& [sql, message] : cases) {
    write(dir() / "schema.sql", sql);
    const CliRun failed = run("check");
    EXPECT_EQ(failed.exit_code, 1) << failed.output;
    EXPECT_TRUE(contains(failed.output, message)) << failed.output;
    EXPECT_FALSE(contains(failed.out, "upgrade operations")) << failed.output;
  }
  expect_no_scratch_database_left();
}

TEST_P(DeclaredModels, CommandPrintsTheSchema) {
  write(dir() / "dump.sh",
        "#!/bin/sh\n# prints the schema for the dialect retort asks for\n"
        "echo \"-- for $RETORT_DIALECT\"\ncat schema.sql\n");
  write(dir() / "schema.sql", kTasks);
  init_with_models("command = \"sh dump.sh\"");
  const CliRun pending = run("check");
  EXPECT_EQ(pending.exit_code, 5) << pending.output;
  EXPECT_EQ(pending.out, "New upgrade operations detected:\n  create table tasks\n");
  EXPECT_TRUE(contains(pending.output, "Models: output of `sh dump.sh` (1 table)"))
      << pending.output;
  expect_no_scratch_database_left();
}

TEST_P(DeclaredModels, FailingCommandIsReportedWithItsStderr) {
  init_with_models("command = \"echo 'no module named models' >&2; exit 3\"");
  const CliRun failed = run("revision --autogenerate -m x");
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_TRUE(
      contains(failed.output, "[models] command `echo 'no module named models' >&2; exit 3` (in "))
      << failed.output;
  EXPECT_TRUE(contains(failed.output, "failed with exit code 3:\nno module named models"))
      << failed.output;
  EXPECT_FALSE(contains(failed.out, "Generating")) << failed.output;
}

TEST_P(DeclaredModels, NoModelsStopsWithHowToDeclareThem) {
  ASSERT_EQ(run("init migrations").exit_code, 0);
  for (const char* command : {"check", "revision --autogenerate -m x"}) {
    const CliRun r = run(command);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.output;  // a usage error
    EXPECT_TRUE(contains(r.output, "no models to compare the database with")) << r.output;
    EXPECT_TRUE(contains(r.output, "[models] schema = \"schema.sql\"")) << r.output;
    EXPECT_TRUE(contains(r.output, "command = \"python3 dump_models.py\"")) << r.output;
    EXPECT_FALSE(contains(r.output, "drop table")) << r.output;
  }
}

// An Alembic-style project (its own revisions, alembic_version) with a task_runs table: the
// stock binary has no models for it, and says so instead of proposing to drop task_runs.
TEST_P(DeclaredModels, AlembicStyleProjectWithoutModelsProposesNoDrop) {
  fs::create_directories(dir() / "migrations" / "versions");
  std::ofstream(dir() / "retort.toml") << "[migrations]\nscript_location = \"migrations\"\n"
                                          "version_table = \"alembic_version\"\n";
  std::ofstream(dir() / "migrations" / "versions" / "a1b2c3d4e5f6_task_runs.sql")
      << "-- retort revision\n-- Revision: a1b2c3d4e5f6\n-- Down revision: none\n"
         "-- Message: task runs\n\n-- +upgrade\n"
         "CREATE TABLE task_runs (id INTEGER PRIMARY KEY, status VARCHAR(20) NOT NULL);\n"
         "-- +downgrade\nDROP TABLE task_runs;\n";
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  const CliRun r = run("check");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no models to compare the database with")) << r.output;
  EXPECT_FALSE(contains(r.output, "drop table")) << r.output;

  // Declared in SQL as the revision made it: nothing to do.
  write(dir() / "schema.sql",
        "CREATE TABLE task_runs (id INTEGER PRIMARY KEY, status VARCHAR(20) NOT NULL);\n");
  std::ofstream toml(dir() / "retort.toml", std::ios::app);
  toml << "\n[models]\nschema = \"schema.sql\"\n";
  if (GetParam() == Dialect::postgresql) {
    toml << "dev_url = " << q(retort::testing::pg_server_url()) << "\n";
  }
  toml.close();
  const CliRun declared = run("check");
  EXPECT_EQ(declared.exit_code, 0) << declared.output;
  EXPECT_EQ(declared.out, "No new upgrade operations detected.\n");
  expect_no_scratch_database_left();
}

// No retort.toml: the project is retort's built-in events revisions, so the stock binary compares
// the events tables, and only them: another table of the database is left alone.
TEST_P(DeclaredModels, StockBinaryComparesOnlyTheEventsTablesOfItsRevisions) {
  ASSERT_EQ(run("upgrade head").exit_code, 0);
  ASSERT_EQ(run("sql 'CREATE TABLE task_runs (id INTEGER PRIMARY KEY)'").exit_code, 0);
  const CliRun clean = run("check");
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_EQ(clean.out, "No new upgrade operations detected.\n");
  EXPECT_TRUE(contains(clean.output, "retort's built-in events models")) << clean.output;
  EXPECT_FALSE(contains(clean.output, "task_runs")) << clean.output;

  // The events tables themselves are still compared.
  ASSERT_EQ(run("sql 'ALTER TABLE retort_workers ADD COLUMN extra INTEGER'").exit_code, 0);
  const CliRun changed = run("check");
  EXPECT_EQ(changed.exit_code, 5) << changed.output;
  EXPECT_TRUE(contains(changed.out, "drop column retort_workers.extra")) << changed.out;
  EXPECT_FALSE(contains(changed.out, "task_runs")) << changed.out;
}

INSTANTIATE_TEST_SUITE_P(Dialects, DeclaredModels,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

// PostgreSQL targets need the dev server: without dev_url, and with one that cannot be reached,
// the error says which setting to fix.
TEST(DeclaredModelsOnPostgresql, TheDevServerSettingIsNamedWhenMissingOrUnreachable) {
  retort::testing::TempDir tmp;
  const fs::path dir = tmp.path();
  retort::testing::PgSchema schema;
  const std::string url = "--url " + q(schema.url_text()) + " ";
  ASSERT_EQ(retort(url + "init migrations", dir).exit_code, 0);
  write(dir / "schema.sql", kTasks);
  std::ofstream(dir / "retort.toml", std::ios::app) << "\n[models]\nschema = \"schema.sql\"\n";
  const CliRun missing = retort(url + "check", dir);
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_TRUE(contains(missing.output, "set dev_url in [models]")) << missing.output;

  std::ofstream(dir / "retort.toml", std::ios::app)
      << "dev_url = \"postgresql://nobody@127.0.0.1:1/postgres?connect_timeout=2\"\n";
  const CliRun unreachable = retort(url + "check", dir);
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_TRUE(contains(unreachable.output, "models.dev_url (postgresql://nobody@127.0.0.1:1/"))
      << unreachable.output;
  EXPECT_TRUE(contains(unreachable.output, "cannot reach the development server"))
      << unreachable.output;
}

// docs/adopting.md, "3. Autogenerate from the Python models", on examples/alembic_project with
// Debian's /usr/bin/python3 and SQLAlchemy 1.4: the shipped dump_models.py for real.
TEST(AdoptingGuide, AutogenerateFromThePythonModelsRunsAsWritten) {
  retort::testing::TempDir tmp;
  const fs::path dir = tmp.path();
  fs::copy(fs::path(RETORT_SOURCE_DIR) / "examples" / "alembic_project", dir,
           fs::copy_options::recursive);
  ASSERT_EQ(retort("import alembic", dir).exit_code, 0);
  ASSERT_EQ(retort("upgrade head", dir).exit_code, 0);

  // Without [models]: the usage error, no comparison.
  const CliRun none = retort("check", dir);
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_TRUE(contains(none.output,
                       "retort: usage error: no models to compare the database with: this "
                       "project declares none, and retort never compares against an empty model "
                       "(it would propose dropping every table). Declare the models the database "
                       "should match in retort.toml: [models] schema = \"schema.sql\" "))
      << none.output;

  std::ofstream(dir / "retort.toml", std::ios::app)
      << "\n[models]\ncommand = \"/usr/bin/python3 dump_models.py\"\n";
  const CliRun agree = retort("check", dir);
  EXPECT_EQ(agree.exit_code, 0) << agree.output;
  EXPECT_EQ(agree.out, "No new upgrade operations detected.\n");

  // The model changes: a new column in models.py.
  std::string models = slurp(dir / "models.py");
  const std::string after = "    task_context = Column(JSON)             # Processing results\n";
  ASSERT_NE(models.find(after), std::string::npos) << models;
  models.insert(models.find(after) + after.size(),
                "    source = Column(String(50))             # Which system sent the event\n");
  std::ofstream(dir / "models.py") << models;
  const CliRun pending = retort("check", dir);
  EXPECT_EQ(pending.exit_code, 5) << pending.output;
  EXPECT_EQ(
      pending.out,
      "New upgrade operations detected:\n  add column events.source (character varying(50))\n");
  const CliRun generated =
      retort("revision --autogenerate -m 'event source' --rev-id 3d4e5f6a7b8c", dir);
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  EXPECT_EQ(generated.out,
            "Generating " +
                (dir / "migrations" / "versions" / "3d4e5f6a7b8c_event_source.sql").string() +
                " ...  done\n");
  ASSERT_EQ(retort("upgrade head", dir).exit_code, 0);
  const CliRun clean = retort("check", dir);
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_EQ(clean.out, "No new upgrade operations detected.\n");
}

// docs/adopting.md, "Upgrading the table online", as commands: the original service's events
// table (json, timestamps without time zone, nullable data) and the table retort's Event model
// wants, declared in SQL; `revision --autogenerate` writes the online revisions and `upgrade
// head` applies them with every row kept (a NULL data becomes the JSON null).
TEST(AdoptingGuide, TheEventsTableGoesToJsonbOnlineByTheCommandsAsWritten) {
  retort::testing::TempDir tmp;
  const fs::path dir = tmp.path();
  retort::testing::PgSchema schema;
  const std::string url = "--url " + q(schema.url_text()) + " ";
  Database db(schema.url());
  db.transaction([](Session& s) {
    s.execute(retort::testing::nullable_data_events_table(Dialect::postgresql));
    s.execute(
        "INSERT INTO events (id, data, created_at, updated_at) VALUES "
        "('6f1c3e2a-9d4b-11ee-8c90-0242ac120002', '{\"type\": \"ticket.created\", \"n\": 1}', "
        "'2024-03-01 10:00:00', '2024-03-01 10:00:00'), "
        "('8b3e5a4c-9d4b-11ee-8c90-0242ac120002', NULL, '2024-03-03 12:00:00', "
        "'2024-03-03 12:00:00')");
  });
  ASSERT_EQ(retort(url + "init migrations", dir).exit_code, 0);
  write(dir / "events.sql", slurp(fs::path(RETORT_SOURCE_DIR) / "examples" / "alembic_project" /
                                  "events_as_retort_wants.sql"));
  std::ofstream(dir / "retort.toml", std::ios::app)
      << "\n[models]\nschema = \"events.sql\"\ndev_url = " << q(retort::testing::pg_server_url())
      << "\n";

  const CliRun generated = retort(url + "revision --autogenerate -m 'events to jsonb'", dir);
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  EXPECT_TRUE(contains(generated.output, "Detected alter column events.data")) << generated.output;
  const CliRun upgraded = retort(url + "upgrade head", dir);
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.output;
  const CliRun clean = retort(url + "check", dir);
  EXPECT_EQ(clean.exit_code, 0) << clean.output;

  PooledConnection c = db.connection();
  EXPECT_EQ(c->execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid "
                       "= 'events'::regclass AND attname = 'data'")
                .at(0)[0]
                .to_display(),
            "jsonb");
  EXPECT_EQ(c->execute("SELECT count(*) FROM events WHERE data = '{\"n\": 1, \"type\": "
                       "\"ticket.created\"}'::jsonb")
                .at(0)[0]
                .as_int64(),
            1);
  EXPECT_EQ(
      c->execute("SELECT count(*) FROM events WHERE data = 'null'::jsonb").at(0)[0].as_int64(), 1);
  const CliRun found = retort(url + "events find --contains '{\"n\": 1}' --json", dir);
  EXPECT_EQ(found.exit_code, 0) << found.output;
  EXPECT_TRUE(contains(found.out, "6f1c3e2a-9d4b-11ee-8c90-0242ac120002")) << found.output;
}

}  // namespace
}  // namespace retort::migrate_cli

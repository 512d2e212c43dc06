// `retort import alembic` against Alembic itself (Debian's /usr/bin/python3 -m alembic, 1.8.1):
// Alembic projects are generated here, imported, and then retort and Alembic must agree on
// heads, history and current, and must build the same schema on an empty database, on SQLite
// and on the real PostgreSQL server.
#include <gtest/gtest.h>

#include <algorithm>

#include "migrate_cli_support.hpp"
#include "retort/database.hpp"
#include "support/process.hpp"

namespace retort::migrate_cli {
namespace {

namespace fs = std::filesystem;
using retort::testing::PgSchema;
using retort::testing::run_shell;
using retort::testing::TempDir;

// One Alembic revision file. down/labels/depends are Python expressions.
struct PyRevision {
  std::string id;
  std::string down = "None";
  std::string labels = "None";
  std::string depends = "None";
  std::string message;
  std::string upgrade;    // body of upgrade(), 4-space indented lines
  std::string downgrade;  // body of downgrade()
};

// Alembic's generic env.py: offline with literal binds, online from sqlalchemy.url (and on
// PostgreSQL the test's schema as search_path).
constexpr const char* kEnvPy = R"(from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
schema = config.get_main_option("retort_test.schema")

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.",
        poolclass=pool.NullPool,
        connect_args={"options": "-csearch_path=" + schema} if schema else {})
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
)";

void write_alembic_project(const fs::path& dir, const std::string& url,
                           const std::vector<PyRevision>& revisions,
                           const std::string& schema = "") {
  fs::create_directories(dir / "alembic" / "versions");
  // alembic.ini is read with interpolation: a % of the URL (an escaped password) is written %%.
  std::string ini_url;
  for (char c : url) ini_url += c == '%' ? std::string("%%") : std::string(1, c);
  std::ofstream(dir / "alembic.ini")
      << "[alembic]\nscript_location = alembic\nsqlalchemy.url = " << ini_url << "\n"
      << (schema.empty() ? "" : "retort_test.schema = " + schema + "\n");
  std::ofstream(dir / "alembic" / "env.py") << kEnvPy;
  int day = 1;
  for (const PyRevision& r : revisions) {
    std::string slug = r.message;
    std::replace(slug.begin(), slug.end(), ' ', '_');
    std::ofstream(dir / "alembic" / "versions" / (r.id + "_" + slug + ".py")) << fmt::format(
        "\"\"\"{msg}\n\nRevision ID: {id}\nCreate Date: 2024-03-{day:02} "
        "10:20:30.123456\n\n\"\"\"\n"
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        "revision = '{id}'\ndown_revision = {down}\nbranch_labels = {labels}\n"
        "depends_on = {depends}\n\n\n"
        "def upgrade():\n{up}\n\n\ndef downgrade():\n{downgrade}\n",
        fmt::arg("msg", r.message), fmt::arg("id", r.id), fmt::arg("day", day++),
        fmt::arg("down", r.down), fmt::arg("labels", r.labels), fmt::arg("depends", r.depends),
        fmt::arg("up", r.upgrade.empty() ? "    pass" : r.upgrade),
        fmt::arg("downgrade", r.downgrade.empty() ? "    pass" : r.downgrade));
  }
}

// `alembic ARGS` in dir with Debian's Python (stdout only; Alembic logs to stderr).
std::string alembic(const fs::path& dir, const std::string& args) {
  const auto r = run_shell("cd " + q(dir.string()) + " && /usr/bin/python3 -m alembic " + args +
                           " 2>" + q((dir / ".alembic-stderr").string()));
  EXPECT_EQ(r.exit_code, 0) << "alembic " << args << ": " << r.output
                            << slurp(dir / ".alembic-stderr");
  return r.output;
}

// Graph output compared as Alembic defines it: the order of heads (and of the branches of
// history) follows the directory listing, and branch labels are a Python set printed in hash
// order, so lines are sorted and so are the items of each parenthesised group.
std::string unordered(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    std::string out;
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t close = line[i] == '(' ? line.find(')', i) : std::string::npos;
      if (close == std::string::npos) {
        out.push_back(line[i++]);
        continue;
      }
      std::vector<std::string> items;
      std::istringstream group(line.substr(i + 1, close - i - 1));
      for (std::string item; std::getline(group, item, ',');) {
        items.push_back(item.substr(item.find_first_not_of(' ')));
      }
      std::sort(items.begin(), items.end());
      std::string joined;
      for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
      out += "(" + joined + ")";
      i = close + 1;
    }
    lines.push_back(out);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

CliRun import_project(const fs::path& dir, const std::string& extra = "") {
  return retort("import alembic " + extra, dir);
}

// DDL with its layout normalised: SQLite keeps a CREATE statement's text as it was sent, and the
// imported files hold SQLAlchemy's statements without its tabs and trailing spaces.
std::string normalised_ddl(const std::string& sql) {
  std::string collapsed;
  for (char c : sql) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!collapsed.empty() && collapsed.back() != ' ') collapsed.push_back(' ');
    } else {
      if (!collapsed.empty() && collapsed.back() == ' ' && (c == ',' || c == ')')) {
        collapsed.pop_back();
      }
      collapsed.push_back(c);
    }
  }
  std::string out;
  for (std::size_t i = 0; i < collapsed.size(); ++i) {
    if (collapsed[i] == ' ' && i > 0 && collapsed[i - 1] == '(') continue;
    out.push_back(collapsed[i]);
  }
  return out;
}

// The schema SQLite holds, without the version and history tables of either tool and SQLite's
// own objects (the version table's autoindex, AUTOINCREMENT's sqlite_sequence).
std::string sqlite_schema(const fs::path& file) {
  Database db(parse_database_url("sqlite:///" + file.string()));
  const Result rows = db.connection()->execute(
      "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT "
      "IN ('alembic_version', 'retort_history', 'retort_progress') AND name NOT LIKE 'sqlite_%' "
      "ORDER BY type, name");
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += normalised_ddl(rows.at(i)[0].to_display()) + "\n";
  }
  return out;
}

// pg_dump --schema-only of a schema, without the tools' own tables, comments and settings, and
// with the schema's name replaced (two schemas are compared).
std::string pg_schema_dump(const PgSchema& schema) {
  const auto r = run_shell("pg_dump --schema-only --no-owner -n " + schema.name() + " -T " +
                           schema.name() + ".alembic_version -T '" + schema.name() + ".retort_*' " +
                           q(retort::testing::pg_server_url()) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string out;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("--") || line.starts_with("SET ") ||
        line.starts_with("SELECT pg_catalog.set_config") || line.starts_with("CREATE SCHEMA") ||
        line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) {
      continue;
    }
    for (std::size_t at = line.find(schema.name()); at != std::string::npos;
         at = line.find(schema.name(), at + 1)) {
      line.replace(at, schema.name().size(), "S");
    }
    out += line + "\n";
  }
  return out;
}

// A linear SQLite history whose second revision needs batch mode (move and copy).
std::vector<PyRevision> sqlite_batch_history() {
  return {
      {"a1000000000a", "None", "None", "None", "create users",
       "    op.create_table('users', sa.Column('id', sa.Integer, primary_key=True),\n"
       "                    sa.Column('name', sa.String(50), nullable=False),\n"
       "                    sa.Column('note', sa.Text))\n"
       "    op.create_index('ix_users_name', 'users', ['name'])",
       "    op.drop_index('ix_users_name', 'users')\n    op.drop_table('users')"},
      {"b2000000000b", "'a1000000000a'", "None", "None", "drop note widen name",
       "    with op.batch_alter_table('users') as batch:\n"
       "        batch.drop_column('note')\n"
       "        batch.alter_column('name', type_=sa.String(100))",
       "    with op.batch_alter_table('users') as batch:\n"
       "        batch.add_column(sa.Column('note', sa.Text))\n"
       "        batch.alter_column('name', type_=sa.String(50))"},
      {"c3000000000c", "'b2000000000b'", "None", "None", "orders",
       "    op.create_table('orders', sa.Column('id', sa.Integer, primary_key=True),\n"
       "                    sa.Column('user_id', sa.Integer, sa.ForeignKey('users.id')),\n"
       "                    sa.Column('total', sa.Numeric(10, 2), server_default='0'))\n"
       "    op.execute(\"INSERT INTO users (id, name) VALUES (1, 'it''s me')\")",
       "    op.execute('DELETE FROM users WHERE id = 1')\n    op.drop_table('orders')"},
  };
}

TEST(ImportAlembic, SqliteBatchHistoryBuildsAlembicsSchemaAndContinuesAlembicsDatabase) {
  TempDir dir;
  write_alembic_project(dir.path(), "sqlite+pysqlite:///app.db", sqlite_batch_history());
  const CliRun imported = import_project(dir.path());
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_TRUE(contains(imported.out, "Imported 3 revision(s) for sqlite")) << imported.out;
  const std::string toml = slurp(dir / "retort.toml");
  EXPECT_TRUE(contains(toml, "version_table = \"alembic_version\"")) << toml;
  EXPECT_TRUE(contains(toml, "url = \"sqlite+pysqlite:///app.db\"")) << toml;
  const std::string batch =
      slurp(dir / "migrations" / "versions" / "b2000000000b_drop_note_widen_name.sql");
  EXPECT_TRUE(contains(batch, "-- SQLite foreign keys: off")) << batch;
  EXPECT_TRUE(contains(batch, "INSERT INTO _alembic_tmp_users")) << batch;

  // Graph commands answer as Alembic does.
  EXPECT_EQ(retort("heads", dir.path()).out, alembic(dir.path(), "heads"));
  EXPECT_EQ(retort("history", dir.path()).out, alembic(dir.path(), "history"));

  // A database Alembic migrated halfway: retort takes it over in place.
  alembic(dir.path(), "upgrade a1000000000a");
  EXPECT_EQ(retort("current", dir.path()).out, alembic(dir.path(), "current"));
  const CliRun up = retort("upgrade head", dir.path());
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(retort("current", dir.path()).out, alembic(dir.path(), "current"));
  EXPECT_EQ(retort("current", dir.path()).out, "c3000000000c (head)\n");
  const std::string continued = sqlite_schema(dir / "app.db");

  // An empty database: Alembic's upgrade head and retort's build the same schema.
  const CliRun fresh = retort("--url sqlite:///fresh.db upgrade head", dir.path());
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  fs::rename(dir / "app.db", dir / "continued.db");
  alembic(dir.path(), "upgrade head");
  const std::string by_alembic = sqlite_schema(dir / "app.db");
  EXPECT_TRUE(contains(by_alembic, "orders")) << by_alembic;
  EXPECT_EQ(sqlite_schema(dir / "fresh.db"), by_alembic);
  EXPECT_EQ(continued, by_alembic);

  // Down to base and back.
  const CliRun down = retort("--url sqlite:///fresh.db downgrade base", dir.path());
  ASSERT_EQ(down.exit_code, 0) << down.output;
  EXPECT_EQ(sqlite_schema(dir / "fresh.db"), "");
  ASSERT_EQ(retort("--url sqlite:///fresh.db upgrade head", dir.path()).exit_code, 0);
  EXPECT_EQ(sqlite_schema(dir / "fresh.db"), by_alembic);
}

// Branches, a merge, branch labels and depends_on, on PostgreSQL.
std::vector<PyRevision> branching_history() {
  const auto table = [](const std::string& name) {
    return PyRevision{"",
                      "None",
                      "None",
                      "None",
                      "",
                      "    op.create_table('" + name +
                          "', sa.Column('id', sa.BigInteger, primary_key=True),\n"
                          "                    sa.Column('doc', sa.JSON),\n"
                          "                    sa.Column('at', sa.DateTime(timezone=True), "
                          "server_default=sa.func.now()))\n"
                          "    op.create_index('ix_" +
                          name + "_at', '" + name + "', ['at'])",
                      "    op.drop_index('ix_" + name + "_at', '" + name +
                          "')\n    op.drop_table('" + name + "')"};
  };
  std::vector<PyRevision> revs;
  const auto add = [&](std::string id, std::string down, std::string labels, std::string depends,
                       std::string message, const std::string& name) {
    PyRevision r = table(name);
    r.id = std::move(id);
    r.down = std::move(down);
    r.labels = std::move(labels);
    r.depends = std::move(depends);
    r.message = std::move(message);
    revs.push_back(std::move(r));
  };
  add("1a", "None", "None", "None", "base accounts", "accounts");
  add("2b", "'1a'", "('billing',)", "None", "billing invoices", "invoices");
  add("3c", "'1a'", "'audit'", "None", "audit log", "audit_log");
  add("4d", "'3c'", "None", "('2b',)", "audit invoices", "audit_invoices");
  add("5e", "('2b', '4d')", "None", "None", "merge billing and audit", "merged");
  add("6f", "None", "'reports'", "'billing'", "independent reports", "reports");
  return revs;
}

TEST(ImportAlembic, PostgresqlBranchesMergesLabelsAndDependenciesMatchAlembic) {
  TempDir dir;
  PgSchema by_alembic;
  PgSchema by_retort;
  write_alembic_project(dir.path(), retort::testing::pg_server_url(), branching_history(),
                        by_alembic.name());
  const CliRun imported = import_project(dir.path(), "--dialect postgresql");
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  const std::string merge =
      slurp(dir / "migrations" / "versions" / "5e_merge_billing_and_audit.sql");
  EXPECT_TRUE(contains(merge, "-- Down revision: 2b, 4d")) << merge;
  EXPECT_TRUE(contains(slurp(dir / "migrations" / "versions" / "4d_audit_invoices.sql"),
                       "-- Depends on: 2b"));
  EXPECT_TRUE(contains(slurp(dir / "migrations" / "versions" / "2b_billing_invoices.sql"),
                       "-- Branch labels: billing"));

  const std::string url = "--url " + q(by_alembic.url_text()) + " ";
  for (const char* command : {"heads", "history", "branches", "heads --resolve-dependencies"}) {
    EXPECT_EQ(unordered(retort(command, dir.path()).out), unordered(alembic(dir.path(), command)))
        << command;
  }
  // Alembic migrates part of the graph; retort continues from there.
  alembic(dir.path(), "upgrade 4d");
  EXPECT_EQ(unordered(retort(url + "current", dir.path()).out),
            unordered(alembic(dir.path(), "current")));
  const CliRun up = retort(url + "upgrade heads", dir.path());
  ASSERT_EQ(up.exit_code, 0) << up.output;
  const std::string alembic_current = alembic(dir.path(), "current");
  std::string retort_current = retort(url + "current", dir.path()).out;
  EXPECT_TRUE(contains(retort_current, "5e (head)") && contains(retort_current, "6f (head)"))
      << retort_current;
  EXPECT_TRUE(contains(alembic_current, "5e (head)") && contains(alembic_current, "6f (head)"))
      << alembic_current;
  const std::string continued = pg_schema_dump(by_alembic);

  // Empty schemas: Alembic's upgrade heads in one, retort's in the other.
  alembic(dir.path(), "downgrade base");
  alembic(dir.path(), "upgrade heads");
  const std::string expected = pg_schema_dump(by_alembic);
  EXPECT_TRUE(contains(expected, "CREATE TABLE S.audit_invoices")) << expected;
  const std::string url2 = "--url " + q(by_retort.url_text()) + " ";
  ASSERT_EQ(retort(url2 + "upgrade heads", dir.path()).exit_code, 0);
  EXPECT_EQ(pg_schema_dump(by_retort), expected);
  EXPECT_EQ(continued, expected);
  const CliRun down = retort(url2 + "downgrade base", dir.path());
  ASSERT_EQ(down.exit_code, 0) << down.output;
  EXPECT_EQ(pg_schema_dump(by_retort), "");
  ASSERT_EQ(retort(url2 + "upgrade heads", dir.path()).exit_code, 0);
  EXPECT_EQ(pg_schema_dump(by_retort), expected);
}

TEST(ImportAlembic, DataMigrationIsReportedAndItsFileRefusesToRunUntilCompleted) {
  TempDir dir;
  std::vector<PyRevision> revs = sqlite_batch_history();
  revs.resize(1);
  revs.push_back(
      {"d4000000000d", "'a1000000000a'", "None", "None", "title case names",
       "    connection = op.get_bind()\n"
       "    rows = connection.execute(sa.text('SELECT id, name FROM users')).fetchall()\n"
       "    for id_, name in rows:\n"
       "        connection.execute(sa.text('UPDATE users SET name = :n WHERE id = :i'),\n"
       "                           {'n': name.title(), 'i': id_})",
       ""});
  write_alembic_project(dir.path(), "sqlite:///app.db", revs);
  const CliRun imported = import_project(dir.path(), "--dialect sqlite --dialect postgresql");
  EXPECT_EQ(imported.exit_code, 6) << imported.output;
  EXPECT_TRUE(contains(imported.output, "d4000000000d")) << imported.output;
  EXPECT_TRUE(contains(imported.output, "op.get_bind()")) << imported.output;
  EXPECT_TRUE(contains(imported.output, "from alembic/versions/d4000000000d_title_case_names.py"))
      << imported.output;
  const fs::path file = dir / "migrations" / "versions" / "d4000000000d_title_case_names.sql";
  const std::string text = slurp(file);
  EXPECT_TRUE(contains(text, "rows = connection.execute")) << text;  // the source, as comments
  EXPECT_TRUE(contains(text, "RAISE EXCEPTION")) << text;

  ASSERT_EQ(retort("upgrade a1000000000a", dir.path()).exit_code, 0);
  const CliRun refused = retort("upgrade head", dir.path());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_TRUE(contains(refused.output, "imported from Alembic without the SQL of its upgrade"))
      << refused.output;
  EXPECT_EQ(retort("current", dir.path()).out, "a1000000000a\n");

  // Completed by hand: the refusing statement replaced by the SQL.
  const std::string refusing =
      text.substr(text.find("SELECT * FROM \"revision d4"),
                  text.find('\n', text.find("SELECT * FROM \"revision d4")) -
                      text.find("SELECT * FROM \"revision d4"));
  std::string completed = text;
  completed.replace(completed.find(refusing), refusing.size(),
                    "UPDATE users SET name = upper(substr(name, 1, 1)) || substr(name, 2);");
  std::ofstream(file) << completed;
  const CliRun up = retort("upgrade head", dir.path());
  EXPECT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(retort("current", dir.path()).out, "d4000000000d (head)\n");
}

TEST(ImportAlembic, SaysWhatIsMissingWhenPythonCannotImportAlembic) {
  TempDir dir;
  write_alembic_project(dir.path(), "sqlite:///app.db", sqlite_batch_history());
  // Debian's Python without its site packages: no Alembic to import.
  std::ofstream(dir / "bare-python") << "#!/bin/sh\nexec /usr/bin/python3 -S -I \"$@\"\n";
  fs::permissions(dir / "bare-python", fs::perms::owner_all);
  const CliRun bare = import_project(dir.path(), "--python ./bare-python");
  EXPECT_EQ(bare.exit_code, 1) << bare.output;
  EXPECT_TRUE(contains(bare.output, "cannot import Alembic")) << bare.output;
  EXPECT_TRUE(contains(bare.output, "python3-alembic")) << bare.output;
  EXPECT_FALSE(fs::exists(dir / "retort.toml"));

  const CliRun missing = import_project(dir.path(), "--python /nonexistent/python3");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_TRUE(contains(missing.output, "cannot run the Python interpreter /nonexistent/python3"))
      << missing.output;

  const CliRun no_ini = import_project(dir.path(), "-c nowhere.ini");
  EXPECT_EQ(no_ini.exit_code, 1) << no_ini.output;
  EXPECT_TRUE(contains(no_ini.output, "nowhere.ini: no such Alembic configuration file"))
      << no_ini.output;
}

TEST(ImportAlembic, ABrokenProjectIsReportedWithTheFileAndLineThatFailed) {
  TempDir dir;
  write_alembic_project(dir.path(), "sqlite:///app.db", sqlite_batch_history());
  const fs::path env = dir / "alembic" / "env.py";
  std::ofstream(env) << "import app_models_not_installed\n" << kEnvPy;
  const CliRun no_module = import_project(dir.path());
  EXPECT_EQ(no_module.exit_code, 1) << no_module.output;
  EXPECT_TRUE(contains(no_module.output, env.string() + ", line 1: ModuleNotFoundError"))
      << no_module.output;
  EXPECT_TRUE(contains(no_module.output, "pass --python")) << no_module.output;

  std::ofstream(env) << kEnvPy;
  const fs::path revision = dir / "alembic" / "versions" / "b2000000000b_drop_note_widen_name.py";
  std::ofstream(revision, std::ios::app) << "\ndef broken(:\n";
  const CliRun syntax = import_project(dir.path());
  EXPECT_EQ(syntax.exit_code, 1) << syntax.output;
  EXPECT_TRUE(contains(syntax.output, revision.string() + ", line ")) << syntax.output;
  EXPECT_TRUE(contains(syntax.output, "SyntaxError")) << syntax.output;
  EXPECT_FALSE(fs::exists(dir / "retort.toml"));
  EXPECT_FALSE(fs::exists(dir / "migrations"));
}

TEST(ImportAlembic, JsonOutputListsTheRevisionsAndRefusesToOverwrite) {
  TempDir dir;
  write_alembic_project(dir.path(), "sqlite:///app.db", sqlite_batch_history());
  const CliRun imported = import_project(dir.path(), "--format json");
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_TRUE(contains(imported.out, "\"version_table\":\"alembic_version\"")) << imported.out;
  EXPECT_TRUE(contains(imported.out, "\"revision\":\"b2000000000b\"")) << imported.out;
  const CliRun again = import_project(dir.path());
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(contains(again.output, "retort.toml exists")) << again.output;
}

// docs/adopting.md, step by step, on examples/alembic_project (the original Event model).
TEST(ImportAlembic, TheAdoptingGuideRunsAsWritten) {
  TempDir dir;
  fs::copy(fs::path(RETORT_SOURCE_DIR) / "examples" / "alembic_project", dir.path(),
           fs::copy_options::recursive);
  // The original service's database, two revisions in.
  alembic(dir.path(), "upgrade 2c8e5d4f6a31");
  const CliRun imported = import_project(dir.path());
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_EQ(imported.out,
            "migrations/versions/7f3a1c2b9d10_create_events.sql <- 7f3a1c2b9d10_create_events.py: "
            "create events\n"
            "migrations/versions/2c8e5d4f6a31_index_created_at.sql <- "
            "2c8e5d4f6a31_index_created_at.py: index created_at\n"
            "migrations/versions/b91d0e7c4f58_data_not_null.sql <- b91d0e7c4f58_data_not_null.py: "
            "data not null\n"
            "Imported 3 revision(s) for sqlite (Alembic 1.8.1); wrote retort.toml with "
            "version_table = \"alembic_version\"\n");
  EXPECT_EQ(retort("current", dir.path()).out, "2c8e5d4f6a31\n");
  EXPECT_EQ(retort("history", dir.path()).out,
            "2c8e5d4f6a31 -> b91d0e7c4f58 (head), data not null\n"
            "7f3a1c2b9d10 -> 2c8e5d4f6a31, index created_at\n"
            "<base> -> 7f3a1c2b9d10, create events\n");
  ASSERT_EQ(retort("upgrade head", dir.path()).exit_code, 0);
  EXPECT_EQ(retort("current", dir.path()).out, "b91d0e7c4f58 (head)\n");
  EXPECT_EQ(alembic(dir.path(), "current"), "b91d0e7c4f58 (head)\n");
  ASSERT_EQ(retort("downgrade -1", dir.path()).exit_code, 0);
  EXPECT_EQ(alembic(dir.path(), "current"), "2c8e5d4f6a31\n");
  ASSERT_EQ(retort("upgrade head", dir.path()).exit_code, 0);
  EXPECT_TRUE(contains(sqlite_schema(dir / "events.db"), "data JSON NOT NULL"));

  // "Revisions Alembic cannot render": a fourth revision that backfills row by row.
  std::ofstream(dir / "alembic" / "versions" / "e5a7c9d1f3b2_backfill_event_type.py")
      << "\"\"\"backfill event type\n\nRevision ID: e5a7c9d1f3b2\n\"\"\"\n"
         "from alembic import op\nimport sqlalchemy as sa\n\n"
         "revision = 'e5a7c9d1f3b2'\ndown_revision = 'b91d0e7c4f58'\nbranch_labels = None\n"
         "depends_on = None\n\n\ndef upgrade():\n    connection = op.get_bind()\n"
         "    for id_, data in connection.execute(sa.text(\"SELECT id, data FROM "
         "events\")).fetchall():\n"
         "        connection.execute(sa.text(\"UPDATE events SET task_context = :c WHERE id = "
         ":i\"),\n"
         "                           {\"c\": '{\"backfilled\": true}', \"i\": id_})\n\n\n"
         "def downgrade():\n    pass\n";
  fs::remove_all(dir / "migrations");
  fs::remove(dir / "retort.toml");
  const CliRun partial = import_project(dir.path());
  EXPECT_EQ(partial.exit_code, 6) << partial.output;
  EXPECT_TRUE(contains(partial.output,
                       "  e5a7c9d1f3b2 (migrations/versions/e5a7c9d1f3b2_backfill_event_type.sql, "
                       "from alembic/versions/e5a7c9d1f3b2_backfill_event_type.py)\n"
                       "    upgrade on sqlite: offline: it reads the database through "
                       "op.get_bind()"))
      << partial.output;
  const CliRun refused = retort("upgrade head", dir.path());
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_TRUE(contains(refused.output, "the database stays at b91d0e7c4f58")) << refused.output;
  const fs::path backfill =
      dir / "migrations" / "versions" / "e5a7c9d1f3b2_backfill_event_type.sql";
  std::string text = slurp(backfill);
  const std::size_t stop = text.find("SELECT * FROM \"revision e5a7c9d1f3b2");
  ASSERT_NE(stop, std::string::npos) << text;
  text.replace(stop, text.find('\n', stop) - stop,
               "UPDATE events SET task_context = '{\"backfilled\": true}';");
  std::ofstream(backfill) << text;
  const CliRun completed = retort("upgrade head", dir.path());
  EXPECT_EQ(completed.exit_code, 0) << completed.output;
  EXPECT_EQ(alembic(dir.path(), "current"), "e5a7c9d1f3b2 (head)\n");

  // Both dialects, and the PostgreSQL sections run on the real server.
  TempDir both;
  fs::copy(fs::path(RETORT_SOURCE_DIR) / "examples" / "alembic_project", both.path(),
           fs::copy_options::recursive);
  const CliRun two = import_project(both.path(), "--dialect postgresql --dialect sqlite");
  ASSERT_EQ(two.exit_code, 0) << two.output;
  PgSchema schema;
  const std::string url = "--url " + q(schema.url_text()) + " ";
  const CliRun up = retort(url + "upgrade head", both.path());
  ASSERT_EQ(up.exit_code, 0) << up.output;
  const std::string dump = pg_schema_dump(schema);
  EXPECT_TRUE(contains(dump, "id uuid NOT NULL")) << dump;
  EXPECT_TRUE(contains(dump, "data json NOT NULL")) << dump;
  EXPECT_TRUE(contains(dump, "created_at timestamp without time zone DEFAULT now() NOT NULL"))
      << dump;
  ASSERT_EQ(retort(url + "downgrade base", both.path()).exit_code, 0);
  EXPECT_EQ(pg_schema_dump(schema), "");
}

}  // namespace
}  // namespace retort::migrate_cli

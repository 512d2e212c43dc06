// Backups before migrating (MigrateOptions::backup_dir, `upgrade --backup DIR`) on both
// backends: the file is written before anything is applied and holds the state before the run,
// its path goes into the history table (added to history tables of older versions), and a
// failed backup refuses the run. PostgreSQL runs use a database of their own, since pg_dump
// dumps a whole database.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>

#include "core/redact.hpp"
#include "migrate/runtime/backup.hpp"
#include "migrate/runtime/runner_support.hpp"
#include "support/process.hpp"

namespace retort::migrate::runner_testing {
namespace {

namespace fs = std::filesystem;
using retort::testing::run_shell;
using retort::testing::shell_quote;

// Admin SQL on the shared server, outside any transaction (CREATE/DROP DATABASE).
void admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(retort::testing::pg_server_url().c_str());
  PGresult* res = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  const std::string message = ok ? "" : PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + message);
}

// A database of the test's own: a fresh PostgreSQL database, or a SQLite file.
class OwnDatabase {
 public:
  explicit OwnDatabase(Dialect dialect) : url_(make(dialect)) {}
  ~OwnDatabase() {
    if (!pg_name_.empty()) {
      try {
        admin("DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
      } catch (...) {
      }
    }
  }
  const DatabaseUrl& url() const { return url_; }

 private:
  DatabaseUrl make(Dialect dialect) {
    if (dialect == Dialect::sqlite) return DatabaseUrl::sqlite((dir_ / "app.db").string());
    static std::atomic<int> counter{0};
    pg_name_ = fmt::format("rt_backup_{}_{}", ::getpid(), counter++);
    admin("CREATE DATABASE " + pg_name_);
    DatabaseUrl url = parse_database_url(retort::testing::pg_server_url());
    url.set_param("dbname", pg_name_);
    return url;
  }

  retort::testing::TempDir dir_;
  std::string pg_name_;
  DatabaseUrl url_;
};

// Sets an environment variable for the scope of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::perms mode_of(const fs::path& p) {
  return fs::status(p).permissions() & fs::perms::mask;
}

class Backup : public ::testing::TestWithParam<Dialect> {
 protected:
  Backup() : own_(GetParam()), db_(own_.url()) {}

  MigrateOptions with_backup() const {
    MigrateOptions o = env_.options();
    o.backup_dir = backups_.path() / "backups";
    return o;
  }
  // What the backup file holds: the version rows and the tables (by name).
  std::string backup_contents(const fs::path& file) {
    if (GetParam() == Dialect::sqlite) {
      Database copy(DatabaseUrl::sqlite(file.string()));
      return fmt::format("{} | {}",
                         fmt::join(column(copy, "SELECT version_num FROM retort_version"), ","),
                         fmt::join(column(copy,
                                          "SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name LIKE 't_%' ORDER BY name"),
                                   ","));
    }
    const auto rows = run_shell("pg_restore --data-only --table=retort_version -f - " +
                                shell_quote(file.string()) + " | grep -E '^r[0-9]{3}$'");
    const auto tables =
        run_shell("pg_restore --list " + shell_quote(file.string()) +
                  " | grep -oE 'TABLE public t_r[0-9]{3}' | sed 's/TABLE public //' | sort -u");
    std::string r = rows.output, t = tables.output;
    std::replace(r.begin(), r.end(), '\n', ',');
    std::replace(t.begin(), t.end(), '\n', ',');
    if (!r.empty()) r.pop_back();
    if (!t.empty()) t.pop_back();
    return r + " | " + t;
  }

  OwnDatabase own_;
  Database db_;
  Environment env_;
  retort::testing::TempDir backups_;
};

TEST_P(Backup, TakenBeforeApplyingAndRecordedInTheHistory) {
  env_.chain(2);
  upgrade(db_, "r000", env_.options());
  RunReport report = upgrade(db_, "head", with_backup());
  ASSERT_TRUE(report.backup.has_value());
  const fs::path file = *report.backup;
  EXPECT_TRUE(file.is_absolute());
  EXPECT_EQ(file.parent_path(), backups_.path() / "backups");
  EXPECT_TRUE(file.filename().string().find("-from-r000.") != std::string::npos) << file;
  EXPECT_EQ(mode_of(file), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(mode_of(file.parent_path()), fs::perms::owner_all);  // created by retort
  // The state before the run: at r000, without r001's table.
  EXPECT_EQ(backup_contents(file), "r000 | t_r000");
  EXPECT_EQ(column(db_,
                   "SELECT revision || ' ' || coalesce(backup, 'none') FROM retort_history "
                   "ORDER BY id"),
            (std::vector<std::string>{"r000 none", "r001 " + file.string()}));
  EXPECT_NE(std::find(env_.log().begin(), env_.log().end(),
                      "Backing up the database to " + file.string()),
            env_.log().end());
}

TEST_P(Backup, DowngradeTakesOneToo) {
  env_.chain(2);
  upgrade(db_, "head", env_.options());
  RunReport report = downgrade(db_, "base", with_backup());
  ASSERT_TRUE(report.backup.has_value());
  EXPECT_EQ(backup_contents(*report.backup), "r001 | t_r000,t_r001");
}

TEST_P(Backup, NothingToApplyTakesNone) {
  env_.chain(1);
  upgrade(db_, "head", env_.options());
  RunReport report = upgrade(db_, "head", with_backup());
  EXPECT_FALSE(report.backup.has_value());
  EXPECT_FALSE(fs::exists(backups_.path() / "backups"));
}

TEST_P(Backup, AFailedBackupRefusesTheRun) {
  env_.chain(2);
  upgrade(db_, "r000", env_.options());
  std::ofstream(backups_.path() / "backups") << "a file where the directory should be";
  const BackupError e = error_of<BackupError>([&] { upgrade(db_, "head", with_backup()); });
  EXPECT_EQ(std::string(e.what()), "backup failed: " + (backups_.path() / "backups").string() +
                                       " exists and is not a directory; nothing was migrated");
  EXPECT_EQ(current(db_, env_.options()), std::vector<std::string>{"r000"});
  EXPECT_FALSE(table_exists(db_, "t_r001"));
}

TEST_P(Backup, HistoryTablesOfOlderVersionsGetTheColumn) {
  env_.chain(2);
  {
    PooledConnection c = db_.connection();
    // retort_history as versions before backups created it.
    c->execute_script(
        std::string("CREATE TABLE retort_history (") +
        (GetParam() == Dialect::postgresql ? "id BIGINT GENERATED BY DEFAULT AS IDENTITY "
                                             "PRIMARY KEY"
                                           : "id INTEGER PRIMARY KEY AUTOINCREMENT") +
        ", revision TEXT NOT NULL, direction VARCHAR(16) NOT NULL, checksum TEXT, script TEXT, "
        "applied_at TIMESTAMPTZ NOT NULL, duration_ms DOUBLE PRECISION, applied_by TEXT, "
        "retort_version TEXT)");
  }
  upgrade(db_, "r000", env_.options());  // no backup: the old table works as it is
  EXPECT_TRUE(column(db_, GetParam() == Dialect::postgresql
                              ? "SELECT column_name FROM information_schema.columns WHERE "
                                "table_name = 'retort_history' AND column_name = 'backup'"
                              : "SELECT name FROM pragma_table_info('retort_history') WHERE "
                                "name = 'backup'")
                  .empty());
  RunReport report = upgrade(db_, "head", with_backup());
  ASSERT_TRUE(report.backup.has_value());
  EXPECT_EQ(column(db_, "SELECT coalesce(backup, 'none') FROM retort_history ORDER BY id"),
            (std::vector<std::string>{"none", report.backup->string()}));
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Backup,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

class PgBackup : public Backup {};

TEST_P(PgBackup, PgDumpFailureIsReportedScrubbedAndRefusesTheRun) {
  env_.chain(1);
  // A pg_dump that fails after printing its connection file, password and all.
  const fs::path fake = backups_.path() / "pg_dump_that_fails";
  std::ofstream(fake) << "#!/bin/sh\necho \"pg_dump: error: connection refused\" >&2\n"
                         "cat \"$PGSERVICEFILE\" >&2\nexit 2\n";
  fs::permissions(fake, fs::perms::owner_all);
  ScopedEnv chosen("RETORT_PG_DUMP", fake.string());
  const BackupError e = error_of<BackupError>([&] { upgrade(db_, "head", with_backup()); });
  const std::string message = e.what();
  EXPECT_TRUE(message.starts_with("backup failed: " + fake.string() + " exited with status 2: "))
      << message;
  EXPECT_TRUE(message.find("password=***") != std::string::npos) << message;
  const std::string password = *own_.url().param("password");
  EXPECT_EQ(message.find(password), std::string::npos) << message;
  EXPECT_TRUE(message.ends_with("; nothing was migrated")) << message;
  EXPECT_TRUE(current(db_, env_.options()).empty());
  // Neither the partial dump nor the connection file stays behind.
  EXPECT_TRUE(fs::is_empty(backups_.path() / "backups"));
}

TEST_P(PgBackup, MissingPgDumpSaysWhatToInstall) {
  env_.chain(1);
  ScopedEnv chosen("RETORT_PG_DUMP", "/nonexistent/pg_dump");
  const BackupError e = error_of<BackupError>([&] { upgrade(db_, "head", with_backup()); });
  EXPECT_TRUE(std::string(e.what()).find("install postgresql-client, or set RETORT_PG_DUMP") !=
              std::string::npos)
      << e.what();
}

INSTANTIATE_TEST_SUITE_P(PostgreSQL, PgBackup, ::testing::Values(Dialect::postgresql),
                         retort::testing::DialectName());

TEST(BackupFileName, NamesDatabaseTimeAndRevisions) {
  const std::string name = backup_file_name("app/db", {"a1", "b2"}, ".dump");
  EXPECT_TRUE(name.starts_with("app_db-")) << name;
  EXPECT_TRUE(name.ends_with("Z-from-a1_b2.dump")) << name;
  EXPECT_TRUE(backup_file_name("app", {}, ".db").ends_with("-from-base.db"));
}

TEST(BackupOfMemoryDatabase, IsRefused) {
  Database db(DatabaseUrl::sqlite(":memory:"));
  Environment env;
  env.chain(1);
  MigrateOptions o = env.options();
  retort::testing::TempDir dir;
  o.backup_dir = dir.path();
  const BackupError e = error_of<BackupError>([&] { upgrade(db, "head", o); });
  EXPECT_TRUE(std::string(e.what()).find("in memory") != std::string::npos) << e.what();
  EXPECT_TRUE(current(db, env.options()).empty());
}

}  // namespace
}  // namespace retort::migrate::runner_testing

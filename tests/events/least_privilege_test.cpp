// Least privilege, as docs/security.md sets it up: a migration role owns the schema and runs
// the migrations; an application role gets only what `retort grants` prints. The repository
// works under the application role; DDL from it fails with a clear permission error.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

#include "events/grants.hpp"
#include "events/processing_fixture.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/processing.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

// Admin SQL as the shared server's superuser.
void admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(testing::pg_server_url().c_str());
  PGresult* res = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  const std::string message = ok ? "" : PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + message);
}

class LeastPrivilegeTest : public ::testing::Test {
 protected:
  LeastPrivilegeTest() {
    static std::atomic<int> counter{0};
    const std::string suffix = std::to_string(::getpid()) + "_" + std::to_string(counter++);
    migrator_ = "rt_migrator_" + suffix;
    app_ = "rt_app_" + suffix;
    schema_ = "rt_lp_" + suffix;
    admin("CREATE ROLE " + migrator_ + " LOGIN PASSWORD '" + kMigratorPassword + "'");
    admin("CREATE ROLE " + app_ + " LOGIN PASSWORD '" + kAppPassword + "'");
    admin("CREATE SCHEMA " + schema_ + " AUTHORIZATION " + migrator_);
  }
  ~LeastPrivilegeTest() override {
    for (const std::string& sql :
         {"DROP SCHEMA IF EXISTS " + schema_ + " CASCADE", "DROP OWNED BY " + app_,
          "DROP ROLE IF EXISTS " + app_, "DROP OWNED BY " + migrator_,
          "DROP ROLE IF EXISTS " + migrator_}) {
      try {
        admin(sql);
      } catch (...) {
        // Teardown of a broken test must not throw.
      }
    }
  }

  DatabaseUrl url_as(const std::string& role, const std::string& password) const {
    DatabaseUrl url = parse_database_url(testing::pg_server_url());
    url.set_param("user", role);
    url.set_param("password", password);
    url.set_param("options", "-c search_path=" + schema_);
    return url;
  }

  // The privileges `retort grants APP` prints, applied by the migration role.
  void grant_application_role(Database& migrator_db) {
    GrantOptions grants;
    grants.role = app_;
    grants.schema = schema_;
    PooledConnection c = migrator_db.connection();
    inspect_grants(*c, grants);
    c->execute_script(grant_script(grants));
  }

  // The InsufficientPrivilege message sql raises as the application role.
  std::string refused(Database& db, const std::string& sql) {
    try {
      db.connection()->execute_script(sql);
      ADD_FAILURE() << "the application role could run: " << sql;
    } catch (const InsufficientPrivilege& e) {
      EXPECT_EQ(e.sqlstate(), "42501");
      return e.server_message();
    }
    return {};
  }

  static constexpr const char* kMigratorPassword = "Migr4tor-pw-lp";
  static constexpr const char* kAppPassword = "App-r0le-pw-lp";
  std::string migrator_, app_, schema_;
};

TEST_F(LeastPrivilegeTest, RepositoryWorksUnderTheApplicationRoleAndDdlIsRefused) {
  const migrate::MigrateOptions options = quiet_builtin();
  Database migrator_db(url_as(migrator_, kMigratorPassword));
  migrate::upgrade(migrator_db, "head", options);
  grant_application_role(migrator_db);

  Database app_db(url_as(app_, kAppPassword));
  app_db.transaction([](Session& s) {
    EventRepository events(s);
    const Event e = events.record(R"({"type": "ticket.created", "ticket": {"id": 7}})");
    events.merge_task_context(e.id, R"({"classification": "shipping"})");
    EXPECT_EQ(events.find_processed().size(), 1U);
    EXPECT_EQ(events.find_containing(R"({"type": "ticket.created"})").size(), 1U);
    EXPECT_EQ(events.delete_older_than(Timestamp::now()), 1);
  });

  EXPECT_EQ(refused(app_db, "CREATE TABLE sneaky (id int)"),
            "permission denied for schema " + schema_);
  EXPECT_EQ(refused(app_db, "DROP TABLE events"), "must be owner of table events");
  EXPECT_EQ(refused(app_db, "ALTER TABLE events ADD COLUMN extra text"),
            "must be owner of table events");
  EXPECT_EQ(refused(app_db, "CREATE INDEX ix_sneaky ON events (updated_at)"),
            "must be owner of table events");
  EXPECT_EQ(refused(app_db, "TRUNCATE events"), "permission denied for table events");

  // Migrating is the migration role's job: the application role cannot even read the version
  // table, let alone change the schema.
  try {
    migrate::upgrade(app_db, "head", options);
    ADD_FAILURE() << "the application role could run migrations";
  } catch (const InsufficientPrivilege& e) {
    EXPECT_EQ(e.server_message(), "permission denied for table retort_version");
  }
}

TEST_F(LeastPrivilegeTest, ReadOnlyRoleCanOnlySelect) {
  const migrate::MigrateOptions options = quiet_builtin();
  Database migrator_db(url_as(migrator_, kMigratorPassword));
  migrate::upgrade(migrator_db, "head", options);
  migrator_db.transaction([](Session& s) { EventRepository(s).record(R"({"type": "x"})"); });
  GrantOptions grants;
  grants.role = app_;
  grants.schema = schema_;
  grants.read_only = true;
  migrator_db.connection()->execute_script(grant_script(grants));

  Database app_db(url_as(app_, kAppPassword));
  app_db.transaction([](Session& s) { EXPECT_EQ(EventRepository(s).find({}).size(), 1U); });
  try {
    app_db.transaction([](Session& s) { EventRepository(s).record(R"({"type": "y"})"); });
    ADD_FAILURE() << "a read-only role could insert";
  } catch (const InsufficientPrivilege& e) {
    EXPECT_EQ(e.server_message(), "permission denied for table events");
  }
}

// `retort grants --worker`: everything a worker does works under the role; storing or deleting
// events and DDL are refused.
TEST_F(LeastPrivilegeTest, WorkerRoleProcessesButCannotInsertOrDeleteEvents) {
  const migrate::MigrateOptions options = quiet_builtin();
  Database migrator_db(url_as(migrator_, kMigratorPassword));
  migrate::upgrade(migrator_db, "head", options);
  migrator_db.transaction([](Session& s) {
    EventRepository events(s);
    for (int i = 0; i < 3; ++i) events.record(R"({"type": "w"})");
  });
  GrantOptions grants;
  grants.role = app_;
  grants.schema = schema_;
  grants.worker = true;
  {
    PooledConnection c = migrator_db.connection();
    inspect_grants(*c, grants);
    c->execute_script(grant_script(grants));
  }

  Database worker_db(url_as(app_, kAppPassword));
  Processor p(worker_db, {.worker_id = "lp:1"});
  const std::vector<ClaimedEvent> claimed = p.claim(3);
  ASSERT_EQ(claimed.size(), 3U);
  EXPECT_EQ(p.heartbeat(claimed), 3U);
  EXPECT_EQ(p.complete(claimed[0], R"({"a": 1})", ContextWrite::merge_patch), Outcome::done);
  EXPECT_EQ(p.fail(claimed[1], "no"), Outcome::retry);
  EXPECT_EQ(p.release(std::span<const ClaimedEvent>(&claimed[2], 1)), 1U);
  worker_db.transaction([](Session& s) {
    record_worker(s, {.id = "lp",
                      .host = "h",
                      .pid = 1,
                      .slots = 1,
                      .started_at = Timestamp::now(),
                      .heartbeat_at = Timestamp::now()});
    EXPECT_EQ(processing_stats(s).workers.size(), 1U);
    remove_worker(s, "lp");
  });

  try {
    worker_db.transaction([](Session& s) { EventRepository(s).record(R"({"type": "y"})"); });
    ADD_FAILURE() << "a worker role could store an event";
  } catch (const InsufficientPrivilege& e) {
    EXPECT_EQ(e.server_message(), "permission denied for table events");
  }
  EXPECT_EQ(refused(worker_db, "DELETE FROM events"), "permission denied for table events");
  EXPECT_EQ(refused(worker_db, "ALTER TABLE events ADD COLUMN extra text"),
            "must be owner of table events");
}

TEST(GrantScript, WorkerAndReadOnlyExcludeEachOther) {
  GrantOptions grants;
  grants.role = "w";
  grants.worker = true;
  grants.read_only = true;
  EXPECT_THROW(grant_script(grants), UsageError);
  grants.read_only = false;
  const std::string script = grant_script(grants);
  EXPECT_NE(script.find("GRANT SELECT, UPDATE ON TABLE public.events TO w;"), std::string::npos)
      << script;
  EXPECT_NE(script.find("ON TABLE public.retort_workers TO w;"), std::string::npos) << script;
  EXPECT_EQ(script.find("INSERT, UPDATE, DELETE ON TABLE public.events"), std::string::npos)
      << script;
}

}  // namespace
}  // namespace retort::events

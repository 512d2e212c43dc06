// The PostgreSQL connection: session settings, failures, liveness, the statement cache,
// notices, and deferred transactions.
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include <cstdio>

#include "core/log.hpp"
#include "driver/postgres/pg_connection.hpp"
#include "pg_fixture.hpp"

namespace retort::testing {
namespace {

using namespace std::chrono_literals;

// Server-side prepared statements of c, read without preparing anything (stream sends an
// uncached statement unnamed), ordered by name.
std::vector<std::pair<std::string, std::string>> prepared_statements(Connection& c) {
  std::vector<std::pair<std::string, std::string>> out;
  c.stream("SELECT name, statement FROM pg_prepared_statements ORDER BY name", {},
           [&](const Row& row) { out.emplace_back(row[0].as_text(), row[1].as_text()); });
  return out;
}

bool wait_until_dead(Connection& c) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
    if (!c.check_alive()) return true;
  }
  return false;
}

using PgConnection = PgTest;

TEST_F(PgConnection, SessionRunsInUtcKeepingTheUrlOptions) {
  EXPECT_EQ(db_->dialect(), Dialect::postgresql);
  EXPECT_EQ(db_->execute("SHOW TimeZone").at(0)[0].as_text(), "UTC");
  EXPECT_EQ(db_->execute("SHOW search_path").at(0)[0].as_text(), schema_.name());
  EXPECT_EQ(db_->execute("SHOW client_encoding").at(0)[0].as_text(), "UTF8");
  const std::string text = db_->execute("SELECT now()::text").at(0)[0].as_text();
  EXPECT_TRUE(text.ends_with("+00")) << text;
}

TEST_F(PgConnection, PgoptionsStillAppliesWhenTheUrlSetsNoOptions) {
  DatabaseUrl url = parse_database_url(pg_server_url());  // no options= in the URL
  ::setenv("PGOPTIONS", "-c work_mem=7MB", 1);
  std::unique_ptr<Connection> c;
  try {
    c = connect(url);
  } catch (...) {
    ::unsetenv("PGOPTIONS");
    throw;
  }
  ::unsetenv("PGOPTIONS");
  EXPECT_EQ(c->execute("SHOW work_mem").at(0)[0].as_text(), "7MB");
  EXPECT_EQ(c->execute("SHOW TimeZone").at(0)[0].as_text(), "UTC");
}

TEST_F(PgConnection, ApplicationNameComesFromOptionsUnlessTheUrlSetsOne) {
  // PGAPPNAME, when set, wins over the option (libpq's fallback_application_name).
  const char* env = std::getenv("PGAPPNAME");
  EXPECT_EQ(db_->execute("SHOW application_name").at(0)[0].as_text(), env ? env : "retort");
  ConnectionOptions options;
  options.application_name = "worker-7";
  EXPECT_EQ(open(options)->execute("SHOW application_name").at(0)[0].as_text(),
            env ? env : "worker-7");
  DatabaseUrl url = schema_.url();
  url.set_param("application_name", "from-url");
  EXPECT_EQ(connect(url, options)->execute("SHOW application_name").at(0)[0].as_text(), "from-url");
}

TEST_F(PgConnection, WrongPasswordFailsWithTheRedactedUrlAndNeverThePassword) {
  const std::string password = "wr0ng:p@ss/w%rd";
  DatabaseUrl url = schema_.url();
  url.set_param("password", password);
  try {
    connect(url);
    FAIL() << "expected ConnectionError";
  } catch (const ConnectionError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.sqlstate(), "08001");
    EXPECT_NE(what.find(url.redacted()), std::string::npos) << what;
    EXPECT_NE(what.find("password authentication failed"), std::string::npos) << what;
    for (const std::string& secret :
         {password, std::string("wr0ng%3Ap%40ss%2Fw%25rd"), std::string("s3cr:et@pw/x%y"),
          std::string("s3cr%3Aet%40pw%2Fx%25y")}) {
      EXPECT_EQ(what.find(secret), std::string::npos) << what;
    }
  }
}

TEST_F(PgConnection, UnreachableServerFailsWithConnectionError) {
  DatabaseUrl url = schema_.url();
  url.set_param("host", "127.0.0.1");
  url.set_param("port", "1");
  EXPECT_THROW(connect(url), ConnectionError);
}

TEST_F(PgConnection, TerminatedBackendIsSeenByCheckAliveWithoutARoundTrip) {
  EXPECT_TRUE(db_->check_alive());
  const std::int64_t pid = backend_pid(*db_);
  // The timeout makes pg_terminate_backend wait until the backend is gone.
  open()->execute("SELECT pg_terminate_backend($1::int, 5000)", {pid});
  EXPECT_TRUE(wait_until_dead(*db_));
  EXPECT_TRUE(db_->is_broken());
  try {
    db_->execute("SELECT 1");
    FAIL() << "expected ConnectionError";
  } catch (const ConnectionError& e) {
    // The server said why before closing; check_alive read it.
    EXPECT_EQ(e.sqlstate(), "57P01");
    EXPECT_NE(std::string(e.what()).find("administrator command"), std::string::npos);
  }
  EXPECT_FALSE(db_->check_alive());
}

TEST_F(PgConnection, TerminatedBackendMakesTheNextStatementThrowConnectionError) {
  const std::int64_t pid = backend_pid(*db_);
  open()->execute("SELECT pg_terminate_backend($1::int, 5000)", {pid});
  try {
    db_->execute("SELECT 1");
    FAIL() << "expected ConnectionError";
  } catch (const ConnectionError& e) {
    EXPECT_TRUE(e.sqlstate() == "57P01" || e.sqlstate().starts_with("08")) << e.sqlstate();
  }
  EXPECT_TRUE(db_->is_broken());
  EXPECT_FALSE(db_->check_alive());
}

TEST_F(PgConnection, EveryOperationOnATerminatedBackendThrowsConnectionError) {
  const std::vector<std::pair<std::string, std::function<void(Connection&)>>> operations = {
      {"cached execute", [](Connection& c) { c.execute("SELECT 1"); }},
      {"new execute", [](Connection& c) { c.execute("SELECT 2"); }},
      {"deferred begin",
       [](Connection& c) {
         c.begin({});
         c.execute("SELECT 1");
       }},
      {"pipeline",
       [](Connection& c) {
         c.pipeline(std::vector<Statement>{{"SELECT 1", {}}, {"SELECT 3", {}}});
       }},
      {"stream", [](Connection& c) { c.stream("SELECT 1", {}, [](const Row&) {}); }},
      {"script", [](Connection& c) { c.execute_script("SELECT 1; SELECT 2"); }},
      {"copy", [](Connection& c) { c.copy_in("pg_class", std::vector<std::string>{"relname"}); }},
  };
  auto killer = open();
  for (const auto& [what, operation] : operations) {
    auto c = open();
    c->execute("SELECT 1");
    killer->execute("SELECT pg_terminate_backend($1::int, 5000)", {backend_pid(*c)});
    EXPECT_THROW(operation(*c), ConnectionError) << what;
    EXPECT_TRUE(c->is_broken()) << what;
    EXPECT_FALSE(c->check_alive()) << what;
    EXPECT_THROW(c->execute("SELECT 1"), ConnectionError) << what;
  }
}

TEST_F(PgConnection, TerminatedDuringAStatement) {
  const std::int64_t pid = backend_pid(*db_);
  std::thread killer([&] {
    std::this_thread::sleep_for(200ms);
    open()->execute("SELECT pg_terminate_backend($1::int)", {pid});
  });
  EXPECT_THROW(db_->execute("SELECT pg_sleep(10)"), ConnectionError);
  killer.join();
  EXPECT_TRUE(db_->is_broken());
}

TEST_F(PgConnection, PreparedStatementsAreCachedAndEvictedLeastRecentlyUsed) {
  ConnectionOptions options;
  options.statement_cache_size = 2;
  auto c = open(options);
  c->execute("SELECT 1 AS a");
  c->execute("SELECT 2 AS b");
  c->execute("SELECT 1 AS a");  // a hit: "a" is now the most recently used
  auto names = prepared_statements(*c);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].second, "SELECT 1 AS a");
  EXPECT_EQ(names[1].second, "SELECT 2 AS b");
  const std::string a_name = names[0].first;
  std::int64_t runs = 0;  // streamed: an uncached statement is sent unnamed, nothing evicted
  c->stream("SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = $1",
            std::vector<Value>{a_name}, [&](const Row& row) { runs = row[0].as_int64(); });
  EXPECT_EQ(runs, 2);  // prepared once, executed twice

  c->execute("SELECT 3 AS c");  // evicts "b", the least recently used
  names = prepared_statements(*c);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].first, a_name);
  EXPECT_EQ(names[1].second, "SELECT 3 AS c");
  EXPECT_EQ(c->execute("SELECT 2 AS b").at(0)[0].as_int64(), 2);  // re-prepared on demand
}

TEST_F(PgConnection, SameSqlWithOtherParameterTypesIsPreparedSeparately) {
  EXPECT_EQ(db_->execute("SELECT $1::text", {42}).at(0)[0].as_text(), "42");
  EXPECT_EQ(db_->execute("SELECT $1::text", {"x"}).at(0)[0].as_text(), "x");
  EXPECT_EQ(db_->execute("SELECT $1::text", {true}).at(0)[0].as_text(), "true");
}

TEST_F(PgConnection, StatementsLostByDiscardAllArePreparedAgain) {
  db_->execute("SELECT 1");
  db_->execute_script("DISCARD ALL");
  EXPECT_EQ(db_->execute("SELECT 1").at(0)[0].as_int64(), 1);
  EXPECT_EQ(prepared_statements(*db_).size(), 1u);
}

TEST_F(PgConnection, CachedStatementsSurviveAlterTable) {
  db_->execute("CREATE TABLE t (x int)");
  db_->execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(db_->execute("SELECT * FROM t").columns().size(), 1u);
  db_->execute("ALTER TABLE t ADD COLUMN y text DEFAULT 'y'");
  // The cached plan's result type changed: prepared again and retried transparently.
  const Result r = db_->execute("SELECT * FROM t");
  EXPECT_EQ(r.columns().size(), 2u);
  EXPECT_EQ(r.at(0)["y"].as_text(), "y");
  db_->execute("ALTER TABLE t ADD COLUMN z int");
  db_->begin({});
  // Inside a transaction the error has aborted it, so it is reported instead.
  EXPECT_THROW(db_->execute("SELECT * FROM t"), DatabaseError);
  db_->rollback();
  EXPECT_EQ(db_->execute("SELECT * FROM t").columns().size(), 3u);
}

TEST_F(PgConnection, UnnamedModeNeverPreparesAnything) {
  ConnectionOptions options;
  options.prepared_statements = false;
  auto c = open(options);
  c->execute("CREATE TABLE t (x int)");
  for (int i = 0; i < 3; ++i) c->execute("INSERT INTO t VALUES ($1)", {i});
  c->pipeline(std::vector<Statement>{{"SELECT 1", {}}, {"SELECT $1::int", {2}}});
  c->begin({});
  c->execute("INSERT INTO t VALUES (9)");
  c->commit();
  EXPECT_EQ(c->execute("SELECT count(*) FROM pg_prepared_statements").at(0)[0].as_int64(), 0);
  EXPECT_EQ(c->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 4);
}

TEST_F(PgConnection, ServerNoticesReachTheLogger) {
  std::mutex mutex;
  std::vector<std::pair<log::Level, std::string>> lines;
  const log::Level saved = log::level();
  log::set_level(log::Level::debug);
  log::set_sink([&](log::Level level, const std::string& line) {
    std::lock_guard lock(mutex);
    lines.emplace_back(level, line);
  });
  db_->execute_script("DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$");
  log::set_sink({});
  log::set_level(saved);
  bool notice = false;
  bool warning = false;
  for (const auto& [level, line] : lines) {
    if (line.find("hello 42") != std::string::npos) notice = level == log::Level::info;
    if (line.find("careful") != std::string::npos) warning = level == log::Level::warn;
  }
  EXPECT_TRUE(notice);
  EXPECT_TRUE(warning);
}

// What another session sees of c: pg_stat_activity's state and last query text.
std::pair<std::string, std::string> activity(Connection& observer, std::int64_t pid) {
  const Result r =
      observer.execute("SELECT state, query FROM pg_stat_activity WHERE pid = $1::int", {pid});
  return {r.at(0)[0].as_text(), r.at(0)[1].as_text()};
}

TEST_F(PgConnection, BeginIsDeferredUntilTheFirstStatement) {
  auto observer = open();
  const std::int64_t pid = backend_pid(*db_);
  db_->execute("CREATE TABLE t (x int)");
  db_->begin({});
  EXPECT_TRUE(db_->in_transaction());
  EXPECT_EQ(activity(*observer, pid),
            std::make_pair(std::string("idle"), std::string("CREATE TABLE t (x int)")));
  db_->commit();  // BEGIN never went out: nothing is sent
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(activity(*observer, pid).second, "CREATE TABLE t (x int)");

  db_->begin({});
  db_->execute("INSERT INTO t VALUES ($1)", {1});  // BEGIN rides in the same round trip
  EXPECT_EQ(activity(*observer, pid), std::make_pair(std::string("idle in transaction"),
                                                     std::string("INSERT INTO t VALUES ($1)")));
  db_->rollback();
  EXPECT_EQ(count_rows("t"), 0);

  db_->begin({});
  db_->execute("INSERT INTO t VALUES ($1)", {2});
  db_->commit();
  EXPECT_EQ(count_rows("t"), 1);
}

// A trace line "F<TAB>len<TAB>Sync|Query|CopyDone ..." (a frontend message the client then waits
// on). Plain parsing: <regex> trips GCC 12's -Wmaybe-uninitialized under ASan + -Werror.
bool is_waiting_message(std::string_view line) {
  if (!line.starts_with("F\t")) return false;
  line.remove_prefix(2);
  std::size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits == 0 || digits >= line.size() || line[digits] != '\t') return false;
  line.remove_prefix(digits + 1);
  for (std::string_view name : {"Sync", "Query", "CopyDone"}) {
    if (line.starts_with(name) && (line.size() == name.size() ||
                                   !std::isalnum(static_cast<unsigned char>(line[name.size()])))) {
      return true;
    }
  }
  return false;
}

// The round trips c makes while body runs, from libpq's protocol trace: the client waits for
// the server after each Sync (extended protocol), Query (simple protocol) and CopyDone.
int round_trips(Connection& c, const std::function<void()>& body) {
  auto* pg = dynamic_cast<driver::pg::PgConnection*>(&c);
  if (pg == nullptr) throw std::logic_error("not a PostgreSQL connection");
  std::FILE* trace = std::tmpfile();
  PQtrace(pg->raw(), trace);
  PQsetTraceFlags(pg->raw(), PQTRACE_SUPPRESS_TIMESTAMPS);
  body();
  PQuntrace(pg->raw());
  std::rewind(trace);
  int count = 0;
  char line[4096];
  while (std::fgets(line, sizeof line, trace) != nullptr) {
    if (is_waiting_message(line)) ++count;
  }
  std::fclose(trace);
  return count;
}

TEST_F(PgConnection, OneInsertThenCommitTakesTwoRoundTrips) {
  db_->execute("CREATE TABLE t (x int)");
  EXPECT_EQ(round_trips(*db_,
                        [&] {
                          db_->begin({});
                          db_->execute("INSERT INTO t VALUES ($1)",
                                       {1});  // BEGIN + PREPARE + EXECUTE
                          db_->commit();
                        }),
            2);
  EXPECT_EQ(round_trips(*db_, [&] { db_->execute("INSERT INTO t VALUES ($1)", {2}); }), 1);
  EXPECT_EQ(
      round_trips(*db_,
                  [&] {
                    db_->pipeline(std::vector<Statement>(100, {"INSERT INTO t VALUES ($1)", {3}}));
                  }),
      1);
  EXPECT_EQ(round_trips(*db_,
                        [&] {
                          db_->begin({});
                          auto writer = db_->copy_in("t", std::vector<std::string>{"x"});
                          writer->write_row(std::vector<Value>{4});
                          writer->finish();  // BEGIN and COPY went out together
                          db_->commit();
                        }),
            3);
  EXPECT_EQ(round_trips(*db_,
                        [&] {
                          db_->begin({});
                          db_->commit();
                        }),
            0);
  EXPECT_EQ(count_rows("t"), 103);
}

TEST_F(PgConnection, TransactionOptionsApply) {
  db_->begin({IsolationLevel::serializable, true});
  EXPECT_EQ(db_->execute("SHOW transaction_isolation").at(0)[0].as_text(), "serializable");
  EXPECT_EQ(db_->execute("SHOW transaction_read_only").at(0)[0].as_text(), "on");
  EXPECT_THROW(db_->execute("CREATE TABLE t (x int)"), DatabaseError);
  db_->rollback();
  db_->begin({IsolationLevel::repeatable_read, false});
  EXPECT_EQ(db_->execute("SHOW transaction_isolation").at(0)[0].as_text(), "repeatable read");
  db_->commit();
}

TEST_F(PgConnection, TransactionMisuseIsAUsageError) {
  EXPECT_THROW(db_->commit(), UsageError);
  EXPECT_NO_THROW(db_->rollback());
  db_->begin({});
  EXPECT_THROW(db_->begin({}), UsageError);
  db_->rollback();
}

TEST_F(PgConnection, DeferredBeginRidesAlongWithEveryKindOfStatement) {
  db_->execute("CREATE TABLE t (x int)");
  const std::vector<std::function<void()>> first_statements = {
      [&] { db_->execute_script("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"); },
      [&] { db_->stream("INSERT INTO t VALUES (3) RETURNING x", {}, [](const Row&) {}); },
      [&] {
        db_->pipeline(std::vector<Statement>{{"INSERT INTO t VALUES ($1)", {4}}});
      },
      [&] {
        const std::vector<std::string> columns = {"x"};
        auto writer = db_->copy_in("t", columns);
        writer->write_row(std::vector<Value>{5});
        writer->finish();
      },
      [&] {
        db_->savepoint("sp");
        db_->execute("INSERT INTO t VALUES (6)");
      },
  };
  for (const auto& statement : first_statements) {
    db_->begin({});
    statement();
    EXPECT_GT(db_->execute("SELECT count(*) FROM t").at(0)[0].as_int64(), 0);
    EXPECT_EQ(count_rows("t"), 0) << "visible outside before commit: BEGIN was not sent";
    db_->rollback();
    EXPECT_EQ(count_rows("t"), 0);
  }
}

TEST_F(PgConnection, SavepointsNest) {
  db_->execute("CREATE TABLE t (x int)");
  db_->begin({});
  db_->execute("INSERT INTO t VALUES (1)");
  db_->savepoint("a");
  db_->execute("INSERT INTO t VALUES (2)");
  db_->savepoint("b");
  EXPECT_THROW(db_->execute("INSERT INTO t VALUES ('x')"), DataException);
  db_->rollback_to_savepoint("b");
  db_->rollback_to_savepoint("a");
  db_->execute("INSERT INTO t VALUES (3)");
  db_->release_savepoint("a");
  db_->commit();
  const Result r = db_->execute("SELECT x FROM t ORDER BY x");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][0].as_int64(), 1);
  EXPECT_EQ(r[1][0].as_int64(), 3);
}

}  // namespace
}  // namespace retort::testing

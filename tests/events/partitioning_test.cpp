// The partitioned events table (revision e2c7b9a4f610) on a real PostgreSQL 15: the conversion,
// partitions ahead (retort's function and pg_partman), retention by whole partitions and by
// batched DELETE (plain table, SQLite), unique ids across partitions, `retort check`, and the
// command line. The processing scenarios on a partitioned table are in processing_claim_test.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "events/processing_fixture.hpp"
#include "retort/autogenerate.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/partitioning.hpp"
#include "retort/processing.hpp"
#include "retort/worker.hpp"

namespace retort::events {
namespace {

using retort::testing::TestDatabase;

class Partitioned : public ::testing::Test {
 protected:
  Partitioned() : test_db_(Dialect::postgresql), db_(test_db_.url()) {
    migrate::upgrade(db_, "head", quiet_partitioned());
  }
  std::int64_t scalar(const std::string& sql, std::initializer_list<Value> params = {}) {
    return db_.transaction([&](Session& s) { return s.execute(sql, params).at(0)[0].as_int64(); });
  }
  void exec(const std::string& sql) {
    db_.transaction([&](Session& s) { s.execute(sql); });
  }
  // Partitions for the last `days` days (old events are stored into them).
  void partitions_back(int days) {
    exec(fmt::format("SELECT retort_events_ensure_partitions(now() - interval '{} days', now())",
                     days));
  }
  // One event created `days_ago` days ago with the given status.
  Uuid store_aged(int days_ago, const std::string& status) {
    const Uuid id = Uuid::v7();
    db_.transaction([&](Session& s) {
      s.execute(fmt::format("INSERT INTO events (id, data, created_at, status) VALUES"
                            " ($1, '{{\"type\": \"t\"}}', now() - interval '{} days', $2)",
                            days_ago),
                {id, status});
    });
    return id;
  }
  bool exists(const std::string& table) {
    return scalar("SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)", {table}) == 1;
  }
  std::vector<std::string> partition_names() {
    std::vector<std::string> out;
    db_.transaction([&](Session& s) {
      for (const PartitionInfo& p : list_partitions(s)) out.push_back(p.name);
    });
    return out;
  }

  TestDatabase test_db_;
  Database db_;
};

TEST(PartitionedRevision, ConvertsTheTableKeepingRowsAndCoversEveryDayWithRows) {
  TestDatabase test_db(Dialect::postgresql);
  Database db(test_db.url());
  migrate::upgrade(db, "head", quiet_builtin());
  db.transaction([](Session& s) {
    EventRepository repo(s);
    repo.record_many({R"({"type": "a"})", R"({"type": "b"})"});
    s.execute("UPDATE events SET created_at = now() - interval '3 days' WHERE data->>'type' = 'a'");
  });
  migrate::upgrade(db, "head", quiet_partitioned());
  db.transaction([](Session& s) {
    EXPECT_EQ(partition_manager(s), PartitionManager::retort);
    EXPECT_EQ(s.execute("SELECT count(*) FROM events").at(0)[0].as_int64(), 2);
    const std::vector<PartitionInfo> parts = list_partitions(s);
    // From the day of the oldest row (3 days ago) through a week ahead: 11 UTC days.
    EXPECT_EQ(parts.size(), 11U);
    EXPECT_EQ(s.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'events_pkey'"
                        " AND array_length(conkey, 1) = 2 AND conrelid = 'events'::regclass")
                  .at(0)[0]
                  .as_int64(),
              1)
        << "the primary key is not (id, created_at)";
  });
  // And back: one table again, the rows kept.
  migrate::downgrade(db, "b5f0c3e8d217", quiet_partitioned());
  db.transaction([](Session& s) {
    EXPECT_EQ(partition_manager(s), PartitionManager::none);
    EXPECT_EQ(s.execute("SELECT count(*) FROM events").at(0)[0].as_int64(), 2);
  });
}

TEST_F(Partitioned, PartitionsAheadAreCreatedOnceAndInsertsBeyondThemFailLoudly) {
  const PartitionsReport first = create_partitions(db_, std::chrono::days(14));
  EXPECT_EQ(first.manager, PartitionManager::retort);
  EXPECT_EQ(first.created.size(), 7U) << "the revision made 8 days (today + 7)";
  EXPECT_TRUE(create_partitions(db_, std::chrono::days(14)).created.empty());
  EXPECT_THROW(create_partitions(db_, std::chrono::milliseconds(-1)), InvalidInput);
  try {
    store_aged(-30, "pending");
    ADD_FAILURE() << "an event beyond the last partition was stored";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "23514") << e.what();  // no partition of relation "events"
  }
}

TEST_F(Partitioned, RetainDropsWholeOldPartitionsAndKeepsThoseWithUnfinishedEvents) {
  partitions_back(40);
  const Uuid old_done = store_aged(35, "done");
  store_aged(33, "dead");
  store_aged(32, "pending");
  const Uuid recent = store_aged(2, "done");

  RetainReport r = retain(db_, {.older_than = std::chrono::days(30)});
  EXPECT_EQ(r.method, "drop_partitions");
  // Every partition whose upper bound is 30 days old or more went, except the one holding the
  // pending event.
  EXPECT_EQ(r.kept_partitions.size(), 1U);
  EXPECT_TRUE(r.partial());
  EXPECT_GE(r.dropped.size(), 9U);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE id = $1", {old_done}), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE id = $1", {recent}), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'pending'"), 1);
  for (const std::string& name : r.dropped) EXPECT_FALSE(exists(name)) << name;
  EXPECT_TRUE(exists(r.kept_partitions.at(0))) << "the kept partition was not reattached";
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)",
                   {r.kept_partitions.at(0)}),
            1);

  r = retain(db_, {.older_than = std::chrono::days(30), .include_unfinished = true});
  EXPECT_EQ(r.dropped.size(), 1U);
  EXPECT_FALSE(r.partial());
  EXPECT_EQ(scalar("SELECT count(*) FROM events"), 1);
  EXPECT_THROW(retain(db_, {.older_than = std::chrono::days(-1)}), InvalidInput);
}

TEST_F(Partitioned, AnIdStoredTwiceInTwoPartitionsIsRefusedAndNothingIsWritten) {
  partitions_back(3);
  const Uuid id = store_aged(0, "pending");
  const std::int64_t before = scalar("SELECT count(*) FROM events");
  try {
    db_.transaction([&](Session& s) {
      s.execute(
          "INSERT INTO events (id, data, created_at) VALUES ($1, '{}', now() - interval "
          "'2 days')",
          {id});
    });
    ADD_FAILURE() << "the same id was stored in a second partition";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.sqlstate(), "23505") << e.what();
    EXPECT_NE(std::string(e.what()).find(id.to_string()), std::string::npos) << e.what();
  }
  // A batch with one repeated id is refused as a whole.
  EXPECT_THROW(db_.transaction([&](Session& s) {
    s.execute(
        "INSERT INTO events (id, data, created_at) VALUES (gen_random_uuid(), '{}', now()),"
        " ($1, '{}', now() - interval '1 day')",
        {id});
  }),
               DatabaseError);
  EXPECT_EQ(scalar("SELECT count(*) FROM events"), before);
  // Ids retort generates go in as usual, many per statement.
  db_.transaction([](Session& s) {
    EventRepository(s).record_many(std::vector<std::string>(50, R"({"type": "t"})"));
  });
  EXPECT_EQ(scalar("SELECT count(*) FROM events"), before + 50);
}

TEST_F(Partitioned, CheckFindsNoDifferenceAndNoPrimaryKeyNote) {
  migrate::MigrateOptions o = quiet_partitioned();
  const autogenerate::Diff diff = autogenerate::check(db_, builtin_schema(), o);
  EXPECT_TRUE(diff.empty());
  for (const std::string& note : diff.notes) {
    EXPECT_EQ(note.find("primary key"), std::string::npos) << note;
  }
}

TEST_F(Partitioned, PgPartmanManagesTheTableWhenItIsRegistered) {
  exec("CREATE SCHEMA IF NOT EXISTS partman");
  exec("CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman");
  // retort names its partitions as pg_partman does (events_pYYYY_MM_DD), so pg_partman takes
  // over the ones the revision made (today + 7 days) and premakes beyond them.
  const std::string parent = db_.transaction([](Session& s) {
    return s.execute("SELECT current_schema()").at(0)[0].as_text();
  }) + ".events";
  db_.transaction([&](Session& s) {
    s.execute(
        "SELECT partman.create_parent(p_parent_table := $1, p_control := 'created_at',"
        " p_type := 'native', p_interval := 'daily', p_premake := 10, p_jobmon := false)",
        {parent});
  });
  const PartitionsReport r = create_partitions(db_, std::chrono::days(7));
  EXPECT_EQ(r.manager, PartitionManager::pg_partman);
  const auto names = partition_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "events_default"), names.end())
      << "pg_partman made no default partition";
  // pg_partman premade 10 days ahead where retort had made 7.
  const std::string day10 = db_.transaction([](Session& s) {
    return s
        .execute(
            "SELECT 'events_p' || to_char((now() AT TIME ZONE 'UTC')::date + 10,"
            " 'YYYY_MM_DD')")
        .at(0)[0]
        .as_text();
  });
  EXPECT_NE(std::find(names.begin(), names.end(), day10), names.end()) << day10;
  // Retention and processing do not care who made the partitions.
  store_aged(0, "pending");
  Processor p(db_, {.worker_id = "pm:1:0"});
  const std::vector<ClaimedEvent> claimed = p.claim(1);
  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_EQ(p.complete(claimed.front(), "{}"), Outcome::done);
  EXPECT_FALSE(retain(db_, {.older_than = std::chrono::days(30)}).partial());
  exec("DELETE FROM partman.part_config WHERE parent_table = '" + parent + "'");
}

TEST_F(Partitioned, AWorkerProcessesEverythingAndKeepsPartitionsAhead) {
  db_.transaction([](Session& s) {
    std::vector<std::string> docs;
    for (int i = 0; i < 40; ++i)
      docs.push_back(i % 2 == 0 ? R"({"type": "a"})" : R"({"type": "b"})");
    EventRepository(s).record_many(std::move(docs));
  });
  WorkerOptions o;
  o.slots = 3;
  o.batch_size = 4;
  o.once = true;
  o.default_max_attempts = 1;
  o.partitions_ahead = std::chrono::days(12);
  Worker w(db_, o);
  w.handle("a", [](const ClaimedEvent&) { return HandlerResult{R"({"ok": true})"}; });
  w.handle("b", [](const ClaimedEvent&) -> HandlerResult { throw std::runtime_error("no b"); });
  w.run();
  EXPECT_EQ(w.counters().done, 20);
  EXPECT_EQ(w.counters().dead, 20);
  EXPECT_EQ(w.counters().lease_lost, 0);
  EXPECT_EQ(
      scalar("SELECT count(*) FROM events WHERE status = 'done' AND task_context IS NOT NULL"), 20);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE status = 'dead' AND last_error = 'no b'"),
            20);
  // The worker made the partitions 12 days ahead (the revision had made 7).
  const std::string day12 = db_.transaction([](Session& s) {
    return s
        .execute(
            "SELECT 'events_p' || to_char((now() AT TIME ZONE 'UTC')::date + 12,"
            " 'YYYY_MM_DD')")
        .at(0)[0]
        .as_text();
  });
  EXPECT_TRUE(exists(day12)) << day12;
}

// The slower path: a plain table and SQLite delete old events in bounded batches.
class RetainByDelete : public ::testing::TestWithParam<Dialect> {};

TEST_P(RetainByDelete, DeletesOldFinishedEventsInBatchesAndKeepsUnfinished) {
  TestDatabase test_db(GetParam());
  Database db(test_db.url());
  migrate::upgrade(db, "head", quiet_builtin());
  db.transaction([](Session& s) {
    EventRepository(s).record_many(std::vector<std::string>(7, R"({"type": "t"})"));
    s.execute("UPDATE events SET status = 'done'");
  });
  const Timestamp long_ago = Timestamp::parse("2020-01-01T00:00:00Z");
  db.transaction([&](Session& s) {
    // Five old events, one of them still pending; two recent ones.
    s.execute("UPDATE events SET created_at = $1 WHERE id IN (SELECT id FROM events LIMIT 5)",
              {long_ago});
    s.execute(
        "UPDATE events SET status = 'pending' WHERE id IN (SELECT id FROM events"
        " WHERE created_at = $1 LIMIT 1)",
        {long_ago});
  });
  RetainReport r = retain(db, {.older_than = std::chrono::days(30), .batch_size = 2});
  EXPECT_EQ(r.method, "batched_delete");
  EXPECT_EQ(r.rows, 4);
  EXPECT_EQ(r.kept_unfinished, 1);
  EXPECT_TRUE(r.partial());
  r = retain(db, {.older_than = std::chrono::days(30), .include_unfinished = true});
  EXPECT_EQ(r.rows, 1);
  EXPECT_FALSE(r.partial());
  EXPECT_EQ(db.transaction([](Session& s) {
    return s.execute("SELECT count(*) FROM events").at(0)[0].as_int64();
  }),
            2);
  EXPECT_THROW(retain(db, {.older_than = std::chrono::days(1), .batch_size = 0}), InvalidInput);
  // SQLite has no partitioning; the plain PostgreSQL table is not partitioned.
  EXPECT_THROW(create_partitions(db, std::chrono::days(7)), UsageError);
}

INSTANTIATE_TEST_SUITE_P(Dialects, RetainByDelete,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

// The command line: `retort events partitions` and `retort events retain`.
class PartitionCommands : public ProcessingDb {};

TEST_P(PartitionCommands, PartitionsAndRetainReportWhatTheyDidWithTheirExitCodes) {
  if (GetParam() == Dialect::postgresql) {
    migrate::upgrade(*db_, "head", quiet_partitioned());
    auto r = cli("events partitions --ahead 10d --format json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Json doc = Json::parse(r.output);
    EXPECT_EQ(doc["manager"], "retort");
    EXPECT_EQ(doc["created"].size(), 3U) << r.output;
    EXPECT_EQ(doc["partitions"].size(), 11U) << r.output;
    r = cli("events partitions --list");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("11 partitions, managed by retort"), std::string::npos) << r.output;
    // list and find read the partitioned table as they read the plain one.
    const Uuid id = store({{{"type", "findme"}}}).at(0);
    r = cli("events list");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(id.to_string()), std::string::npos) << r.output;
    r = cli("events find --contains '{\"type\": \"findme\"}'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(id.to_string()), std::string::npos) << r.output;
    r = cli("events show " + id.to_string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
  } else {
    const auto r = cli("events partitions");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("SQLite has no partitioning"), std::string::npos) << r.output;
  }
  store({{{"type", "t"}}});
  auto r = cli("events retain 30d --format json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Json::parse(r.output)["method"],
            GetParam() == Dialect::postgresql ? "drop_partitions" : "batched_delete");
  r = cli("events retain soon");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("AGE: bad duration 'soon'"), std::string::npos) << r.output;
  r = cli("events retain");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // An old unfinished event is kept, and the run says so with exit code 6.
  db_->transaction([](Session& s) {
    if (s.dialect() == Dialect::postgresql) {
      s.execute("SELECT retort_events_ensure_partitions(now() - interval '40 days', now())");
    }
    s.execute("INSERT INTO events (id, data, created_at) VALUES ($1, '{}', $2)",
              {Uuid::v7(), Timestamp(Timestamp::now().time_point() - std::chrono::days(35))});
  });
  r = cli("events retain 30d");
  EXPECT_EQ(r.exit_code, 6) << r.output;
  EXPECT_NE(r.output.find("--include-unfinished"), std::string::npos) << r.output;
  r = cli("events retain 30d --include-unfinished");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Dialects, PartitionCommands,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::events

// Revision e93712f478ad on SQLite: the events table rebuilt with its status predicates (the CHECK
// ck_events_status, the WHERE of ix_events_claim and ix_events_claim_workflow) as OR chains
// instead of IN lists, so that an INSERT no longer fills an ephemeral B-tree per predicate. The
// rebuild keeps every row and value both ways, the CHECK refuses what it refused, and the claim
// finds its partial indexes at this revision and at b5f0c3e8d217.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/processing_fixture.hpp"
#include "events/processing_sql.hpp"

namespace retort::events {
namespace {

constexpr const char* kBefore = "b5f0c3e8d217";
constexpr const char* kAfter = "e93712f478ad";

// Events in every status, every processing column set somewhere, NULLs elsewhere.
constexpr const char* kRows = R"(INSERT INTO events
  (id, data, task_context, created_at, updated_at, status, attempts, max_attempts, run_after,
   locked_until, locked_by, last_error, finished_at, workflow_type) VALUES
  ('00000000-0000-4000-8000-000000000001', '{"type": "a"}', NULL, '2026-12-01T10:00:00.000001Z',
   '2026-12-01T10:00:00.000001Z', 'pending', 0, NULL, '2026-12-01T10:00:00.000001Z', NULL, NULL,
   NULL, NULL, NULL),
  ('00000000-0000-4000-8000-000000000002', '{"type": "b", "n": [1, 2]}', NULL,
   '2026-12-01T10:00:01.000000Z', '2026-12-01T10:00:02.000000Z', 'running', 2, 5,
   '2026-12-01T10:05:00.000000Z', '2026-12-01T10:05:00.000000Z', 'host:1', 'timeout', NULL,
   'billing'),
  ('00000000-0000-4000-8000-000000000003', '{"type": "a"}', '{"result": "ok"}',
   '2026-12-01T10:00:02.000000Z', '2026-12-01T10:00:03.000000Z', 'done', 1, NULL,
   '2026-12-01T10:00:02.000000Z', NULL, NULL, NULL, '2026-12-01T10:00:03.000000Z', NULL),
  ('00000000-0000-4000-8000-000000000004', '{"type": "c"}', NULL, '2026-12-01T10:00:03.000000Z',
   '2026-12-01T10:00:04.000000Z', 'failed', 1, 3, '2026-12-01T10:01:00.000000Z', NULL, NULL,
   'boom: ''quoted'' text', NULL, 'ops'),
  ('00000000-0000-4000-8000-000000000005', '{"type": "c"}', '{"partial": true}',
   '2026-12-01T10:00:04.000000Z', '2026-12-01T10:00:09.000000Z', 'dead', 3, 3,
   '2026-12-01T10:00:04.000000Z', NULL, NULL, 'lease expired on the last attempt',
   '2026-12-01T10:00:09.000000Z', NULL))";

class SqliteStatusPredicates : public ::testing::Test {
 protected:
  SqliteStatusPredicates() : db_(parse_database_url("sqlite:///" + (dir_ / "events.db").string())) {
    migrate::upgrade(db_, kBefore, quiet_builtin());
  }

  Result rows(const std::string& sql, std::initializer_list<Value> params = {}) {
    return db_.transaction([&](Session& s) { return s.execute(sql, params); });
  }

  // Every column's declaration, then every row with each value quoted (type and text), in id
  // order: equal snapshots mean nothing was lost or changed.
  std::vector<std::string> snapshot() {
    std::vector<std::string> out;
    std::string select;
    for (const Row& c : rows("SELECT name, type, \"notnull\", dflt_value, pk "
                             "FROM pragma_table_info('events') ORDER BY cid")) {
      std::string declaration;
      for (std::size_t i = 0; i < c.size(); ++i) {
        declaration += (c[i].is_null() ? std::string("NULL") : c[i].to_display()) + " ";
      }
      out.push_back(declaration);
      select +=
          (select.empty() ? "" : " || '|' || ") + std::string("quote(\"") + c[0].as_text() + "\")";
    }
    for (const Row& r : rows("SELECT " + select + " FROM events ORDER BY id")) {
      out.push_back(r[0].as_text());
    }
    return out;
  }

  // The CREATE statements of the table and its two claim indexes.
  std::string predicates_ddl() {
    std::string out;
    for (const Row& r : rows("SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND name IN "
                             "('events', 'ix_events_claim', 'ix_events_claim_workflow') "
                             "ORDER BY name")) {
      out += r[0].as_text() + "\n";
    }
    return out;
  }

  // How many ephemeral tables the program of an event INSERT opens.
  int ephemeral_tables_per_insert() {
    int n = 0;
    const Result program = rows(
        "EXPLAIN INSERT INTO events (id, data, task_context, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        {"00000000-0000-4000-8000-0000000000ff", R"({"type": "x"})", std::nullopt,
         "2026-12-01T11:00:00.000000Z", "2026-12-01T11:00:00.000000Z"});
    for (const Row& step : program) {
      if (step[1].as_text() == "OpenEphemeral") ++n;
    }
    return n;
  }

  // The plan SQLite picks for the claim (sql::claim), one line per step.
  std::string claim_plan(bool by_workflow) {
    std::vector<Value> params = {10, "host:1", 5, "2026-12-02T00:00:00.000000Z",
                                 "2026-12-02T00:05:00.000000Z"};
    if (by_workflow) params.emplace_back("billing");
    std::string out;
    db_.transaction([&](Session& s) {
      for (const Row& r :
           s.execute("EXPLAIN QUERY PLAN " + sql::claim(Dialect::sqlite, by_workflow),
                     std::span<const Value>(params))) {
        out += r[3].as_text() + "\n";
      }
    });
    return out;
  }

  TempDir dir_;
  Database db_;
};

TEST_F(SqliteStatusPredicates, UpgradeDowngradeUpgradeKeepsEveryRowAndValue) {
  rows(kRows);
  const std::vector<std::string> before = snapshot();
  ASSERT_EQ(before.size(), 14u + 5u);  // 14 columns, 5 rows
  ASSERT_NE(predicates_ddl().find("status IN ('pending'"), std::string::npos);

  migrate::upgrade(db_, kAfter, quiet_builtin());
  EXPECT_EQ(snapshot(), before);
  const std::string after = predicates_ddl();
  EXPECT_EQ(after.find(" IN ("), std::string::npos) << after;
  EXPECT_NE(after.find("CHECK (status = 'pending' OR status = 'running' OR status = 'done' OR "
                       "status = 'failed' OR status = 'dead')"),
            std::string::npos)
      << after;

  migrate::downgrade(db_, kBefore, quiet_builtin());
  EXPECT_EQ(snapshot(), before);
  EXPECT_NE(predicates_ddl().find("status IN ('pending', 'running', 'done', 'failed', 'dead')"),
            std::string::npos);

  migrate::upgrade(db_, "head", quiet_builtin());
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(predicates_ddl().find(" IN ("), std::string::npos);
}

TEST_F(SqliteStatusPredicates, CheckRefusesAnUnknownStatusAsBefore) {
  const auto refusal = [&] {
    try {
      rows("INSERT INTO events (id, data, status) VALUES ($1, '{}', 'finished')",
           {"00000000-0000-4000-8000-0000000000aa"});
    } catch (const IntegrityError& e) {
      return e.sqlstate() + " " + e.what();
    }
    return std::string("accepted");
  };
  const std::string before = refusal();
  EXPECT_EQ(before.rfind("23514 ", 0), 0u) << before;
  EXPECT_NE(before.find("ck_events_status"), std::string::npos) << before;
  migrate::upgrade(db_, kAfter, quiet_builtin());
  EXPECT_EQ(refusal(), before);
  for (const char* good : {"pending", "running", "done", "failed", "dead"}) {
    EXPECT_NO_THROW(
        rows("INSERT INTO events (id, data, status) VALUES (lower(hex(randomblob(16))),"
             " '{}', $1)",
             {good}))
        << good;
  }
  EXPECT_EQ(rows("SELECT count(*) FROM events").at(0)[0].as_int64(), 5);
}

TEST_F(SqliteStatusPredicates, InsertFillsNoEphemeralTableAfterTheRevision) {
  // b5f0c3e8d217: one per IN list (the CHECK and the two claim indexes).
  EXPECT_EQ(ephemeral_tables_per_insert(), 3);
  migrate::upgrade(db_, kAfter, quiet_builtin());
  EXPECT_EQ(ephemeral_tables_per_insert(), 0);
}

TEST_F(SqliteStatusPredicates, ClaimUsesThePartialIndexesAtBothRevisions) {
  for (const char* revision : {kBefore, kAfter}) {
    SCOPED_TRACE(revision);
    migrate::upgrade(db_, revision, quiet_builtin());
    const std::string all = claim_plan(false);
    EXPECT_NE(all.find("USING INDEX ix_events_claim ("), std::string::npos) << all;
    const std::string one = claim_plan(true);
    EXPECT_NE(one.find("USING INDEX ix_events_claim_workflow ("), std::string::npos) << one;
  }
}

}  // namespace
}  // namespace retort::events

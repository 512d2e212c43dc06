// EventRepository and ingest, the same on PostgreSQL and SQLite.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "retort/error.hpp"
#include "retort/events.hpp"
#include "support/events_schema.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

using Json = nlohmann::json;

class EventStoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  EventStoreTest() : test_db_(GetParam()), db_(test_db_.url(), options()) {
    testing::upgrade_events_schema(db_);
  }

  static DatabaseOptions options() {
    DatabaseOptions o;
    o.pool.max_size = 8;
    return o;
  }

  template <class F>
  decltype(auto) tx(F&& work) {
    return db_.transaction([&](Session& s) {
      EventRepository repo(s);
      return work(repo);
    });
  }

  std::int64_t rows() {
    return db_.connection()->execute("SELECT count(*) FROM events").at(0)[0].as_int64();
  }

  std::set<std::string> ids(const std::vector<Event>& events) {
    std::set<std::string> out;
    for (const Event& e : events) out.insert(e.id.to_string());
    return out;
  }

  Database& db() { return db_; }

 private:
  testing::TestDatabase test_db_;
  Database db_;
};

TEST_P(EventStoreTest, SchemaComesFromTheMigrationsAndMatchesTheModel) {
  const schema::Table& t = model<Event>().table();
  EXPECT_EQ(t.name, "events");
  ASSERT_EQ(t.columns.size(), 5u);
  EXPECT_EQ(t.columns[1].type.kind, schema::ColumnType::Kind::jsonb);
  EXPECT_FALSE(t.columns[1].nullable);
  EXPECT_TRUE(t.columns[2].nullable);
  ASSERT_EQ(t.indexes.size(), 2u);
  EXPECT_EQ(t.indexes[1].method, "gin");
  EXPECT_EQ(t.indexes[1].elements[0].operator_class, "jsonb_path_ops");
  testing::upgrade_events_schema(db());  // again: nothing to do
  EXPECT_EQ(rows(), 0);
  EXPECT_NO_THROW(db().transaction([](Session& s) { require_schema(s, true); }));
}

TEST_P(EventStoreTest, WithoutTheMigrationsEveryEntryPointSaysToUpgrade) {
  testing::TestDatabase empty(GetParam());
  Database bare(empty.url());
  const auto expect_upgrade_hint = [](const std::function<void()>& call, const char* table) {
    try {
      call();
      ADD_FAILURE() << "no error without the " << table << " table";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("no ") + table + " table: run `retort upgrade head`");
    }
  };
  expect_upgrade_hint([&] { bare.transaction([](Session& s) { require_schema(s); }); }, "events");
  std::istringstream in("{\"a\": 1}\n");
  expect_upgrade_hint([&] { ingest(bare, in); }, "events");
  // Nothing was created on the way.
  EXPECT_THROW(bare.connection()->execute("SELECT count(*) FROM events"), DatabaseError);
  // A database migrated before the ledger's revision: ingesting a file needs it.
  testing::upgrade_events_schema(bare, "7c2d9e4b1a60");
  IngestOptions with_source;
  with_source.source = IngestSource{"events.jsonl", 8, std::string(64, '0')};
  std::istringstream again("{\"a\": 1}\n");
  expect_upgrade_hint([&] { ingest(bare, again, with_source); }, "events_ingest_ledger");
}

TEST_P(EventStoreTest, RecordFillsIdAndTimestamps) {
  const Timestamp before = Timestamp::now();
  Event e =
      tx([](EventRepository& r) { return r.record(R"({"type": "ticket.created", "n": 1})"); });
  EXPECT_EQ(e.id.version(), 7);
  EXPECT_GE(e.created_at, before);
  EXPECT_EQ(e.created_at, e.updated_at);
  EXPECT_FALSE(e.task_context.has_value());
  Event again = tx([&](EventRepository& r) { return r.get_required(e.id); });
  EXPECT_EQ(Json::parse(again.data.text()), Json::parse(R"({"type": "ticket.created", "n": 1})"));
  EXPECT_EQ(again.created_at, e.created_at);

  db().transaction([](Session& s) {
    EventRepository v1(s, EventOptions{.id_version = IdVersion::v1});
    EXPECT_EQ(v1.record("{}").id.version(), 1);
  });
}

// Both overloads name the refused document by index and byte offset; the copying one leaves the
// caller's documents as they were, the taking one stores what it was given.
TEST_P(EventStoreTest, RecordManyNamesTheRefusedDocument) {
  const std::vector<std::string> documents = {R"({"n": 1})", R"({"n": 2})", R"({"n": [})"};
  for (bool take : {false, true}) {
    try {
      tx([&](EventRepository& r) {
        return take ? r.record_many(std::vector<std::string>(documents)) : r.record_many(documents);
      });
      FAIL() << "a malformed document was stored";
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "events.data[2]") << e.what();
      EXPECT_EQ(e.offset(), 7u) << e.what();
    }
  }
  EXPECT_EQ(documents[2], R"({"n": [})");
  EXPECT_EQ(rows(), 0);
  std::vector<std::string> good = {R"({"n": 1})", R"({"n": 2})"};
  const std::vector<Event> stored =
      tx([&](EventRepository& r) { return r.record_many(std::move(good)); });
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(Json::parse(stored[1].data.text()), Json::parse(R"({"n": 2})"));
  EXPECT_EQ(stored[0].id.version(), 7);
  EXPECT_EQ(rows(), 2);
}

TEST_P(EventStoreTest, RefusedInputLeavesTheTableUnchanged) {
  tx([](EventRepository& r) { return r.record(R"({"keep": true})"); });
  const std::string bad_inputs[] = {R"({"a": )",
                                    std::string("{\"a\": \"\0\"}", 10),
                                    "{\"a\": \"\xc3\"}",
                                    R"({"a": "\u0000"})",
                                    "",
                                    "{} trailing"};
  for (const std::string& bad : bad_inputs) {
    EXPECT_THROW(tx([&](EventRepository& r) { return r.record(bad); }), InvalidInput) << bad;
    EXPECT_THROW(tx([&](EventRepository& r) {
                   return r.record_many({"{}", bad, "{}"});
                 }),
                 InvalidInput);
  }
  db().transaction([](Session& s) {
    EventRepository small(s, EventOptions{.max_event_bytes = 16});
    EXPECT_THROW(small.record(R"({"aaaaaaaaaaaaaaaaaaaaaaa": 1})"), InvalidInput);
  });
  Event e = tx([](EventRepository& r) { return r.find({}).at(0); });
  EXPECT_THROW(tx([&](EventRepository& r) { return r.set_task_context(e.id, "{oops"); }),
               InvalidInput);
  EXPECT_THROW(tx([&](EventRepository& r) { return r.merge_task_context(e.id, "[1,"); }),
               InvalidInput);
  EXPECT_EQ(rows(), 1);
  EXPECT_FALSE(
      tx([&](EventRepository& r) { return r.get_required(e.id); }).task_context.has_value());

  std::istringstream strict_in("{\"ok\": 1}\n{\"ok\": 2}\nnot json\n");
  IngestReport report = ingest(db(), strict_in, IngestOptions{.strict = true});
  EXPECT_TRUE(report.aborted);
  EXPECT_EQ(report.accepted, 0u);
  EXPECT_EQ(report.rejected, 1u);
  EXPECT_EQ(rows(), 1);
}

// Keys, values and paths full of SQL metacharacters are data: stored and matched verbatim.
TEST_P(EventStoreTest, HostileStringsAreStoredAndMatchedVerbatim) {
  const std::string nasty_key = R"(k'"; DROP TABLE events; --)";
  const std::string nasty_value = R"(v' OR '1'='1"); DELETE FROM events; /* $1 ? :x \\ %_ )";
  Json doc = {{"type", "evil"}, {nasty_key, nasty_value}, {"nested", {{"$.a[0]", {{"'", "\""}}}}}};
  Event e = tx([&](EventRepository& r) { return r.record(doc.dump()); });
  tx([](EventRepository& r) { return r.record(R"({"type": "plain"})"); });
  EXPECT_EQ(rows(), 2);

  tx([&](EventRepository& r) {
    Event got = r.get_required(e.id);
    EXPECT_EQ(Json::parse(got.data.text()), doc);
    EXPECT_EQ(ids(r.find_containing(Json{{nasty_key, nasty_value}}.dump())), ids({e}));
    EXPECT_TRUE(r.find_containing(Json{{nasty_key, "v'"}}.dump()).empty());
    EXPECT_EQ(ids(r.find_by_path({nasty_key}, Value(nasty_value))), ids({e}));
    EXPECT_EQ(ids(r.find_by_path({"nested", "$.a[0]", "'"}, Value("\""))), ids({e}));
    EventFilter exists;
    exists.path = {"nested", "$.a[0]"};
    EXPECT_EQ(ids(r.find(exists)), ids({e}));
    Event merged = r.merge_task_context(e.id, Json{{nasty_key, {{"'", nasty_value}}}}.dump());
    EXPECT_EQ(Json::parse(merged.task_context->text()), (Json{{nasty_key, {{"'", nasty_value}}}}));
    return 0;
  });
  EXPECT_EQ(rows(), 2);
}

// One limit on both backends (SQLite used to fail from 127 steps on, "too many arguments on
// function", while PostgreSQL went on): kMaxJsonPathSteps works, one more is refused before any
// SQL runs, with the count in the message.
TEST_P(EventStoreTest, JsonPathsHaveOneLengthLimitOnBothBackends) {
  std::string doc = "1";
  for (std::size_t i = 0; i < kMaxJsonPathSteps; ++i) doc = R"({"k":)" + doc + "}";
  Event e = tx([&](EventRepository& r) { return r.record(doc); });
  const std::vector<PathStep> longest(kMaxJsonPathSteps, PathStep("k"));
  tx([&](EventRepository& r) {
    EXPECT_EQ(ids(r.find_by_path(longest, Value(1))), ids({e}));
    return 0;
  });
  for (const std::size_t steps : {kMaxJsonPathSteps + 1, std::size_t{127}, std::size_t{500}}) {
    const std::vector<PathStep> too_long(steps, PathStep("k"));
    try {
      tx([&](EventRepository& r) { return r.find_by_path(too_long, Value(1)); });
      ADD_FAILURE() << steps << " steps were accepted";
    } catch (const InvalidInput& error) {
      EXPECT_NE(std::string(error.what()).find(std::to_string(steps) + " steps, more than the 100"),
                std::string::npos)
          << error.what();
    }
  }
}

TEST_P(EventStoreTest, JsonFiltersTimeRangeAndProcessed) {
  std::vector<Event> stored = tx([](EventRepository& r) {
    return r.record_many(
        {R"({"type": "a", "tags": ["x", "y"], "n": 1, "customer": {"tier": "pro"}})",
         R"({"type": "a", "tags": ["y"], "n": 1.0})",
         R"({"type": "b", "items": [{"sku": "K-1"}, {"sku": "K-2"}], "n": 2})",
         R"({"type": "b", "n": null, "customer": {"tier": "free"}})", R"([1, 2, 3])",
         R"("just a string")"});
  });
  ASSERT_EQ(stored.size(), 6u);
  tx([&](EventRepository& r) {
    EXPECT_EQ(r.find_containing(R"({"type": "a"})").size(), 2u);
    EXPECT_EQ(ids(r.find_containing(R"({"tags": ["x"]})")), ids({stored[0]}));
    EXPECT_EQ(ids(r.find_containing(R"({"items": [{"sku": "K-2"}]})")), ids({stored[2]}));
    EXPECT_EQ(ids(r.find_containing(R"({"customer": {}})")), ids({stored[0], stored[3]}));
    EXPECT_EQ(ids(r.find_containing(R"({"n": null})")), ids({stored[3]}));
    EXPECT_EQ(ids(r.find_containing("2")), ids({stored[4]}));
    EXPECT_EQ(r.find_containing("{}").size(), 4u);
    EXPECT_EQ(ids(r.find_by_path({"n"}, Value(1))), ids({stored[0], stored[1]}));
    EXPECT_EQ(ids(r.find_by_path({"items", 1, "sku"}, Value("K-2"))), ids({stored[2]}));
    EXPECT_EQ(ids(r.find_by_path({"items", -1, "sku"}, Value("K-2"))), ids({stored[2]}));
    EXPECT_EQ(ids(r.find_by_path({"customer", "tier"}, Value(JsonText{R"("pro")"}))),
              ids({stored[0]}));
    EXPECT_EQ(r.count({.contains = std::string(R"({"type": "b"})")}), 2);
    EXPECT_EQ(r.find({.limit = 2}).size(), 2u);
    return 0;
  });

  // Time range and retention, on rows whose created_at is set explicitly.
  tx([](EventRepository& r) {
    for (const char* at :
         {"2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-11-15T12:00:00Z"}) {
      Event e;
      e.data = JsonText{std::string(R"({"at": ")") + at + "\"}"};
      e.created_at = Timestamp::parse(at);
      r.generic().create(e);
    }
    return 0;
  });
  tx([](EventRepository& r) {
    EXPECT_EQ(
        r.find_in_range(Timestamp::parse("2026-11-01"), Timestamp::parse("2026-11-16")).size(), 2u);
    EXPECT_EQ(r.find_in_range(std::nullopt, Timestamp::parse("2026-11-01")).size(), 1u);
    EXPECT_EQ(r.find({.contains = std::string(R"({"at": "2026-11-15T12:00:00Z"})"),
                      .since = Timestamp::parse("2026-11-02")})
                  .size(),
              1u);
    return 0;
  });
  EXPECT_EQ(
      tx([](EventRepository& r) { return r.delete_older_than(Timestamp::parse("2026-11-10")); }),
      2);
  EXPECT_EQ(rows(), 7);

  // Processed or not.
  tx([&](EventRepository& r) {
    EXPECT_EQ(r.find_unprocessed().size(), 7u);
    r.set_task_context(stored[0].id, R"({"done": true})");
    r.merge_task_context(stored[1].id, R"({"done": true})");
    EXPECT_EQ(ids(r.find_processed()), ids({stored[0], stored[1]}));
    EXPECT_EQ(r.find_unprocessed().size(), 5u);
    r.clear_task_context(stored[0].id);
    EXPECT_EQ(ids(r.find_processed()), ids({stored[1]}));
    return 0;
  });
}

TEST_P(EventStoreTest, MergePatchFollowsRfc7386InTheDatabase) {
  Event e = tx([](EventRepository& r) { return r.record("{}"); });
  struct Case {
    const char* before;
    const char* patch;
    const char* after;
  };
  // RFC 7386 appendix A, plus nested merges.
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
      {R"({"x":{"y":{"z":1,"w":2},"v":3}})", R"({"x":{"y":{"z":null,"n":[1]}}})",
       R"({"x":{"y":{"w":2,"n":[1]},"v":3}})"},
  };
  for (const Case& c : cases) {
    Event patched = tx([&](EventRepository& r) {
      r.set_task_context(e.id, c.before);
      return r.merge_task_context(e.id, c.patch);
    });
    ASSERT_TRUE(patched.task_context.has_value());
    EXPECT_EQ(Json::parse(patched.task_context->text()), Json::parse(c.after))
        << c.before << " + " << c.patch;
  }
  // A NULL task_context is patched as {}.
  Event fresh = tx([](EventRepository& r) { return r.record("{}"); });
  Event merged = tx([&](EventRepository& r) {
    return r.merge_task_context(fresh.id, R"({"a": {"b": 1, "c": null}})");
  });
  EXPECT_EQ(Json::parse(merged.task_context->text()), Json::parse(R"({"a": {"b": 1}})"));
  EXPECT_GE(merged.updated_at, fresh.updated_at);
  EXPECT_EQ(merged.created_at, fresh.created_at);
  EXPECT_THROW(tx([](EventRepository& r) { return r.merge_task_context(Uuid::v7(), "{}"); }),
               NotFound);
}

TEST_P(EventStoreTest, UpdatedAtChangesOnEveryUpdate) {
  Event e = tx([](EventRepository& r) { return r.record("{}"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  Event a = tx([&](EventRepository& r) { return r.set_task_context(e.id, R"({"x": 1})"); });
  EXPECT_GT(a.updated_at, e.updated_at);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  Event b = tx([&](EventRepository& r) { return r.merge_task_context(e.id, R"({"y": 1})"); });
  EXPECT_GT(b.updated_at, a.updated_at);
  Event stored = tx([&](EventRepository& r) { return r.get_required(e.id); });
  EXPECT_EQ(stored.updated_at, b.updated_at);
  EXPECT_EQ(stored.created_at, e.created_at);
}

TEST_P(EventStoreTest, IngestStoresValidLinesAndReportsBadOnes) {
  std::ostringstream text;
  text << R"({"type": "a", "i": 0})"
       << "\n"
       << "\n"  // blank: skipped
       << R"({"type": "a", "i": 1,})"
       << "\n"  // line 3: bad
       << R"({"type": "b", "i": 2})"
       << "\r\n"
       << std::string("{\"bad\": \"\xff\"}") << "\n"           // line 5: invalid UTF-8
       << "{\"big\": \"" << std::string(300, 'x') << "\"}\n";  // line 6: too big
  for (int i = 0; i < 25; ++i) text << R"({"type": "c", "i": )" << 10 + i << "}\n";
  text << R"({"last": true})";  // no final newline
  std::istringstream in(text.str());
  std::vector<std::size_t> progress;
  IngestOptions options;
  options.batch_size = 10;
  options.max_event_bytes = 200;
  options.on_progress = [&](std::size_t, std::size_t accepted, std::size_t) {
    progress.push_back(accepted);
  };
  IngestReport report = ingest(db(), in, options);
  EXPECT_EQ(report.accepted, 28u);
  EXPECT_EQ(report.rejected, 3u);
  ASSERT_EQ(report.rejections.size(), 3u);
  EXPECT_EQ(report.rejections[0].line, 3u);
  EXPECT_EQ(report.rejections[0].offset, 21u);
  EXPECT_EQ(report.rejections[1].line, 5u);
  EXPECT_NE(report.rejections[1].reason.find("UTF-8"), std::string::npos);
  EXPECT_EQ(report.rejections[1].offset, 9u);
  EXPECT_EQ(report.rejections[2].line, 6u);
  EXPECT_NE(report.rejections[2].reason.find("maximum"), std::string::npos);
  EXPECT_FALSE(report.aborted);
  EXPECT_GE(progress.size(), 3u);
  EXPECT_EQ(rows(), 28);
  tx([](EventRepository& r) {
    EXPECT_EQ(r.find_containing(R"({"type": "c"})").size(), 25u);
    EXPECT_EQ(r.find_containing(R"({"last": true})").size(), 1u);
    return 0;
  });

  std::istringstream strict_ok("{\"s\": 1}\n{\"s\": 2}\n");
  IngestReport ok = ingest(db(), strict_ok, IngestOptions{.batch_size = 1, .strict = true});
  EXPECT_EQ(ok.accepted, 2u);
  EXPECT_EQ(rows(), 30);
}

TEST_P(EventStoreTest, EightThreadsWritingAtOnce) {
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  Event shared = tx([](EventRepository& r) { return r.record(R"({"shared": true})"); });
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        for (int attempt = 0;; ++attempt) {
          try {
            db().transaction([&](Session& s) {
              EventRepository r(s);
              r.record(Json{{"thread", t}, {"i", i}}.dump());
              r.merge_task_context(
                  shared.id, Json{{"t" + std::to_string(t) + "_" + std::to_string(i), i}}.dump());
            });
            break;
          } catch (const TransactionRollback&) {
            if (attempt > 50) {
              ++failures;
              break;
            }
          } catch (const LockNotAvailable&) {
            if (attempt > 50) {
              ++failures;
              break;
            }
          } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
            ++failures;
            break;
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(rows(), 1 + kThreads * kEach);
  // Every merge landed: no lost update.
  Event after = tx([&](EventRepository& r) { return r.get_required(shared.id); });
  EXPECT_EQ(Json::parse(after.task_context->text()).size(),
            static_cast<std::size_t>(kThreads * kEach));
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStoreTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::events

// Typed errors, the same on both backends, and refused inputs leave the table unchanged.
#include <gtest/gtest.h>

#include "retort/error.hpp"
#include "sample_models.hpp"

namespace retort::orm_test {
namespace {

class ErrorsTest : public OrmTest {
 protected:
  void SetUp() override {
    owner_ = customer();
    existing_ = tx([&](Session& s) { return Repository<Ticket>(s).create(valid("existing")); });
  }

  Ticket valid(std::string title) const {
    Ticket t;
    t.customer_id = owner_.id;
    t.title = std::move(title);
    return t;
  }

  // Runs work in a transaction expecting InvalidInput naming field; checks nothing changed.
  template <class F>
  void expect_refused(const std::string& field, F&& work) {
    std::int64_t before = rows("tickets");
    try {
      tx([&](Session& s) { work(Repository<Ticket>(s)); });
      ADD_FAILURE() << "no InvalidInput for " << field;
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), field) << e.what();
    }
    EXPECT_EQ(rows("tickets"), before);
    Ticket again = tx([&](Session& s) { return Repository<Ticket>(s).get_required(existing_.id); });
    EXPECT_EQ(again.title, existing_.title);
    EXPECT_EQ(again.updated_at, existing_.updated_at);
  }

  Customer owner_;
  Ticket existing_;
};

TEST_P(ErrorsTest, RefusedValuesNameTheFieldAndStoreNothing) {
  auto with = [&](auto change) {
    Ticket t = valid("new");
    change(t);
    return t;
  };
  expect_refused("tickets.title", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.title = std::string("nul\0byte", 8); }));
  });
  expect_refused("tickets.assignee", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.assignee = "bad \xC3\x28 utf8"; }));
  });
  expect_refused("tickets.data", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.data = JsonText{"{\"unclosed\": "}; }));
  });
  expect_refused("tickets.data", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.data = JsonText{R"({"nul": "\u0000"})"}; }));
  });
  expect_refused("tickets.title", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.title = std::string(201, 'x'); }));
  });
  expect_refused("tickets.status", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.status = "lost"; }));
  });
  expect_refused("tickets.priority", [&](Repository<Ticket> r) {
    r.create(with([](Ticket& t) { t.priority = 40000; }));  // smallint
  });
}

TEST_P(ErrorsTest, RefusedUpdatesChangeNothing) {
  expect_refused("tickets.title", [&](Repository<Ticket> r) {
    Ticket t = existing_;
    t.title = std::string("a\0b", 3);
    r.update(t);
  });
  expect_refused("tickets.status", [&](Repository<Ticket> r) {
    r.update_fields(existing_.id, {{"title", "fine"}, {"status", "bogus"}});
  });
  expect_refused("tickets.data", [&](Repository<Ticket> r) {
    r.update_fields(existing_.id, {{"data", JsonText{"nope"}}});
  });
  expect_refused("tickets.title", [&](Repository<Ticket> r) {
    r.update_fields(existing_.id, {{"title", std::nullopt}});  // NOT NULL
  });
  expect_refused("tickets.priority", [&](Repository<Ticket> r) {
    r.update_fields(existing_.id, {{"priority", "high"}});
  });
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    EXPECT_THROW(tickets.update_fields(existing_.id, {{"nope", 1}}), UsageError);
    EXPECT_THROW(tickets.update_fields(existing_.id, {{"id", Uuid::v7()}}), UsageError);
    EXPECT_THROW(tickets.update_fields(existing_.id, {{"title", "a"}, {"title", "b"}}), UsageError);
  });
}

TEST_P(ErrorsTest, OneBadObjectRefusesTheWholeBulkWrite) {
  std::vector<Ticket> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(valid("bulk " + std::to_string(i)));
  batch[37].data = JsonText{"[1, 2"};
  expect_refused("tickets.data", [&](Repository<Ticket> r) { r.create_many(batch); });
}

TEST_P(ErrorsTest, BulkWriteChecksEveryCheckConstraintTheModelDoesNotKnow) {
  // A CHECK added outside the model (by a migration, say) must still hold for create_many,
  // also on SQLite, where a table with only JSON checks lets the bulk path skip them.
  if (GetParam() == Dialect::sqlite) {
    db().connection()->execute_script(
        "DROP TABLE events; CREATE TABLE events (id UUID PRIMARY KEY, "
        "data JSON NOT NULL CHECK (json_valid(data)) CHECK (length(data) < 100), "
        "task_context JSON CHECK (task_context IS NULL OR json_valid(task_context)), "
        "created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)");
  } else {
    db().connection()->execute_script(
        "ALTER TABLE events ADD CONSTRAINT ck_short CHECK (length(data::text) < 100)");
  }
  std::vector<Event> batch(20);
  for (Event& e : batch) e.data = JsonText{R"({"short": true})"};
  batch[13].data = JsonText{"[\"" + std::string(200, 'x') + "\"]"};
  EXPECT_THROW(tx([&](Session& s) { Repository<Event>(s).create_many(batch); }), CheckViolation);
  EXPECT_EQ(rows("events"), 0);
  batch[13].data = JsonText{"[]"};
  tx([&](Session& s) { Repository<Event>(s).create_many(batch); });
  EXPECT_EQ(rows("events"), 20);
}

TEST_P(ErrorsTest, BulkWriteOfJsonOnlyCheckedTableRefusesBadJsonAndKeepsChecksAfterwards) {
  std::vector<Event> batch(30);
  for (Event& e : batch) e.data = JsonText{R"({"ok": 1})"};
  batch[29].data = JsonText{R"({"ok": )"};
  try {
    tx([&](Session& s) { Repository<Event>(s).create_many(batch); });
    ADD_FAILURE() << "no InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "events.data");
  }
  EXPECT_EQ(rows("events"), 0);
  batch[29].data = JsonText{"[]"};
  tx([&](Session& s) { Repository<Event>(s).create_many(batch); });
  EXPECT_EQ(rows("events"), 30);
  // The server's own checks are back for statements that bypass the repository.
  EXPECT_THROW(db().connection()->execute(
                   "INSERT INTO events (id, data, created_at, updated_at) VALUES ($1, $2, $3, $3)",
                   {Uuid::v7(), "{not json", Timestamp::now()}),
               DatabaseError);
  EXPECT_EQ(rows("events"), 30);
}

TEST_P(ErrorsTest, JsonNestingIsLimitedToWhatBothBackendsStore) {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  std::vector<Event> batch(2);
  batch[0].data = JsonText{nested(2000)};
  batch[1].data = JsonText{nested(2001)};
  try {
    tx([&](Session& s) { Repository<Event>(s).create_many(batch); });
    ADD_FAILURE() << "no InvalidInput for 2001 levels";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "events.data");
    EXPECT_NE(std::string(e.what()).find("nested deeper than 2000 levels"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(rows("events"), 0);
  batch.pop_back();
  tx([&](Session& s) { Repository<Event>(s).create_many(batch); });
  EXPECT_EQ(rows("events"), 1);
  if (GetParam() == Dialect::sqlite) {
    // What the bulk path stored without SQLite's CHECK is what json_valid() accepts.
    EXPECT_EQ(db().connection()->execute("SELECT json_valid(data) FROM events").at(0)[0].as_int64(),
              1);
  }
}

TEST_P(ErrorsTest, ConflictsNameTheConstraintOnBothBackends) {
  auto conflict = [&](auto work) -> std::string {
    std::int64_t before = rows("tickets");
    try {
      tx([&](Session& s) { work(s); });
    } catch (const UniqueViolation& e) {
      EXPECT_EQ(e.sqlstate(), "23505");
      EXPECT_EQ(rows("tickets"), before);
      return e.constraint();
    }
    ADD_FAILURE() << "no UniqueViolation";
    return "";
  };
  EXPECT_EQ(conflict([&](Session& s) { Repository<Ticket>(s).create(valid("existing")); }),
            "tickets_customer_id_title_key");
  EXPECT_EQ(conflict([&](Session& s) {
              Ticket t = valid("other");
              t.id = existing_.id;
              Repository<Ticket>(s).create(t);
            }),
            "tickets_pkey");
  EXPECT_EQ(conflict([&](Session& s) {
              Repository<Customer>(s).create({.email = owner_.email, .name = "again"});
            }),
            "customers_email_key");
  EXPECT_EQ(conflict([&](Session& s) {
              Repository<Ticket> tickets(s);
              Ticket second = tickets.create(valid("second"));
              second.title = "existing";
              tickets.update(second);
            }),
            "tickets_customer_id_title_key");
  EXPECT_EQ(conflict([&](Session& s) {
              std::vector<Ticket> batch = {valid("b1"), valid("b2"), valid("existing")};
              Repository<Ticket>(s).create_many(batch);
            }),
            "tickets_customer_id_title_key");
}

TEST_P(ErrorsTest, DatabaseConstraintsAreTypedTheSameWay) {
  std::int64_t before = rows("tickets");
  EXPECT_THROW(tx([&](Session& s) {
                 Ticket t = valid("orphan");
                 t.customer_id = 999999;
                 Repository<Ticket>(s).create(t);
               }),
               ForeignKeyViolation);
  EXPECT_THROW(tx([&](Session& s) {
                 Ticket t = valid("too important");
                 t.priority = 7;  // fits smallint, fails ck_tickets_priority
                 Repository<Ticket>(s).create(t);
               }),
               CheckViolation);
  EXPECT_EQ(rows("tickets"), before);
}

TEST_P(ErrorsTest, NotFound) {
  tx([&](Session& s) {
    Repository<Ticket> tickets(s);
    Ticket ghost = valid("ghost");
    ghost.id = Uuid::v7();
    EXPECT_THROW(tickets.update(ghost), NotFound);
    EXPECT_THROW(tickets.update_fields(ghost.id, {{"title", "x"}}), NotFound);
    EXPECT_THROW(tickets.remove(ghost.id), NotFound);
    EXPECT_THROW(tickets.get_required(ghost.id), NotFound);
    const std::vector<Value> two = {ghost.id, 1};
    EXPECT_THROW(tickets.get(two), UsageError);  // key arity
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, ErrorsTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::orm_test

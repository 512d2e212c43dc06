// Sessions (the seed's db_session) behave the same on both backends.
#include <gtest/gtest.h>

#include <stdexcept>

#include "retort/database.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort {
namespace {

class SessionTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    db_.execute_script_once("CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL)");
  }
  std::int64_t count() {
    return database().connection()->execute("SELECT count(*) FROM items").at(0)[0].as_int64();
  }
  Database& database() { return db_.database; }

  struct Fixture {
    explicit Fixture(Dialect d) : test_db(d), database(test_db.url()) {}
    void execute_script_once(const char* sql) { database.connection()->execute_script(sql); }
    testing::TestDatabase test_db;
    Database database;
  } db_{GetParam()};
};

TEST_P(SessionTest, CommitsWhenTheWorkReturns) {
  database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  });
  EXPECT_EQ(count(), 1);
}

TEST_P(SessionTest, ReturnsWhatTheWorkReturns) {
  const std::int64_t n = database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
    return s.execute("SELECT count(*) FROM items").at(0)[0].as_int64();
  });
  EXPECT_EQ(n, 1);
}

TEST_P(SessionTest, RollsBackAndRethrowsWhenTheWorkThrows) {
  struct Oops : std::runtime_error {
    Oops() : std::runtime_error("oops") {}
  };
  EXPECT_THROW(database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
    throw Oops();
  }),
               Oops);
  EXPECT_EQ(count(), 0);
  EXPECT_EQ(database().pool().stats().in_use, 0u);
}

TEST_P(SessionTest, DatabaseErrorRollsBackTheWholeTransaction) {
  EXPECT_THROW(database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "duplicate"});
  }),
               UniqueViolation);
  EXPECT_EQ(count(), 0);
  // The connection came back clean and works.
  database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {2, "b"});
  });
  EXPECT_EQ(count(), 1);
}

TEST_P(SessionTest, GuardWithoutCommitRollsBack) {
  {
    Session s = database().session();
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  }
  EXPECT_EQ(count(), 0);
  EXPECT_EQ(database().pool().stats().in_use, 0u);
}

TEST_P(SessionTest, GuardWithExplicitCommitKeepsTheWork) {
  Session s = database().session();
  s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  s.commit();
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(count(), 1);
  EXPECT_THROW(s.execute("SELECT 1"), UsageError);
  EXPECT_THROW(s.commit(), UsageError);
}

TEST_P(SessionTest, ExplicitRollback) {
  Session s = database().session();
  s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  s.rollback();
  EXPECT_EQ(count(), 0);
}

TEST_P(SessionTest, UncommittedWorkIsInvisibleToOthers) {
  Session s = database().session();
  s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  EXPECT_EQ(count(), 0);  // another pooled connection; on SQLite a WAL reader's snapshot
  s.commit();
  EXPECT_EQ(count(), 1);
}

TEST_P(SessionTest, NestedScopeIsASavepoint) {
  database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "outer"});
    EXPECT_THROW(s.transaction([](Session& inner) {
      inner.execute("INSERT INTO items VALUES ($1, $2)", {2, "inner"});
      inner.execute("INSERT INTO items VALUES ($1, $2)", {1, "clash"});  // fails: aborts inner
    }),
                 UniqueViolation);
    // The outer transaction is still usable after the failed inner scope.
    s.execute("INSERT INTO items VALUES ($1, $2)", {3, "after"});
    s.transaction([](Session& inner) {
      inner.execute("INSERT INTO items VALUES ($1, $2)", {4, "kept"});
    });
  });
  const Result rows = database().connection()->execute("SELECT id FROM items ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0].as_int64(), 1);
  EXPECT_EQ(rows[1][0].as_int64(), 3);
  EXPECT_EQ(rows[2][0].as_int64(), 4);
}

TEST_P(SessionTest, SavepointGuard) {
  Session s = database().session();
  {
    Savepoint sp = s.savepoint();
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "dropped"});
  }  // no commit: rolled back to the savepoint
  {
    Savepoint sp = s.savepoint();
    s.execute("INSERT INTO items VALUES ($1, $2)", {2, "kept"});
    sp.commit();
    EXPECT_THROW(sp.commit(), UsageError);
  }
  s.commit();
  EXPECT_EQ(count(), 1);
}

TEST_P(SessionTest, ReadOnlySessionRefusesWrites) {
  TransactionOptions read_only;
  read_only.read_only = true;
  EXPECT_THROW(database().transaction(
                   [](Session& s) {
                     s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
                   },
                   read_only),
               DatabaseError);
  EXPECT_EQ(count(), 0);
  // Reads work, and the next ordinary session can write again.
  database().transaction([](Session& s) { s.execute("SELECT count(*) FROM items"); }, read_only);
  database().transaction([](Session& s) {
    s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  });
  EXPECT_EQ(count(), 1);
}

TEST_P(SessionTest, IsolationLevelIsApplied) {
  TransactionOptions serializable;
  serializable.isolation = IsolationLevel::serializable;
  database().transaction(
      [&](Session& s) {
        if (GetParam() == Dialect::postgresql) {
          EXPECT_EQ(s.execute("SHOW transaction_isolation").at(0)[0].as_text(), "serializable");
        } else {
          s.execute("SELECT 1");  // SQLite transactions are always serializable
        }
      },
      serializable);
}

TEST_P(SessionTest, PipelineAndCopyJoinTheSessionTransaction) {
  {
    Session s = database().session();
    std::vector<Statement> batch;
    for (int i = 0; i < 10; ++i) batch.push_back({"INSERT INTO items VALUES ($1, $2)", {i, "p"}});
    s.pipeline(batch);
    const std::vector<std::string> columns{"id", "name"};
    auto writer = s.copy_in("items", columns);
    for (int i = 10; i < 20; ++i) {
      const Value row[] = {i, "c"};
      writer->write_row(row);
    }
    EXPECT_EQ(writer->finish(), 10);
  }  // not committed
  EXPECT_EQ(count(), 0);
}

TEST_P(SessionTest, AutocommitSessionCommitsEachStatementAsItRuns) {
  Session s = database().session({.autocommit = true});
  s.execute("INSERT INTO items VALUES ($1, $2)", {1, "a"});
  EXPECT_EQ(count(), 1);  // another connection sees it before the session ends
  EXPECT_THROW(s.savepoint(), UsageError);
  EXPECT_THROW(s.execute("INSERT INTO items VALUES ($1, $2)", {1, "again"}), UniqueViolation);
  s.execute("INSERT INTO items VALUES ($1, $2)", {2, "b"});  // the failure ended nothing
  s.rollback();  // undoes nothing: there was no transaction
  EXPECT_EQ(count(), 2);
  {
    Session unfinished = database().session({.autocommit = true});
    unfinished.execute("INSERT INTO items VALUES ($1, $2)", {3, "c"});
  }
  EXPECT_EQ(count(), 3);
  // The connection went back to the pool without a transaction: the next session is normal.
  EXPECT_THROW(database().transaction([](Session& t) {
    t.execute("INSERT INTO items VALUES ($1, $2)", {4, "d"});
    throw std::runtime_error("undo");
  }),
               std::runtime_error);
  EXPECT_EQ(count(), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionTest,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort

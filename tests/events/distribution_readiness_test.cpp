// The built-in schema and the processing statements stay within what a Citus distributed table
// allows (docs/scale.md): Citus is not in Debian's archive, so what can be checked without it is
// checked here, against the catalog of a real PostgreSQL database upgraded to head.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "events/processing_fixture.hpp"
#include "events/processing_sql.hpp"
#include "retort/database.hpp"
#include "retort/migrate.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

// The identifiers directly followed by "(" (SQL keywords such as IN and AS among them; the
// catalog lookup below simply finds no function by those names).
std::vector<std::string> called_names(const std::string& statement) {
  std::vector<std::string> names;
  const auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  };
  for (std::size_t open = statement.find('('); open != std::string::npos;
       open = statement.find('(', open + 1)) {
    std::size_t end = open;
    while (end > 0 && statement[end - 1] == ' ') --end;
    std::size_t begin = end;
    while (begin > 0 && is_name_char(statement[begin - 1])) --begin;
    if (begin < end) names.push_back(statement.substr(begin, end - begin));
  }
  return names;
}

// Both PostgreSQL shapes: the built-in table and the partitioned one (docs/partitioning.md).
class DistributionReadiness : public ::testing::TestWithParam<TableShape> {
 protected:
  DistributionReadiness() : db_(schema_.url()) { upgrade_to(db_, GetParam()); }

  Result rows(const std::string& sql) {
    return db_.transaction([&](Session& s) { return s.execute(sql); });
  }

  // Every statement a worker runs against the events table of this shape.
  static std::vector<std::string> processing_statements() {
    constexpr Dialect pg = Dialect::postgresql;
    const bool partitioned = GetParam() == TableShape::partitioned;
    return {sql::claim(pg, false),
            sql::claim(pg, true),
            sql::complete(pg, false, partitioned),
            sql::complete(pg, true, partitioned),
            sql::fail(pg, partitioned),
            sql::heartbeat(pg, partitioned),
            sql::release(pg, partitioned)};
  }

  retort::testing::PgSchema schema_;
  Database db_;
};

TEST_P(DistributionReadiness, EveryUniqueIndexOnEventsContainsTheId) {
  // Citus can distribute by id (or by a bucket added to every unique key) only if no unique
  // index stands without it.
  const Result unique = rows(
      "SELECT c.relname, bool_or(a.attname = 'id') AS has_id"
      " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
      " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
      " WHERE i.indrelid = to_regclass('events') AND i.indisunique GROUP BY c.relname");
  ASSERT_GE(unique.size(), 1u) << "the primary key must be there";
  for (const auto& row : unique) {
    EXPECT_TRUE(row[1].as_bool()) << row[0].as_text() << " is unique without the id";
  }
}

TEST_P(DistributionReadiness, NoForeignKeyTouchesEvents) {
  const Result keys = rows(
      "SELECT conname FROM pg_constraint WHERE contype = 'f'"
      " AND (conrelid = to_regclass('events') OR confrelid = to_regclass('events'))");
  EXPECT_EQ(keys.size(), 0u) << keys.at(0)[0].as_text();
}

TEST_P(DistributionReadiness, TriggersOnEventsAreStatementLevel) {
  // A row trigger would run on the worker holding each shard; the statement-level ones (the
  // NOTIFY, and the partitioned table's unique-id check) are the documented exceptions that Citus
  // deployments drop.
  const Result triggers = rows(
      "SELECT tgname, (tgtype & 1) = 1 AS per_row FROM pg_trigger"
      " WHERE tgrelid = to_regclass('events') AND NOT tgisinternal ORDER BY tgname");
  std::vector<std::string> names;
  for (const auto& row : triggers) {
    names.push_back(row[0].as_text());
    EXPECT_FALSE(row[1].as_bool()) << row[0].as_text() << " is a row-level trigger";
  }
  const std::vector<std::string> expected =
      GetParam() == TableShape::partitioned
          ? std::vector<std::string>{"retort_events_notify", "retort_events_unique_id"}
          : std::vector<std::string>{"retort_events_notify"};
  EXPECT_EQ(names, expected);
}

TEST_P(DistributionReadiness, ProcessingStatementsCallNoVolatileFunction) {
  // Citus refuses VOLATILE functions in an UPDATE of a distributed table. Every name called in
  // the statements is looked up in the catalog, so a new call is checked without listing it.
  std::set<std::string> names;
  for (const std::string& statement : processing_statements()) {
    for (const std::string& name : called_names(statement)) names.insert(name);
  }
  ASSERT_TRUE(names.count("now") == 1 && names.count("retort_json_merge_patch") == 1)
      << "the statements changed shape; this test must see their calls";
  int functions_seen = 0;
  for (const std::string& name : names) {
    const Result found = db_.transaction([&](Session& s) {
      return s.execute(
          "SELECT DISTINCT provolatile::text FROM pg_proc"
          " WHERE proname = $1 AND (pronamespace = 'pg_catalog'::regnamespace"
          "  OR pronamespace = current_schema()::regnamespace)",
          {Value(name)});
    });
    for (const auto& row : found) {
      ++functions_seen;
      EXPECT_NE(row[0].as_text(), "v") << name << "() is VOLATILE";
    }
  }
  EXPECT_GE(functions_seen, 2);
}

TEST_P(DistributionReadiness, TheMergePatchFunctionIsImmutable) {
  // It takes a column (task_context) as its argument: Citus allows that only for IMMUTABLE.
  const Result volatility = rows(
      "SELECT provolatile::text FROM pg_proc"
      " WHERE proname = 'retort_json_merge_patch' AND pronamespace = "
      "current_schema()::regnamespace");
  ASSERT_EQ(volatility.size(), 1u);
  EXPECT_EQ(volatility.at(0)[0].as_text(), "i");
}

TEST_P(DistributionReadiness, NoSequenceFeedsTheEventsTable) {
  // Ids are UUIDs made by the writer; a sequence default would need coordinating across nodes.
  const Result defaults = rows(
      "SELECT a.attname FROM pg_attrdef d JOIN pg_attribute a"
      " ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
      " WHERE d.adrelid = to_regclass('events') AND pg_get_expr(d.adbin, d.adrelid) LIKE"
      " '%nextval(%'");
  EXPECT_EQ(defaults.size(), 0u) << defaults.at(0)[0].as_text();
}

INSTANTIATE_TEST_SUITE_P(Shapes, DistributionReadiness,
                         ::testing::Values(TableShape::postgresql, TableShape::partitioned),
                         TableShapeName());

}  // namespace
}  // namespace retort::events

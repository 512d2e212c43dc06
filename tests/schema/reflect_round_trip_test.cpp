// The property autogenerate rests on: metadata rendered with ddl::create_statements and executed
// reads back equal to as_reflected(metadata) — on SQLite exactly, on PostgreSQL up to the
// expressions the server respells, which are listed here one by one. And reflection is a fixed
// point: a database created from reflected metadata reflects to the same metadata.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "orm/sample_models.hpp"
#include "retort/ddl.hpp"
#include "retort/events.hpp"
#include "retort/inspect.hpp"
#include "schema/schema_printers.hpp"

namespace retort::schema {
namespace {

Column column(std::string name, ColumnType type, bool nullable = true) {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.nullable = nullable;
  return c;
}

// What the sample models do not cover: generated columns, arrays, numeric, dates, custom types,
// composite and named foreign keys, per-dialect expressions, every referential action.
Table shipments() {
  Table t;
  t.name = "shipments";
  t.comment = "parcels of tickets";
  t.columns.push_back(column("id", types::bigint(), false));
  t.columns.back().identity = true;
  t.columns.push_back(column("ticket_id", types::uuid(), false));
  t.columns.push_back(column("customer_id", types::bigint()));
  t.columns.push_back(column("weight", types::numeric(12, 3), false));
  t.columns.push_back(column("grams", types::numeric(15, 0)));
  t.columns.back().generated = DialectSql("weight * 1000");
  t.columns.push_back(column("code", types::varchar(32), false));
  t.columns.back().comment = "carrier's code";
  t.columns.push_back(column("shipped_on", types::date()));
  t.columns.push_back(column("tags", types::array_of(types::text())));
  t.columns.push_back(column("ratio", types::real()));
  t.columns.push_back(column("address", types::custom("inet", "TEXT")));
  t.columns.push_back(column("legacy", types::custom("character(2)", "CHAR(2)")));
  t.columns.push_back(column("note", types::text()));
  t.columns.back().server_default = DialectSql("'none'::text", "'none'");
  t.primary_key = {"shipments_pkey", {"id"}};
  t.unique_constraints.push_back({"uq_shipments_code", {"code"}});
  ForeignKey ticket;
  ticket.name = "fk_shipments_ticket";
  ticket.columns = {"ticket_id"};
  ticket.referred_table = "tickets";
  ticket.referred_columns = {"id"};
  ticket.on_delete = ReferentialAction::restrict;
  ticket.on_update = ReferentialAction::cascade;
  t.foreign_keys.push_back(ticket);
  ForeignKey customer = ticket;
  customer.name = "fk_shipments_customer";
  customer.columns = {"customer_id"};
  customer.referred_table = "customers";
  customer.on_delete = ReferentialAction::set_null;
  customer.on_update = ReferentialAction::no_action;
  t.foreign_keys.push_back(customer);
  t.check_constraints.push_back(
      {"ck_shipments_code", DialectSql("length((code)::text) > 2", "length(code) > 2")});
  t.check_constraints.push_back({"ck_pg_only", DialectSql("code ~ '^[A-Z]'::text", "")});
  Index by_day;
  by_day.name = "ix_shipments_day";
  by_day.elements.push_back({"shipped_on", {}, "", true});
  by_day.elements.push_back({"", DialectSql("upper((code)::text)", "upper(code)"), "", false});
  by_day.where = DialectSql("shipped_on IS NOT NULL");
  t.indexes.push_back(by_day);
  Index tags;
  tags.name = "ix_shipments_tags";
  tags.elements.push_back({"tags", {}, "", false});
  tags.method = "gin";
  tags.postgresql_only = true;
  t.indexes.push_back(tags);
  return t;
}

MetaData sample() {
  MetaData metadata = retort::metadata<orm_test::Customer, orm_test::Ticket, orm_test::Reading>();
  metadata.tables.push_back(shipments());
  return metadata;
}

// A fresh database of the test's dialect, created from metadata.
class RoundTrip : public ::testing::TestWithParam<Dialect> {
 protected:
  RoundTrip() : connection_(connect(database_.url())) {}

  MetaData create_and_reflect(const MetaData& metadata) {
    for (const std::string& statement : ddl::create_statements(metadata, GetParam())) {
      connection_->execute(statement);
    }
    return reflect(*connection_);
  }

  Dialect dialect() const { return GetParam(); }

  testing::TestDatabase database_{GetParam()};
  std::unique_ptr<Connection> connection_;
};

Table& table_in(MetaData& metadata, const std::string& name) {
  for (Table& t : metadata.tables) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no table " + name);
}

// PostgreSQL prints expressions back its own way (pg_get_expr, pretty): casts made explicit,
// BETWEEN expanded, literals typed. This is that respelling for the sample, spelled out so the
// comparison engineer knows exactly what to normalize.
void respell_like_postgresql(MetaData& expected) {
  Table& tickets = table_in(expected, "tickets");
  tickets.check_constraints.at(0).expression = DialectSql("priority >= 0 AND priority <= 5", "");
  for (Index& index : tickets.indexes) {
    if (index.name == "ix_tickets_open") {
      index.where = DialectSql("status <> 'closed'::ticket_status", "");
    }
    if (index.name == "ix_tickets_title_lower") {
      index.elements.at(0).expression = DialectSql("lower(title::text)", "");
    }
  }
  Table& shipments = table_in(expected, "shipments");
  shipments.columns.at(4).generated = DialectSql("(weight * 1000::numeric)", "");
  shipments.check_constraints.at(0).expression = DialectSql("code::text ~ '^[A-Z]'::text", "");
  shipments.check_constraints.at(1).expression = DialectSql("length(code::text) > 2", "");
  shipments.indexes.at(0).elements.at(1).expression = DialectSql("upper(code::text)", "");
}

TEST_P(RoundTrip, ModelsReadBackAsReflected) {
  MetaData models = sample();
  MetaData reflected = create_and_reflect(models);
  MetaData expected = as_reflected(models, dialect());
  if (dialect() == Dialect::postgresql) respell_like_postgresql(expected);
  ASSERT_EQ(reflected.tables.size(), expected.tables.size());
  for (std::size_t i = 0; i < expected.tables.size(); ++i) {
    const Table& want = expected.tables[i];
    const Table& got = reflected.tables[i];
    ASSERT_EQ(got.name, want.name);
    ASSERT_EQ(got.columns.size(), want.columns.size()) << want.name;
    for (std::size_t c = 0; c < want.columns.size(); ++c) {
      EXPECT_EQ(got.columns[c], want.columns[c]) << want.name << "." << want.columns[c].name;
    }
    EXPECT_EQ(got.primary_key, want.primary_key) << want.name;
    EXPECT_EQ(got.unique_constraints, want.unique_constraints) << want.name;
    EXPECT_EQ(got.foreign_keys, want.foreign_keys) << want.name;
    EXPECT_EQ(got.check_constraints, want.check_constraints) << want.name;
    EXPECT_EQ(got.indexes, want.indexes) << want.name;
    EXPECT_EQ(got.comment, want.comment) << want.name;
    EXPECT_EQ(got, want) << want.name;
  }
  EXPECT_EQ(reflected.enums, expected.enums);
}

TEST_P(RoundTrip, ReflectionIsAFixedPoint) {
  MetaData first = create_and_reflect(sample());
  testing::TestDatabase second_database(dialect());
  std::unique_ptr<Connection> second = connect(second_database.url());
  for (const std::string& statement : ddl::create_statements(first, dialect())) {
    second->execute(statement);
  }
  MetaData again = reflect(*second);
  EXPECT_EQ(again.tables, first.tables);
  EXPECT_EQ(again.enums, first.enums);
}

// The shipped events migration, section by section (-- +upgrade <dialect>).
std::string events_migration(Dialect dialect) {
  std::ifstream in(std::string(RETORT_SOURCE_DIR) +
                   "/migrations/versions/4f3c2a1b9d07_create_events_table.sql");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  std::string marker = std::string("-- +upgrade ") + std::string(dialect_name(dialect));
  std::size_t begin = all.find(marker);
  if (begin == std::string::npos) throw std::runtime_error("no section " + marker);
  std::size_t end = all.find("-- +downgrade", begin);
  return all.substr(begin, end - begin);
}

TEST_P(RoundTrip, EventsMigrationMatchesTheEventModel) {
  connection_->execute_script(events_migration(dialect()));
  MetaData reflected = reflect(*connection_);
  MetaData expected = as_reflected(retort::metadata<events::Event>(), dialect());
  if (dialect() == Dialect::sqlite) {
    // The model leaves the key unnamed (the server's choice); SQLite keeps the name the
    // migration gave it. Comparison should ignore the key's name when the model's is empty.
    table_in(expected, "events").primary_key.name = "events_pkey";
    // A real difference, not noise: the migration writes '%fZ' (milliseconds), the model's
    // defaults::now() '%f000Z' (microseconds, the form retort writes).
    for (Column& c : table_in(expected, "events").columns) {
      if (c.server_default) {
        c.server_default = DialectSql("", "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
      }
    }
  }
  EXPECT_EQ(reflected.tables, expected.tables);
  EXPECT_TRUE(reflected.enums.empty());
}

TEST_P(RoundTrip, EventModelReadsBackAsReflected) {
  MetaData models = retort::metadata<events::Event>();
  EXPECT_EQ(create_and_reflect(models).tables, as_reflected(models, dialect()).tables);
}

INSTANTIATE_TEST_SUITE_P(Dialects, RoundTrip,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::DialectName());

}  // namespace
}  // namespace retort::schema

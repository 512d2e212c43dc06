// Models the ORM tests share, using every feature a description offers between them, and the
// fixture that gives each test a fresh database of either dialect with their tables.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "retort/database.hpp"
#include "retort/model.hpp"
#include "retort/repository.hpp"
#include "support/test_db.hpp"

namespace retort::orm_test {

// An identity key, a unique column, an optional enum, a server-filled timestamp.
struct Customer {
  std::int64_t id = 0;
  std::string email{};
  std::string name{};
  std::optional<std::string> tier{};
  std::optional<Timestamp> joined_at{};
};

// A UUID key with a client default, a foreign key, an enum, a check, JSON, every scalar kind,
// set_on_create / set_on_update timestamps, a composite unique constraint and several indexes.
struct Ticket {
  Uuid id{};
  std::int64_t customer_id = 0;
  std::string title{};
  std::string status = "open";
  int priority = 0;
  double score = 0;
  bool urgent = false;
  std::optional<std::string> assignee{};
  std::optional<Timestamp> closed_at{};
  JsonText data{"{}"};
  std::optional<JsonText> context{};
  std::optional<Bytes> attachment{};
  Timestamp created_at{};
  Timestamp updated_at{};
};

// The event store's shape from the issue: raw JSON in, processing context out.
struct Event {
  Uuid id{};
  JsonText data{};
  std::optional<JsonText> task_context{};
  Timestamp created_at{};
  Timestamp updated_at{};
};

// A plain integer key given by the caller, for bulk and streaming tests.
struct Reading {
  std::int64_t id = 0;
  std::string label{};
  double value = 0;
};

}  // namespace retort::orm_test

template <>
struct retort::ModelTraits<retort::orm_test::Customer> {
  static void describe(ModelBuilder<orm_test::Customer>& m) {
    using orm_test::Customer;
    namespace types = schema::types;
    m.table("customers").comment("people who open tickets");
    m.enum_type("customer_tier", {"free", "pro", "it's \"enterprise\""});
    m.column("id", &Customer::id, types::bigint()).primary_key().identity();
    m.column("email", &Customer::email, types::varchar(120)).unique();
    m.column("name", &Customer::name, types::text()).comment("display name");
    m.column("tier", &Customer::tier, types::enum_("customer_tier"));
    m.column("joined_at", &Customer::joined_at, types::timestamptz())
        .not_null()
        .server_default(defaults::now());
  }
};

template <>
struct retort::ModelTraits<retort::orm_test::Ticket> {
  static void describe(ModelBuilder<orm_test::Ticket>& m) {
    using orm_test::Ticket;
    namespace types = schema::types;
    m.table("tickets");
    m.enum_type("ticket_status", {"open", "pending", "closed"});
    m.column("id", &Ticket::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("customer_id", &Ticket::customer_id, types::bigint())
        .references("customers", "id", schema::ReferentialAction::cascade);
    m.column("title", &Ticket::title, types::varchar(200));
    m.column("status", &Ticket::status, types::enum_("ticket_status"));
    m.column("priority", &Ticket::priority, types::smallint()).server_default({"0"});
    m.column("score", &Ticket::score, types::double_precision());
    m.column("urgent", &Ticket::urgent, types::boolean());
    m.column("assignee", &Ticket::assignee, types::text());
    m.column("closed_at", &Ticket::closed_at, types::timestamptz());
    m.column("data", &Ticket::data, types::jsonb());
    m.column("context", &Ticket::context, types::json());
    m.column("attachment", &Ticket::attachment, types::bytes());
    m.column("created_at", &Ticket::created_at, types::timestamptz()).set_on_create();
    m.column("updated_at", &Ticket::updated_at, types::timestamptz())
        .set_on_create()
        .set_on_update();
    m.unique({"customer_id", "title"});
    m.check("ck_tickets_priority", {"priority BETWEEN 0 AND 5"});
    m.index("ix_tickets_status_created").on("status").on("created_at").descending();
    m.index("ix_tickets_open").on("created_at").where({"status <> 'closed'"});
    m.index("ix_tickets_title_lower").on_expression({"lower(title)"});
    m.index("ix_tickets_data").on("data", "jsonb_path_ops").using_method("gin").postgresql_only();
  }
};

template <>
struct retort::ModelTraits<retort::orm_test::Event> {
  static void describe(ModelBuilder<orm_test::Event>& m) {
    using orm_test::Event;
    namespace types = schema::types;
    m.table("events").comment("raw events and their processing results");
    m.column("id", &Event::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("data", &Event::data, types::jsonb());
    m.column("task_context", &Event::task_context, types::jsonb());
    m.column("created_at", &Event::created_at, types::timestamptz())
        .server_default(defaults::now())
        .set_on_create();
    m.column("updated_at", &Event::updated_at, types::timestamptz())
        .set_on_create()
        .set_on_update();
    m.index("ix_events_created_at").on("created_at");
    m.index("ix_events_data").on("data", "jsonb_path_ops").using_method("gin").postgresql_only();
  }
};

template <>
struct retort::ModelTraits<retort::orm_test::Reading> {
  static void describe(ModelBuilder<orm_test::Reading>& m) {
    using orm_test::Reading;
    namespace types = schema::types;
    m.table("readings");
    m.column("id", &Reading::id, types::bigint()).primary_key();
    m.column("label", &Reading::label, types::text());
    m.column("value", &Reading::value, types::double_precision());
  }
};

namespace retort::orm_test {

// A fresh database of the test's dialect holding the sample models' tables.
class OrmTest : public ::testing::TestWithParam<Dialect> {
 protected:
  OrmTest() : test_db_(GetParam()), db_(test_db_.url()) {
    db_.transaction(
        [](Session& s) { create_all(s, metadata<Customer, Ticket, Event, Reading>()); });
  }

  Database& db() { return db_; }

  // Runs work in a transaction that commits.
  template <class F>
  decltype(auto) tx(F&& work) {
    return db_.transaction(std::forward<F>(work));
  }

  // A customer to hang tickets on.
  Customer customer(const std::string& email = "ada@example.com") {
    return tx([&](Session& s) {
      return Repository<Customer>(s).create(Customer{.email = email, .name = "Ada"});
    });
  }

  std::int64_t rows(const char* table) {
    return db_.connection()
        ->execute(std::string("SELECT count(*) FROM ") + table)
        .at(0)[0]
        .as_int64();
  }

 private:
  testing::TestDatabase test_db_;
  Database db_;
};

}  // namespace retort::orm_test

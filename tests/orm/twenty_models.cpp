// Twenty models of 6-10 columns each, with a repository use of each: the compile-time check
// of the issue ("a translation unit with 20 models must build in well under 15 s"). Measured
// with the release flags: g++ -std=c++20 -O2 -Iinclude -c tests/orm/twenty_models.cpp
// (docs/models.md has the figure). twenty_models_test.cpp includes it, so it is also built and
// exercised by the test suite.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "retort/model.hpp"
#include "retort/repository.hpp"

namespace twenty {

struct Account {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
};
struct Invoice {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
  std::optional<retort::Timestamp> opttime_4{};
};
struct Payment {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  retort::JsonText json_0{"{}"};
  std::optional<retort::Timestamp> opttime_1{};
  retort::Uuid uuid_2{};
  std::string text_3{};
  std::int64_t int_4{};
  int int32_5{};
};
struct Shipment {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
  bool bool_4{};
  std::optional<std::string> opt_5{};
  retort::JsonText json_6{"{}"};
};
struct Product {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
  std::optional<retort::Timestamp> opttime_4{};
  retort::Uuid uuid_5{};
  std::string text_6{};
  std::int64_t int_7{};
};
struct Warehouse {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  retort::JsonText json_0{"{}"};
  std::optional<retort::Timestamp> opttime_1{};
  retort::Uuid uuid_2{};
  std::string text_3{};
};
struct Supplier {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
  bool bool_4{};
};
struct Order {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
  std::optional<retort::Timestamp> opttime_4{};
  retort::Uuid uuid_5{};
};
struct OrderLine {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  retort::JsonText json_0{"{}"};
  std::optional<retort::Timestamp> opttime_1{};
  retort::Uuid uuid_2{};
  std::string text_3{};
  std::int64_t int_4{};
  int int32_5{};
  double double_6{};
};
struct Coupon {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
  bool bool_4{};
  std::optional<std::string> opt_5{};
  retort::JsonText json_6{"{}"};
  std::optional<retort::Timestamp> opttime_7{};
};
struct Review {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
};
struct LoginSession {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  retort::JsonText json_0{"{}"};
  std::optional<retort::Timestamp> opttime_1{};
  retort::Uuid uuid_2{};
  std::string text_3{};
  std::int64_t int_4{};
};
struct Device {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
  bool bool_4{};
  std::optional<std::string> opt_5{};
};
struct Alert {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
  std::optional<retort::Timestamp> opttime_4{};
  retort::Uuid uuid_5{};
  std::string text_6{};
};
struct Incident {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  retort::JsonText json_0{"{}"};
  std::optional<retort::Timestamp> opttime_1{};
  retort::Uuid uuid_2{};
  std::string text_3{};
  std::int64_t int_4{};
  int int32_5{};
  double double_6{};
  bool bool_7{};
};
struct Runbook {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
};
struct Deploy {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
  std::optional<retort::Timestamp> opttime_4{};
};
struct Build {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  retort::JsonText json_0{"{}"};
  std::optional<retort::Timestamp> opttime_1{};
  retort::Uuid uuid_2{};
  std::string text_3{};
  std::int64_t int_4{};
  int int32_5{};
};
struct Artifact {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  std::string text_0{};
  std::int64_t int_1{};
  int int32_2{};
  double double_3{};
  bool bool_4{};
  std::optional<std::string> opt_5{};
  retort::JsonText json_6{"{}"};
};
struct Tenant {
  retort::Uuid id{};
  retort::Timestamp created_at{};
  double double_0{};
  bool bool_1{};
  std::optional<std::string> opt_2{};
  retort::JsonText json_3{"{}"};
  std::optional<retort::Timestamp> opttime_4{};
  retort::Uuid uuid_5{};
  std::string text_6{};
  std::int64_t int_7{};
};
}  // namespace twenty

template <>
struct retort::ModelTraits<twenty::Account> {
  static void describe(ModelBuilder<twenty::Account>& m) {
    namespace types = schema::types;
    using T = twenty::Account;
    m.table("accounts");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.index("ix_accounts_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Invoice> {
  static void describe(ModelBuilder<twenty::Invoice>& m) {
    namespace types = schema::types;
    using T = twenty::Invoice;
    m.table("invoices");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.column("opttime_4", &T::opttime_4, types::timestamptz());
    m.index("ix_invoices_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Payment> {
  static void describe(ModelBuilder<twenty::Payment>& m) {
    namespace types = schema::types;
    using T = twenty::Payment;
    m.table("payments");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("json_0", &T::json_0, types::jsonb());
    m.column("opttime_1", &T::opttime_1, types::timestamptz());
    m.column("uuid_2", &T::uuid_2, types::uuid());
    m.column("text_3", &T::text_3, types::text());
    m.column("int_4", &T::int_4, types::bigint());
    m.column("int32_5", &T::int32_5, types::integer());
    m.index("ix_payments_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Shipment> {
  static void describe(ModelBuilder<twenty::Shipment>& m) {
    namespace types = schema::types;
    using T = twenty::Shipment;
    m.table("shipments");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.column("bool_4", &T::bool_4, types::boolean());
    m.column("opt_5", &T::opt_5, types::varchar(80));
    m.column("json_6", &T::json_6, types::jsonb());
    m.index("ix_shipments_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Product> {
  static void describe(ModelBuilder<twenty::Product>& m) {
    namespace types = schema::types;
    using T = twenty::Product;
    m.table("products");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.column("opttime_4", &T::opttime_4, types::timestamptz());
    m.column("uuid_5", &T::uuid_5, types::uuid());
    m.column("text_6", &T::text_6, types::text());
    m.column("int_7", &T::int_7, types::bigint());
    m.index("ix_products_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Warehouse> {
  static void describe(ModelBuilder<twenty::Warehouse>& m) {
    namespace types = schema::types;
    using T = twenty::Warehouse;
    m.table("warehouses");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("json_0", &T::json_0, types::jsonb());
    m.column("opttime_1", &T::opttime_1, types::timestamptz());
    m.column("uuid_2", &T::uuid_2, types::uuid());
    m.column("text_3", &T::text_3, types::text());
    m.index("ix_warehouses_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Supplier> {
  static void describe(ModelBuilder<twenty::Supplier>& m) {
    namespace types = schema::types;
    using T = twenty::Supplier;
    m.table("suppliers");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.column("bool_4", &T::bool_4, types::boolean());
    m.index("ix_suppliers_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Order> {
  static void describe(ModelBuilder<twenty::Order>& m) {
    namespace types = schema::types;
    using T = twenty::Order;
    m.table("orders");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.column("opttime_4", &T::opttime_4, types::timestamptz());
    m.column("uuid_5", &T::uuid_5, types::uuid());
    m.index("ix_orders_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::OrderLine> {
  static void describe(ModelBuilder<twenty::OrderLine>& m) {
    namespace types = schema::types;
    using T = twenty::OrderLine;
    m.table("order_lines");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("json_0", &T::json_0, types::jsonb());
    m.column("opttime_1", &T::opttime_1, types::timestamptz());
    m.column("uuid_2", &T::uuid_2, types::uuid());
    m.column("text_3", &T::text_3, types::text());
    m.column("int_4", &T::int_4, types::bigint());
    m.column("int32_5", &T::int32_5, types::integer());
    m.column("double_6", &T::double_6, types::double_precision());
    m.index("ix_order_lines_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Coupon> {
  static void describe(ModelBuilder<twenty::Coupon>& m) {
    namespace types = schema::types;
    using T = twenty::Coupon;
    m.table("coupons");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.column("bool_4", &T::bool_4, types::boolean());
    m.column("opt_5", &T::opt_5, types::varchar(80));
    m.column("json_6", &T::json_6, types::jsonb());
    m.column("opttime_7", &T::opttime_7, types::timestamptz());
    m.index("ix_coupons_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Review> {
  static void describe(ModelBuilder<twenty::Review>& m) {
    namespace types = schema::types;
    using T = twenty::Review;
    m.table("reviews");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.index("ix_reviews_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::LoginSession> {
  static void describe(ModelBuilder<twenty::LoginSession>& m) {
    namespace types = schema::types;
    using T = twenty::LoginSession;
    m.table("login_sessions");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("json_0", &T::json_0, types::jsonb());
    m.column("opttime_1", &T::opttime_1, types::timestamptz());
    m.column("uuid_2", &T::uuid_2, types::uuid());
    m.column("text_3", &T::text_3, types::text());
    m.column("int_4", &T::int_4, types::bigint());
    m.index("ix_login_sessions_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Device> {
  static void describe(ModelBuilder<twenty::Device>& m) {
    namespace types = schema::types;
    using T = twenty::Device;
    m.table("devices");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.column("bool_4", &T::bool_4, types::boolean());
    m.column("opt_5", &T::opt_5, types::varchar(80));
    m.index("ix_devices_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Alert> {
  static void describe(ModelBuilder<twenty::Alert>& m) {
    namespace types = schema::types;
    using T = twenty::Alert;
    m.table("alerts");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.column("opttime_4", &T::opttime_4, types::timestamptz());
    m.column("uuid_5", &T::uuid_5, types::uuid());
    m.column("text_6", &T::text_6, types::text());
    m.index("ix_alerts_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Incident> {
  static void describe(ModelBuilder<twenty::Incident>& m) {
    namespace types = schema::types;
    using T = twenty::Incident;
    m.table("incidents");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("json_0", &T::json_0, types::jsonb());
    m.column("opttime_1", &T::opttime_1, types::timestamptz());
    m.column("uuid_2", &T::uuid_2, types::uuid());
    m.column("text_3", &T::text_3, types::text());
    m.column("int_4", &T::int_4, types::bigint());
    m.column("int32_5", &T::int32_5, types::integer());
    m.column("double_6", &T::double_6, types::double_precision());
    m.column("bool_7", &T::bool_7, types::boolean());
    m.index("ix_incidents_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Runbook> {
  static void describe(ModelBuilder<twenty::Runbook>& m) {
    namespace types = schema::types;
    using T = twenty::Runbook;
    m.table("runbooks");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.index("ix_runbooks_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Deploy> {
  static void describe(ModelBuilder<twenty::Deploy>& m) {
    namespace types = schema::types;
    using T = twenty::Deploy;
    m.table("deploys");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.column("opttime_4", &T::opttime_4, types::timestamptz());
    m.index("ix_deploys_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Build> {
  static void describe(ModelBuilder<twenty::Build>& m) {
    namespace types = schema::types;
    using T = twenty::Build;
    m.table("builds");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("json_0", &T::json_0, types::jsonb());
    m.column("opttime_1", &T::opttime_1, types::timestamptz());
    m.column("uuid_2", &T::uuid_2, types::uuid());
    m.column("text_3", &T::text_3, types::text());
    m.column("int_4", &T::int_4, types::bigint());
    m.column("int32_5", &T::int32_5, types::integer());
    m.index("ix_builds_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Artifact> {
  static void describe(ModelBuilder<twenty::Artifact>& m) {
    namespace types = schema::types;
    using T = twenty::Artifact;
    m.table("artifacts");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("text_0", &T::text_0, types::text());
    m.column("int_1", &T::int_1, types::bigint());
    m.column("int32_2", &T::int32_2, types::integer());
    m.column("double_3", &T::double_3, types::double_precision());
    m.column("bool_4", &T::bool_4, types::boolean());
    m.column("opt_5", &T::opt_5, types::varchar(80));
    m.column("json_6", &T::json_6, types::jsonb());
    m.index("ix_artifacts_created_at").on("created_at");
  }
};

template <>
struct retort::ModelTraits<twenty::Tenant> {
  static void describe(ModelBuilder<twenty::Tenant>& m) {
    namespace types = schema::types;
    using T = twenty::Tenant;
    m.table("tenants");
    m.column("id", &T::id, types::uuid()).primary_key().client_default(Uuid::v7);
    m.column("created_at", &T::created_at, types::timestamptz()).set_on_create();
    m.column("double_0", &T::double_0, types::double_precision());
    m.column("bool_1", &T::bool_1, types::boolean());
    m.column("opt_2", &T::opt_2, types::varchar(80));
    m.column("json_3", &T::json_3, types::jsonb());
    m.column("opttime_4", &T::opttime_4, types::timestamptz());
    m.column("uuid_5", &T::uuid_5, types::uuid());
    m.column("text_6", &T::text_6, types::text());
    m.column("int_7", &T::int_7, types::bigint());
    m.index("ix_tenants_created_at").on("created_at");
  }
};

namespace twenty {

// Every repository operation on model T, so the templates are instantiated as in real code.
template <class T>
std::size_t exercise(retort::Session& session) {
  retort::Repository<T> repo(session);
  T created = repo.create(T{});
  std::vector<T> many = repo.create_many(std::vector<T>(3));
  std::optional<T> got = repo.get(created.id);
  std::vector<T> page = repo.find(retort::col("created_at") >= retort::Timestamp())
                            .order_by("created_at", retort::desc)
                            .limit(10)
                            .all();
  repo.update(created);
  std::size_t streamed = 0;
  repo.stream({}, [&](const T&) { ++streamed; });
  repo.remove(created.id);
  return many.size() + page.size() + (got ? 1 : 0) + streamed +
         static_cast<std::size_t>(repo.count());
}

// The metadata of all twenty models.
retort::schema::MetaData all_metadata() {
  return retort::metadata<Account, Invoice, Payment, Shipment, Product, Warehouse, Supplier, Order,
                          OrderLine, Coupon, Review, LoginSession, Device, Alert, Incident, Runbook,
                          Deploy, Build, Artifact, Tenant>();
}

// Runs exercise() for every model; returns the sum of what each saw.
std::size_t exercise_all(retort::Session& session) {
  return (exercise<Account>(session) + exercise<Invoice>(session) + exercise<Payment>(session) +
          exercise<Shipment>(session) + exercise<Product>(session) + exercise<Warehouse>(session) +
          exercise<Supplier>(session) + exercise<Order>(session) + exercise<OrderLine>(session) +
          exercise<Coupon>(session) + exercise<Review>(session) + exercise<LoginSession>(session) +
          exercise<Device>(session) + exercise<Alert>(session) + exercise<Incident>(session) +
          exercise<Runbook>(session) + exercise<Deploy>(session) + exercise<Build>(session) +
          exercise<Artifact>(session) + exercise<Tenant>(session));
}

}  // namespace twenty

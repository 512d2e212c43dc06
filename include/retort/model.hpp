// Models: a plain C++ struct described once, giving both schema metadata and typed binding.
//
//   struct Note { retort::Uuid id; std::string body; std::optional<std::string> tag;
//                 retort::Timestamp created_at; };
//   template <> struct retort::ModelTraits<Note> {
//     static void describe(retort::ModelBuilder<Note>& m) {
//       namespace types = retort::schema::types;
//       m.table("notes").comment("what users wrote");
//       m.column("id", &Note::id, types::uuid()).primary_key().client_default(retort::Uuid::v7);
//       m.column("body", &Note::body, types::text());
//       m.column("tag", &Note::tag, types::varchar(40));
//       m.column("created_at", &Note::created_at, types::timestamptz()).set_on_create();
//       m.index("ix_notes_created_at").on("created_at");
//     }
//   };
//   const retort::Model<Note>& m = retort::model<Note>();   // built once, on first use
//   m.table();                                             // schema::Table for DDL / migrations
//
// describe() runs once per model (a function-local static); each column is bound through its
// member pointer, type-erased into a getter and a setter, so a model costs little compile time.
// Nullability follows the member: std::optional<X> members are nullable, others NOT NULL.
// See docs/models.md.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "retort/schema.hpp"
#include "retort/value.hpp"

namespace retort {

// How a member type converts to and from Value. Specialize it for your own member types
// (e.g. a C++ enum stored as text): `static Value to_value(const M&)` and
// `static void from_value(const Value&, M&)` (never called with NULL; throw UsageError on a
// value of the wrong kind).
template <class M>
struct FieldCodec {
  static_assert(sizeof(M) == 0, "retort::FieldCodec: no codec for this member type");
};

namespace detail {
// Reads a result cell into the built-in member types. Lenient where the backends differ in what
// they return (SQLite hands back 0/1 for booleans, text for uuids and timestamps computed by
// expressions); throws UsageError for a value of another kind.
void decode_value(const Value& v, bool& out);
void decode_value(const Value& v, short& out);
void decode_value(const Value& v, int& out);
void decode_value(const Value& v, long& out);
void decode_value(const Value& v, long long& out);
void decode_value(const Value& v, double& out);
void decode_value(const Value& v, std::string& out);
void decode_value(const Value& v, Bytes& out);
void decode_value(const Value& v, Uuid& out);
void decode_value(const Value& v, Timestamp& out);
void decode_value(const Value& v, JsonText& out);

template <class M>
struct BuiltinCodec {
  static Value to_value(const M& v) { return Value(v); }
  static void from_value(const Value& v, M& out) { decode_value(v, out); }
};
}  // namespace detail

// The built-in member types.
template <>
struct FieldCodec<bool> : detail::BuiltinCodec<bool> {};
template <>
struct FieldCodec<short> : detail::BuiltinCodec<short> {};
template <>
struct FieldCodec<int> : detail::BuiltinCodec<int> {};
template <>
struct FieldCodec<long> : detail::BuiltinCodec<long> {};
template <>
struct FieldCodec<long long> : detail::BuiltinCodec<long long> {};
template <>
struct FieldCodec<double> : detail::BuiltinCodec<double> {};
template <>
struct FieldCodec<std::string> : detail::BuiltinCodec<std::string> {};
template <>
struct FieldCodec<Bytes> : detail::BuiltinCodec<Bytes> {};
template <>
struct FieldCodec<Uuid> : detail::BuiltinCodec<Uuid> {};
template <>
struct FieldCodec<Timestamp> : detail::BuiltinCodec<Timestamp> {};
template <>
struct FieldCodec<JsonText> : detail::BuiltinCodec<JsonText> {};

template <class M>
struct FieldCodec<std::optional<M>> {
  static Value to_value(const std::optional<M>& v) {
    return v ? FieldCodec<M>::to_value(*v) : Value();
  }
  static void from_value(const Value& v, std::optional<M>& out) {
    if (v.is_null()) {
      out.reset();
    } else {
      FieldCodec<M>::from_value(v, out.emplace());
    }
  }
};

// Specialize with `static void describe(ModelBuilder<T>& m)` to make T a model.
template <class T>
struct ModelTraits;

template <class T>
class ModelBuilder;

namespace detail {

struct ModelData;  // defined in src/orm: what a description records

// Owns a ModelData; the deleter is out of line so user code never needs its definition.
struct ModelDataDeleter {
  void operator()(ModelData* data) const noexcept;
};
using ModelDataPtr = std::unique_ptr<ModelData, ModelDataDeleter>;

// One column's binding to its member, type-erased once per (model, member type).
class FieldAccessor {
 public:
  virtual ~FieldAccessor() = default;
  virtual Value get(const void* object) const = 0;
  virtual void set(void* object, const Value& value) const = 0;
  // True when member_pointer (a `M T::*` of the given type) is the bound member.
  virtual bool is_member(const std::type_info& type, const void* member_pointer) const = 0;
};

template <class T, class M>
class MemberField final : public FieldAccessor {
 public:
  explicit MemberField(M T::*member) : member_(member) {}
  Value get(const void* object) const override {
    return FieldCodec<M>::to_value(static_cast<const T*>(object)->*member_);
  }
  void set(void* object, const Value& value) const override {
    FieldCodec<M>::from_value(value, static_cast<T*>(object)->*member_);
  }
  bool is_member(const std::type_info& type, const void* member_pointer) const override {
    return type == typeid(M T::*) && *static_cast<M T::*const*>(member_pointer) == member_;
  }

 private:
  M T::*member_;
};

}  // namespace detail

// Builds one column; returned by ModelBuilder::column. Every setter returns *this.
class ColumnBuilder {
 public:
  ColumnBuilder(detail::ModelData& data, std::size_t column) : data_(&data), column_(column) {}
  // Part of the primary key (several columns marked so form a composite key, in order).
  ColumnBuilder& primary_key();
  // NOT NULL for an optional member (e.g. left unset so the server default fills it).
  ColumnBuilder& not_null();
  // DEFAULT expression, per dialect: server_default({"now()", "CURRENT_TIMESTAMP"}).
  ColumnBuilder& server_default(schema::DialectSql expression);
  // Fills the member on create() when it is unset (nullopt, nil Uuid, epoch Timestamp, empty
  // JsonText; 0 only for identity columns).
  ColumnBuilder& client_default(std::function<Value()> make);
  // A timestamp set to the time of create() when unset.
  ColumnBuilder& set_on_create();
  // A timestamp set to the time of every update() / update_fields().
  ColumnBuilder& set_on_update();
  // Generated integer key: GENERATED BY DEFAULT AS IDENTITY | INTEGER PRIMARY KEY AUTOINCREMENT.
  ColumnBuilder& identity();
  // A single-column UNIQUE constraint (named <table>_<column>_key unless named here).
  ColumnBuilder& unique(std::string constraint_name = {});
  // A single-column FOREIGN KEY to table(column) (named <table>_<column>_fkey unless named).
  ColumnBuilder& references(
      std::string table, std::string column,
      schema::ReferentialAction on_delete = schema::ReferentialAction::no_action,
      schema::ReferentialAction on_update = schema::ReferentialAction::no_action,
      std::string constraint_name = {});
  ColumnBuilder& comment(std::string text);

 private:
  detail::ModelData* data_;
  std::size_t column_;
};

// Builds one index; returned by ModelBuilder::index. Every setter returns *this.
class IndexBuilder {
 public:
  IndexBuilder(detail::ModelData& data, std::size_t index) : data_(&data), index_(index) {}
  // Adds a column, optionally with an operator class (PostgreSQL, e.g. "jsonb_path_ops").
  IndexBuilder& on(std::string column, std::string operator_class = {});
  // Adds an expression, spelled per dialect (an empty SQLite spelling skips the index there).
  IndexBuilder& on_expression(schema::DialectSql expression, std::string operator_class = {});
  // Makes the element added last descending.
  IndexBuilder& descending();
  IndexBuilder& unique();
  // Partial index predicate.
  IndexBuilder& where(schema::DialectSql predicate);
  // PostgreSQL access method: "gin", "gist", "brin", "hash" ("" = btree).
  IndexBuilder& using_method(std::string method);
  // Created on PostgreSQL only (e.g. a GIN index SQLite cannot build).
  IndexBuilder& postgresql_only();

 private:
  detail::ModelData* data_;
  std::size_t index_;
};

// Builds one foreign key; returned by ModelBuilder::foreign_key.
class ForeignKeyBuilder {
 public:
  ForeignKeyBuilder(detail::ModelData& data, std::size_t key) : data_(&data), key_(key) {}
  ForeignKeyBuilder& on_delete(schema::ReferentialAction action);
  ForeignKeyBuilder& on_update(schema::ReferentialAction action);
  ForeignKeyBuilder& name(std::string constraint_name);

 private:
  detail::ModelData* data_;
  std::size_t key_;
};

namespace detail {

// The untyped part of ModelBuilder<T>: everything but binding members.
class ModelBuilderBase {
 public:
  ModelBuilderBase();
  ~ModelBuilderBase();
  ModelBuilderBase(const ModelBuilderBase&) = delete;
  ModelBuilderBase& operator=(const ModelBuilderBase&) = delete;

  ModelBuilderBase& table(std::string name);
  // The PostgreSQL schema (or attached SQLite database) holding the table; default: none.
  ModelBuilderBase& schema(std::string name);
  ModelBuilderBase& comment(std::string text);
  // A composite primary key (instead of primary_key() on columns); name optional.
  ModelBuilderBase& primary_key(std::vector<std::string> columns, std::string name = {});
  // A UNIQUE constraint over columns (named <table>_<columns>_key unless named here).
  ModelBuilderBase& unique(std::vector<std::string> columns, std::string name = {});
  ForeignKeyBuilder foreign_key(std::vector<std::string> columns, std::string referred_table,
                                std::vector<std::string> referred_columns);
  ModelBuilderBase& check(std::string name, schema::DialectSql expression);
  IndexBuilder index(std::string name);
  // Declares an enum type used by a column of this model (types::enum_(name)).
  ModelBuilderBase& enum_type(std::string name, std::vector<std::string> values);
  // The column get_latest() orders by (default: the first set_on_create column).
  ModelBuilderBase& latest_by(std::string column);

  // Validates the description and hands it over (throws UsageError naming the problem).
  ModelDataPtr finish();

 protected:
  ColumnBuilder add_column(std::string name, schema::ColumnType type,
                           std::unique_ptr<FieldAccessor> accessor, bool optional_member);

 private:
  ModelDataPtr data_;
};

template <class M>
struct is_optional_member : std::false_type {};
template <class M>
struct is_optional_member<std::optional<M>> : std::true_type {};

}  // namespace detail

template <class T>
class ModelBuilder : public detail::ModelBuilderBase {
 public:
  // Binds member (of T, or of a base class of T) to a column of the given SQL type
  // (schema::types::*).
  template <class M, class C>
  ColumnBuilder column(std::string name, M C::*member, schema::ColumnType type) {
    static_assert(std::is_base_of_v<C, T>, "the member must belong to the model or its base");
    M T::*own = member;  // a base's member pointer converts to the derived class's
    return add_column(std::move(name), std::move(type),
                      std::make_unique<detail::MemberField<T, M>>(own),
                      detail::is_optional_member<M>::value);
  }
};

// A described model, type-erased: its table and its columns' bindings.
class ModelBase {
 public:
  explicit ModelBase(detail::ModelDataPtr data);
  ~ModelBase();
  ModelBase(const ModelBase&) = delete;
  ModelBase& operator=(const ModelBase&) = delete;

  // The table metadata (constraint names filled in), for DDL and the migration engine.
  const schema::Table& table() const noexcept;
  // The enum types the model declared.
  const std::vector<schema::EnumType>& enums() const noexcept;
  // The column bound to the member (typeid of `M T::*` and a pointer to the member pointer);
  // throws UsageError when the member is not bound.
  const std::string& column_of(const std::type_info& type, const void* member_pointer) const;
  // The value of column `column` (index into table().columns) of object, and the reverse.
  Value get(const void* object, std::size_t column) const;
  void set(void* object, std::size_t column, const Value& value) const;

  // For the repository (src/orm).
  const detail::ModelData& data() const noexcept { return *data_; }

 private:
  detail::ModelDataPtr data_;
};

template <class T>
class Model : public ModelBase {
 public:
  using ModelBase::ModelBase;
  // The column name bound to member: model<Note>().column_of(&Note::body) == "body".
  template <class M>
  const std::string& column_of(M T::*member) const {
    return ModelBase::column_of(typeid(M T::*), &member);
  }
};

namespace detail {
template <class T>
ModelDataPtr describe_model() {
  ModelBuilder<T> builder;
  ModelTraits<T>::describe(builder);
  return builder.finish();
}
}  // namespace detail

// T's model, described on first use (thread-safe) and kept for the life of the program.
// Throws UsageError if the description is invalid (unknown column in an index, no table...).
template <class T>
const Model<T>& model() {
  static const Model<T> instance(detail::describe_model<T>());
  return instance;
}

// The metadata of several models: their tables in the order given, and their enum types (one
// each; UsageError if two models declare the same enum with different values, or two models
// the same table).
schema::MetaData metadata_of(std::initializer_list<const ModelBase*> models);
template <class... Ts>
schema::MetaData metadata() {
  return metadata_of({&model<Ts>()...});
}

namespace defaults {
// The current time as a server default, stored in the form retort writes timestamps in on
// SQLite ("2026-11-21T05:22:27.123000Z"), so text order stays time order there.
schema::DialectSql now();
}  // namespace defaults

}  // namespace retort

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
#include <cstring>
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
// The built-in member types to Value, and result cells back. Out of line, so a model's bindings
// compile to calls rather than inlined variant code. decode_value is lenient where the backends
// differ in what they return (SQLite hands back 0/1 for booleans, text for uuids and timestamps
// computed by expressions); it throws UsageError for a value of another kind.
Value encode_value(bool v);
Value encode_value(short v);
Value encode_value(int v);
Value encode_value(long v);
Value encode_value(long long v);
Value encode_value(double v);
Value encode_value(const std::string& v);
Value encode_value(const Bytes& v);
Value encode_value(const Uuid& v);
Value encode_value(const Timestamp& v);
Value encode_value(const JsonText& v);
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
  static Value to_value(const M& v) { return encode_value(v); }
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

// How a member type converts, type-erased once per member type M (not per model).
struct FieldType {
  Value (*get)(const void* member);
  void (*set)(void* member, const Value& value);
  const std::type_info* type;
};
template <class M>
Value get_member(const void* member) {
  return FieldCodec<M>::to_value(*static_cast<const M*>(member));
}
template <class M>
void set_member(void* member, const Value& value) {
  FieldCodec<M>::from_value(value, *static_cast<M*>(member));
}
template <class M>
inline constexpr FieldType field_type_of{&get_member<M>, &set_member<M>, &typeid(M)};

// Where a member lives in an object: the one function bound per (model, member type). The
// member pointer itself is kept as bytes beside it (member pointers are trivially copyable), so
// binding a column instantiates no class template: a model costs little to compile.
using MemberLocator = void* (*)(void* object, const void* member_pointer);
template <class T, class M>
void* locate_member(void* object, const void* member_pointer) {
  M T::*member;
  std::memcpy(&member, member_pointer, sizeof member);
  return &(static_cast<T*>(object)->*member);
}
inline constexpr std::size_t kMemberPointerSize = 16;

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
  // COMMENT ON COLUMN (PostgreSQL; SQLite keeps no comments).
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
  // A UNIQUE index (its name is what a conflict on it reports).
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
  // ON DELETE / ON UPDATE actions (default: NO ACTION).
  ForeignKeyBuilder& on_delete(schema::ReferentialAction action);
  ForeignKeyBuilder& on_update(schema::ReferentialAction action);
  // The constraint's name (default: <table>_<columns>_fkey).
  ForeignKeyBuilder& name(std::string constraint_name);

 private:
  detail::ModelData* data_;
  std::size_t key_;
};

namespace detail {

// The untyped part of ModelBuilder<T>: everything but binding members.
class ModelBuilderBase {
 public:
  ModelBuilderBase();  // an empty description
  ~ModelBuilderBase();
  ModelBuilderBase(const ModelBuilderBase&) = delete;
  ModelBuilderBase& operator=(const ModelBuilderBase&) = delete;

  // The table's name (required).
  ModelBuilderBase& table(std::string name);
  // The PostgreSQL schema (or attached SQLite database) holding the table; default: none.
  ModelBuilderBase& schema(std::string name);
  // COMMENT ON TABLE (PostgreSQL; SQLite keeps no comments).
  ModelBuilderBase& comment(std::string text);
  // A composite primary key (instead of primary_key() on columns); name optional.
  ModelBuilderBase& primary_key(std::vector<std::string> columns, std::string name = {});
  // A UNIQUE constraint over columns (named <table>_<columns>_key unless named here).
  ModelBuilderBase& unique(std::vector<std::string> columns, std::string name = {});
  // A FOREIGN KEY from columns to referred_table(referred_columns); see ForeignKeyBuilder.
  ForeignKeyBuilder foreign_key(std::vector<std::string> columns, std::string referred_table,
                                std::vector<std::string> referred_columns);
  // A named CHECK constraint; expression per dialect (an empty SQLite spelling skips it there).
  ModelBuilderBase& check(std::string name, schema::DialectSql expression);
  // A named index; add its elements and options on the IndexBuilder.
  IndexBuilder index(std::string name);
  // Declares an enum type used by a column of this model (types::enum_(name)).
  ModelBuilderBase& enum_type(std::string name, std::vector<std::string> values);
  // The column get_latest() orders by (default: the first set_on_create column).
  ModelBuilderBase& latest_by(std::string column);

  // Validates the description and hands it over (throws UsageError naming the problem).
  ModelDataPtr finish();

 protected:
  // member_pointer: the bytes of a `M T::*`, which locator turns back into it.
  ColumnBuilder add_column(std::string_view name, const schema::ColumnType& type,
                           MemberLocator locator, const void* member_pointer,
                           std::size_t member_pointer_size, const FieldType& field_type,
                           bool optional_member);

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
  ColumnBuilder column(std::string_view name, M C::*member, const schema::ColumnType& type) {
    static_assert(std::is_base_of_v<C, T>, "the member must belong to the model or its base");
    M T::*own = member;  // a base's member pointer converts to the derived class's
    static_assert(sizeof own <= detail::kMemberPointerSize);
    return add_column(name, type, &detail::locate_member<T, M>, &own, sizeof own,
                      detail::field_type_of<M>, detail::is_optional_member<M>::value);
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
  // The column whose member is at member_address in object (a member of type `type`); throws
  // UsageError when no column is bound to it.
  const std::string& column_at(void* object, const void* member_address,
                               const std::type_info& type) const;
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
  // Throws UsageError if the member is not bound.
  template <class M, class C>
  const std::string& column_of(M C::*member) const {
    static_assert(std::is_base_of_v<C, T>, "the member must belong to the model or its base");
    T probe{};  // member pointers are compared by where they lead in one object
    return column_at(&probe, &(probe.*member), typeid(M));
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

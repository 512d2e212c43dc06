// Repository<T>: create, read, update, delete and query any model inside a session.
//
//   db.transaction([&](retort::Session& s) {
//     retort::Repository<Note> notes(s);
//     Note n = notes.create(Note{.body = "hello"});        // id and created_at filled in
//     std::optional<Note> again = notes.get(n.id);
//     std::vector<Note> page = notes.find(retort::col("tag") == "work")
//                                  .order_by("created_at", retort::desc).limit(20).all();
//     notes.update_fields(n.id, {{"body", "hello again"}});
//     notes.remove(n.id);
//   });
//
// Every value is bound as a parameter and every identifier quoted. Errors are typed:
// - InvalidInput (field() = "table.column") for a value refused before anything is sent: text
//   with NUL or invalid UTF-8, malformed JSON, NULL for a NOT NULL column, a value of the wrong
//   kind, over a varchar's length, out of an integer column's range, not one of an enum's values;
// - NotFound when update / update_fields / remove / get_required find no row;
// - UniqueViolation (a conflict) naming the model's constraint in constraint() on both
//   backends (SQLite reports columns; they are mapped back to the constraint's name);
// - UsageError for unknown columns and API misuse; other DatabaseErrors as the driver throws
//   them.
// After a DatabaseError, roll the session back (PostgreSQL refuses further statements in it);
// an InvalidInput leaves the session untouched. See docs/models.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "retort/database.hpp"
#include "retort/model.hpp"
#include "retort/query.hpp"
#include "retort/schema.hpp"

namespace retort {

// Column values by name, for update_fields.
using FieldValues = std::vector<std::pair<std::string, Value>>;

// field(&Note::body): a checked column reference through a member pointer (UsageError if the
// member is not bound in T's model).
template <class T, class M>
ColumnRef field(M T::*member) {
  return ColumnRef(model<T>().column_of(member));
}

// CREATE TABLE / INDEX IF NOT EXISTS (and enum types) for metadata, in the session. For tests
// and first runs until migrations own the schema.
void create_all(Session& session, const schema::MetaData& metadata);

namespace detail {

// The untyped implementation of Repository<T>; objects are passed as void* to a T of the model.
class RepositoryCore {
 public:
  RepositoryCore(Session& session, const ModelBase& model);

  void create(void* object);
  void create_many(void* objects, std::size_t count, std::size_t stride);
  bool get(std::span<const Value> key, void* out);
  void select(const QuerySpec& spec, const std::function<void(const Row&)>& on_row);
  void stream(const QuerySpec& spec, const std::function<void(const Row&)>& on_row);
  std::int64_t count(const QuerySpec& spec);
  bool exists(const QuerySpec& spec);
  bool latest(const Condition& where, void* out);
  void update(void* object);
  void update_fields(std::span<const Value> key, const FieldValues& fields, void* out);
  void remove(std::span<const Value> key);
  std::int64_t remove_where(const Condition& where);

  std::vector<Value> key_of(const void* object) const;
  std::vector<Value> values_of(const void* object) const;
  void decode(const Row& row, void* object) const;
  const ModelBase& model() const noexcept { return *model_; }

 private:
  Session* session_;
  const ModelBase* model_;
};

}  // namespace detail

template <class T>
class Repository;

// A query under construction: Repository<T>::find(...) then order/window, then a terminal
// (all, first, count, exists, stream). Refers to its repository, which must outlive it.
template <class T>
class Finder {
 public:
  Finder(detail::RepositoryCore& core, Condition where) : core_(&core) {
    spec_.where = std::move(where);
  }

  // Adds a condition (AND).
  Finder& where(const Condition& condition) {
    spec_.where = spec_.where && condition;
    return *this;
  }
  // Adds an ordering term; the primary key is always appended as the final tie-breaker.
  Finder& order_by(std::string column, Direction direction = Direction::asc) {
    spec_.order.push_back({std::move(column), direction});
    return *this;
  }
  Finder& order_by(const ColumnRef& column, Direction direction = Direction::asc) {
    return order_by(column.name(), direction);
  }
  Finder& limit(std::int64_t rows) {
    spec_.limit = rows;
    return *this;
  }
  Finder& offset(std::int64_t rows) {
    spec_.offset = rows;
    return *this;
  }
  // Keyset pagination: only rows after last_row in this query's order (its ordering columns
  // must be NOT NULL). Cheaper than offset on deep pages, and stable under concurrent inserts.
  Finder& after(const T& last_row) {
    spec_.after = core_->values_of(&last_row);
    return *this;
  }

  // The matching rows, in order, all in memory (use stream() for large results).
  std::vector<T> all() const {
    std::vector<T> out;
    core_->select(spec_, [&](const Row& row) { core_->decode(row, &out.emplace_back()); });
    return out;
  }
  // The first matching row in order, if any.
  std::optional<T> first() const {
    QuerySpec one = spec_;
    one.limit = 1;
    std::optional<T> out;
    core_->select(one, [&](const Row& row) { core_->decode(row, &out.emplace()); });
    return out;
  }
  // How many rows match the conditions (and after(), if set); order, limit and offset ignored.
  std::int64_t count() const { return core_->count(spec_); }
  bool exists() const { return core_->exists(spec_); }
  // Hands each row to on_row as it arrives from the server, holding one row in memory at a
  // time (single-row mode on PostgreSQL, stepping on SQLite). on_row must not use the session.
  void stream(const std::function<void(const T&)>& on_row) const {
    core_->stream(spec_, [&](const Row& row) {
      T object{};
      core_->decode(row, &object);
      on_row(object);
    });
  }
  const QuerySpec& spec() const noexcept { return spec_; }

 private:
  detail::RepositoryCore* core_;
  QuerySpec spec_;
};

// The generic repository over model T (ModelTraits<T> must be specialized; T must have a
// primary key and be default-constructible). Uses the session it is given, which must outlive
// it; cheap to construct.
template <class T>
class Repository {
 public:
  explicit Repository(Session& session) : core_(session, model<T>()) {}

  // Inserts object and returns it as stored: client defaults and set_on_create timestamps
  // filled in, then every column read back (server defaults, identity keys) in the same
  // statement (RETURNING).
  T create(T object) {
    core_.create(&object);
    return object;
  }
  // Inserts many objects in one bulk operation (COPY on PostgreSQL; one prepared INSERT in a
  // savepoint on SQLite). Every object is checked first, so a refused one stores nothing.
  // Returns them with client-side defaults filled in; server defaults and identity keys are
  // not read back (use create() when they are needed).
  std::vector<T> create_many(std::vector<T> objects) {
    core_.create_many(objects.data(), objects.size(), sizeof(T));
    return objects;
  }
  // The row with this primary key (a single-column key; get(std::vector<Value>) for composite).
  std::optional<T> get(const Value& id) { return get(std::vector<Value>{id}); }
  std::optional<T> get(const std::vector<Value>& key) {
    std::optional<T> out(std::in_place);
    if (!core_.get(key, &*out)) out.reset();
    return out;
  }
  // Like get, but NotFound when there is no such row.
  T get_required(const Value& id) {
    std::optional<T> found = get(id);
    if (!found) throw_not_found(id);
    return std::move(*found);
  }
  // Every row, in primary key order.
  std::vector<T> get_all() { return find().all(); }
  // A query; see Finder.
  Finder<T> find(Condition where = {}) { return Finder<T>(core_, std::move(where)); }
  std::int64_t count(Condition where = {}) { return find(std::move(where)).count(); }
  bool exists(Condition where = {}) { return find(std::move(where)).exists(); }
  // The most recent row by the model's latest_by column (default: its first set_on_create
  // timestamp), optionally among those matching where; ties broken by primary key.
  std::optional<T> get_latest(const Condition& where = {}) {
    std::optional<T> out(std::in_place);
    if (!core_.latest(where, &*out)) out.reset();
    return out;
  }
  // Writes every column of object to the row with its primary key; set_on_update timestamps
  // are refreshed. Returns the stored row; NotFound if there is none.
  T update(T object) {
    core_.update(&object);
    return object;
  }
  // Writes only the given columns (set_on_update timestamps too) of the row with this key.
  // Returns the stored row; NotFound if there is none. Primary key columns cannot be changed.
  T update_fields(const Value& id, const FieldValues& fields) {
    T out{};
    const Value key[] = {id};
    core_.update_fields(key, fields, &out);
    return out;
  }
  // Deletes the row with this key; NotFound if there is none.
  void remove(const Value& id) {
    const Value key[] = {id};
    core_.remove(key);
  }
  void remove(const T& object) { core_.remove(core_.key_of(&object)); }
  // Deletes the rows matching where (an empty condition deletes every row); returns how many.
  std::int64_t remove_where(const Condition& where) { return core_.remove_where(where); }
  // Streams every row matching where, in primary key order; see Finder::stream.
  void stream(const Condition& where, const std::function<void(const T&)>& on_row) {
    find(where).stream(on_row);
  }

  const Model<T>& model_info() const noexcept { return model<T>(); }

 private:
  [[noreturn]] void throw_not_found(const Value& id);

  detail::RepositoryCore core_;
};

namespace detail {
[[noreturn]] void throw_not_found(const ModelBase& model, const Value& id);
}

template <class T>
void Repository<T>::throw_not_found(const Value& id) {
  detail::throw_not_found(core_.model(), id);
}

}  // namespace retort

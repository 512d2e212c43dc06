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
#include <optional>
#include <span>
#include <string>
#include <type_traits>
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
// and throwaway databases; an application's schema belongs in revisions (docs/migrations.md).
void create_all(Session& session, const schema::MetaData& metadata);

namespace detail {

class RepositoryCore;

// Receives each selected row: context is what the caller passed along with the sink.
using RowSink = void (*)(void* context, const Row& row, const RepositoryCore& core);

// The untyped implementation of Repository<T>; objects are passed as void* to a T of the model.
// Everything that does not need T lives here, compiled once in the library.
class RepositoryCore {
 public:
  // UsageError if the model has no primary key. Installs retort's SQLite JSON functions.
  RepositoryCore(Session& session, const ModelBase& model);

  // The operations of Repository<T> (see there), on a T passed as void*: create fills *object
  // from the stored row; get/latest decode into *out and say whether a row was found;
  // update/update_fields/remove throw NotFound when no row has the key.
  void create(void* object);
  void create_many(void* objects, std::size_t count, std::size_t stride);
  bool get(std::span<const Value> key, void* out);
  // Runs spec and hands each row to sink(context, row, *this): all rows materialised first
  // (select) or one at a time from the server (stream).
  void select(const QuerySpec& spec, RowSink sink, void* context);
  void stream(const QuerySpec& spec, RowSink sink, void* context);
  std::int64_t count(const QuerySpec& spec);
  bool exists(const QuerySpec& spec);
  bool latest(const Condition& where, void* out);
  void update(void* object);
  void update_fields(std::span<const Value> key, const FieldValues& fields, void* out);
  void remove(std::span<const Value> key);
  std::int64_t remove_where(const Condition& where);

  // The primary key values / every column value of *object, in model order.
  std::vector<Value> key_of(const void* object) const;
  std::vector<Value> values_of(const void* object) const;
  // Sets every member of *object from a row selected with the model's column list.
  void decode(const Row& row, void* object) const;
  const ModelBase& model() const noexcept { return *model_; }
  // Throws NotFound naming the table and the key.
  [[noreturn]] void throw_not_found(const Value& id) const;

 private:
  Session* session_;
  const ModelBase* model_;
};

// Row sinks, one small function per model type.
template <class T>
void append_row(void* context, const Row& row, const RepositoryCore& core) {
  core.decode(row, &static_cast<std::vector<T>*>(context)->emplace_back());
}
template <class T>
void keep_row(void* context, const Row& row, const RepositoryCore& core) {
  core.decode(row, &static_cast<std::optional<T>*>(context)->emplace());
}
template <class T, class F>
void pass_row(void* context, const Row& row, const RepositoryCore& core) {
  T object{};
  core.decode(row, &object);
  (*static_cast<F*>(context))(static_cast<const T&>(object));
}

// The untyped part of Finder<T>: the query being built, and the terminals that need no T.
class FinderBase {
 public:
  // A query over core's model matching where (empty: every row), in primary key order.
  FinderBase(RepositoryCore& core, Condition where);
  FinderBase(const FinderBase& other);
  FinderBase& operator=(const FinderBase& other);
  ~FinderBase();

  // How many rows match the conditions (and after(), if set); order, limit and offset ignored.
  std::int64_t count() const;
  bool exists() const;
  const QuerySpec& spec() const noexcept { return spec_; }

 protected:
  // The builders and terminals behind Finder<T>'s typed methods.
  void add_where(const Condition& condition);
  void add_order(std::string_view column, Direction direction);
  void set_limit(std::int64_t rows);
  void set_offset(std::int64_t rows);
  void set_after(const void* row);
  void select(RowSink sink, void* context, bool first_only) const;
  void stream_rows(RowSink sink, void* context) const;

 private:
  RepositoryCore* core_;
  QuerySpec spec_;
};

}  // namespace detail

// A query under construction: Repository<T>::find(...) then order/window, then a terminal
// (all, first, count, exists, stream). Refers to its repository, which must outlive it.
template <class T>
class Finder : public detail::FinderBase {
 public:
  using FinderBase::FinderBase;

  // Adds a condition (AND).
  Finder& where(const Condition& condition) {
    add_where(condition);
    return *this;
  }
  // Adds an ordering term; the primary key is always appended as the final tie-breaker.
  Finder& order_by(std::string_view column, Direction direction = Direction::asc) {
    add_order(column, direction);
    return *this;
  }
  Finder& order_by(const ColumnRef& column, Direction direction = Direction::asc) {
    add_order(column.name(), direction);
    return *this;
  }
  Finder& limit(std::int64_t rows) {
    set_limit(rows);
    return *this;
  }
  Finder& offset(std::int64_t rows) {
    set_offset(rows);
    return *this;
  }
  // Keyset pagination: only rows after last_row in this query's order (its ordering columns
  // must be NOT NULL). Cheaper than offset on deep pages, and stable under concurrent inserts.
  Finder& after(const T& last_row) {
    set_after(&last_row);
    return *this;
  }

  // The matching rows, in order, all in memory (use stream() for large results).
  std::vector<T> all() const {
    std::vector<T> out;
    select(&detail::append_row<T>, &out, false);
    return out;
  }
  // The first matching row in order, if any.
  std::optional<T> first() const {
    std::optional<T> out;
    select(&detail::keep_row<T>, &out, true);
    return out;
  }
  // Hands each row to on_row(const T&) as it arrives from the server, holding one row in memory
  // at a time (single-row mode on PostgreSQL, stepping on SQLite). on_row must not use the
  // session.
  template <class F>
  void stream(F&& on_row) const {
    // A lambda object, so any callable (function, function object, std::function) travels as
    // an object pointer.
    auto call = [&on_row](const T& object) { on_row(object); };
    stream_rows(&detail::pass_row<T, decltype(call)>, &call);
  }
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
    create_many_in_place(objects);
    return objects;
  }
  // create_many on objects the caller keeps: their defaults are filled in where they are, and
  // they are still there (unchanged but for those defaults) when it throws.
  void create_many_in_place(std::span<T> objects) {
    core_.create_many(objects.data(), objects.size(), sizeof(T));
  }
  // The row with this primary key: one value, or a span of them (e.g. a std::vector<Value>)
  // for a composite key.
  std::optional<T> get(const Value& id) {
    const Value key[] = {id};
    return get(std::span<const Value>(key));
  }
  std::optional<T> get(std::span<const Value> key) {
    std::optional<T> out(std::in_place);
    if (!core_.get(key, &*out)) out.reset();
    return out;
  }
  // Like get, but NotFound when there is no such row.
  T get_required(const Value& id) {
    T out{};
    const Value key[] = {id};
    if (!core_.get(key, &out)) core_.throw_not_found(id);
    return out;
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
  template <class F>
  void stream(const Condition& where, F&& on_row) {
    find(where).stream(std::forward<F>(on_row));
  }

 private:
  detail::RepositoryCore core_;
};

}  // namespace retort

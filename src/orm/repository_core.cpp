// The untyped repository: every Repository<T> operation as SQL on the session.
#include <fmt/format.h>

#include "orm/column_values.hpp"
#include "orm/model_data.hpp"
#include "orm/sql_builder.hpp"
#include "orm/statements.hpp"
#include "orm/writes.hpp"
#include "retort/ddl.hpp"
#include "retort/error.hpp"
#include "retort/repository.hpp"

namespace retort {
namespace detail {

// Written with appends, because create() runs it for every object.
std::string insert_statement(const ModelData& data, const std::vector<std::size_t>& columns) {
  std::string sql;
  sql.reserve(64 + 2 * data.select_list.size() + 5 * columns.size());
  sql += "INSERT INTO ";
  sql += data.from;
  if (columns.empty()) {
    sql += " DEFAULT VALUES";
  } else {
    sql += " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += data.quoted_names[columns[i]];
    }
    sql += ") VALUES (";
    for (std::size_t i = 1; i <= columns.size(); ++i) {
      if (i > 1) sql += ", ";
      sql += '$';
      sql += std::to_string(i);
    }
    sql += ')';
  }
  sql += " RETURNING ";
  sql += data.select_list;
  return sql;
}

SqlBuilder key_select_statement(const ModelData& data, Dialect dialect,
                                const std::vector<Value>& key) {
  SqlBuilder b(data, dialect);
  b.sql = fmt::format("SELECT {} FROM {}", data.select_list, data.from);
  b.key_clause(key);
  return b;
}

SqlBuilder select_statement(const ModelData& data, Dialect dialect, const QuerySpec& spec) {
  SqlBuilder b(data, dialect);
  std::vector<OrderTerm> order = total_order(data, spec.order);
  b.sql = fmt::format("SELECT {} FROM {}", data.select_list, data.from);
  b.where_clause(spec.where, order, spec.after);
  b.order_clause(order);
  b.window_clause(spec.limit, spec.offset);
  return b;
}

QualifiedName copy_target(const schema::Table& table) {
  return QualifiedName(table.schema, table.name);
}

void decode_row(const ModelBase& model, const Row& row, void* object) {
  for (std::size_t i = 0; i < row.size(); ++i) model.set(object, i, row[i]);
}

namespace {

// Runs a write, giving unique violations the model's constraint name.
Result execute_write(Session& session, const ModelData& data, const SqlBuilder& b) {
  try {
    return session.execute(b.sql, b.params);
  } catch (const UniqueViolation& e) {
    rethrow_unique_violation(data, e);
  }
}

// UPDATE ... SET the given columns WHERE key RETURNING every column.
SqlBuilder update_statement(const ModelData& data, Dialect dialect, const ColumnValues& set,
                            const std::vector<Value>& key) {
  SqlBuilder b(data, dialect);
  std::string assignments;
  for (std::size_t i = 0; i < set.columns.size(); ++i) {
    assignments += fmt::format("{}{} = {}", i == 0 ? "" : ", ", b.column(set.columns[i]),
                               b.bind(set.values[i]));
  }
  b.sql = fmt::format("UPDATE {} SET {}", data.from, assignments);
  b.key_clause(key);
  b.sql += " RETURNING " + data.select_list;
  return b;
}

}  // namespace

RepositoryCore::RepositoryCore(Session& session, const ModelBase& model)
    : session_(&session), model_(&model) {
  if (model.data().key_columns.empty()) {
    throw UsageError(fmt::format("Repository: model {} has no primary key", model.table().name));
  }
}

void RepositoryCore::create(void* object) {
  const ModelData& data = model_->data();
  ColumnValues values = insert_values(*model_, object, Timestamp::now());
  SqlBuilder b(data, session_->dialect());
  b.sql = insert_statement(data, values.columns);
  b.params = std::move(values.values);
  decode(execute_write(*session_, data, b).at(0), object);
}

void RepositoryCore::create_many(void* objects, std::size_t count, std::size_t stride) {
  const ModelData& data = model_->data();
  auto object_at = [&](std::size_t i) { return static_cast<char*>(objects) + i * stride; };
  // A refused object must leave nothing stored. SQLite's copy runs in a savepoint that a
  // failure undoes, so each object is checked (its defaults filled in) and sent in one pass.
  // PostgreSQL's COPY cannot be dropped without failing the caller's transaction, so every
  // object is checked before the first is sent; then only the column list is kept and the
  // second pass reads the (now complete) objects again, so memory does not grow with the batch.
  const bool send_while_checking = session_->dialect() == Dialect::sqlite;
  const Timestamp now = Timestamp::now();
  std::vector<std::size_t> columns;
  auto open_copy = [&] {
    std::vector<std::string> names;
    for (std::size_t index : columns) names.push_back(data.table.columns[index].name);
    CopyOptions options;
    // Every JSON value was parsed already; SQLite need not parse it again for json_valid().
    options.checks_verified = checks_verified_by_client(*session_, data, columns);
    return session_->copy_in(copy_target(data.table), names, options);
  };
  try {
    std::unique_ptr<CopyWriter> writer;
    for (std::size_t i = 0; i < count; ++i) {
      ColumnValues row = insert_values(*model_, object_at(i), now);
      if (i == 0) {
        columns = std::move(row.columns);
      } else if (row.columns != columns) {
        throw UsageError(
            fmt::format("create_many: {} objects differ in which columns they leave to the server; "
                        "use create()",
                        data.table.name));
      }
      if (send_while_checking && !columns.empty()) {
        if (!writer) writer = open_copy();
        writer->write_row(row.values);
      }
    }
    if (count == 0) return;
    if (columns.empty()) {
      for (std::size_t i = 0; i < count; ++i) create(object_at(i));  // nothing to COPY
      return;
    }
    if (!writer) {
      writer = open_copy();
      std::vector<Value> values(columns.size());
      for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t k = 0; k < columns.size(); ++k) {
          values[k] =
              column_value_of_checked(data, columns[k], model_->get(object_at(i), columns[k]));
        }
        writer->write_row(values);
      }
    }
    writer->finish();
  } catch (const UniqueViolation& e) {
    rethrow_unique_violation(data, e);
  }
}

bool RepositoryCore::get(std::span<const Value> key, void* out) {
  SqlBuilder b = key_select_statement(model_->data(), session_->dialect(),
                                      std::vector<Value>(key.begin(), key.end()));
  Result result = session_->execute(b.sql, b.params);
  if (result.empty()) return false;
  decode(result[0], out);
  return true;
}

void RepositoryCore::select(const QuerySpec& spec, RowSink sink, void* context) {
  SqlBuilder b = select_statement(model_->data(), session_->dialect(), spec);
  for (const Row& row : session_->execute(b.sql, b.params)) sink(context, row, *this);
}

void RepositoryCore::stream(const QuerySpec& spec, RowSink sink, void* context) {
  SqlBuilder b = select_statement(model_->data(), session_->dialect(), spec);
  session_->stream(b.sql, b.params, [&](const Row& row) { sink(context, row, *this); });
}

std::int64_t RepositoryCore::count(const QuerySpec& spec) {
  const ModelData& data = model_->data();
  SqlBuilder b(data, session_->dialect());
  b.sql = "SELECT count(*) FROM " + data.from;
  b.where_clause(spec.where, total_order(data, spec.order), spec.after);
  return session_->execute(b.sql, b.params).at(0)[0].as_int64();
}

bool RepositoryCore::exists(const QuerySpec& spec) {
  const ModelData& data = model_->data();
  SqlBuilder b(data, session_->dialect());
  b.sql = "SELECT EXISTS (SELECT 1 FROM " + data.from;
  b.where_clause(spec.where, total_order(data, spec.order), spec.after);
  b.sql += ")";
  return session_->execute(b.sql, b.params).at(0)[0].as_bool();
}

bool RepositoryCore::latest(const Condition& where, void* out) {
  const ModelData& data = model_->data();
  if (data.latest_column == ModelData::npos) {
    throw UsageError(
        fmt::format("get_latest: model {} has no latest_by column and no set_on_create timestamp",
                    data.table.name));
  }
  QuerySpec spec;
  spec.where = where;
  spec.order = {{data.table.columns[data.latest_column].name, Direction::desc}};
  for (std::size_t key : data.key_columns) {
    spec.order.push_back({data.table.columns[key].name, Direction::desc});
  }
  spec.limit = 1;
  // Decoded straight into out: the caller passes a T it has constructed.
  bool found = false;
  struct Target {
    void* object;
    bool* found;
  } target{out, &found};
  select(
      spec,
      [](void* context, const Row& row, const RepositoryCore& core) {
        auto* t = static_cast<Target*>(context);
        core.decode(row, t->object);
        *t->found = true;
      },
      &target);
  return found;
}

void RepositoryCore::update(void* object) {
  const ModelData& data = model_->data();
  std::vector<Value> key = key_of(object);
  ColumnValues values = update_values(*model_, object, Timestamp::now());
  if (values.columns.empty()) {  // a table of key columns only: nothing to write
    if (!get(key, object)) throw_not_found(key.at(0));
    return;
  }
  SqlBuilder b = update_statement(data, session_->dialect(), values, key);
  Result result = execute_write(*session_, data, b);
  if (result.empty()) throw_not_found(key.at(0));
  decode(result[0], object);
}

void RepositoryCore::update_fields(std::span<const Value> key, const FieldValues& fields,
                                   void* out) {
  const ModelData& data = model_->data();
  std::vector<Value> key_values(key.begin(), key.end());
  ColumnValues values = named_values(data, fields, Timestamp::now());
  if (values.columns.empty()) {
    if (!get(key_values, out)) throw_not_found(key_values.at(0));
    return;
  }
  SqlBuilder b = update_statement(data, session_->dialect(), values, key_values);
  Result result = execute_write(*session_, data, b);
  if (result.empty()) throw_not_found(key_values.at(0));
  decode(result[0], out);
}

void RepositoryCore::remove(std::span<const Value> key) {
  const ModelData& data = model_->data();
  SqlBuilder b(data, session_->dialect());
  b.sql = "DELETE FROM " + data.from;
  b.key_clause(std::vector<Value>(key.begin(), key.end()));
  if (session_->execute(b.sql, b.params).affected_rows() == 0) throw_not_found(key[0]);
}

std::int64_t RepositoryCore::remove_where(const Condition& where) {
  const ModelData& data = model_->data();
  SqlBuilder b(data, session_->dialect());
  b.sql = "DELETE FROM " + data.from;
  b.where_clause(where, {}, {});
  return session_->execute(b.sql, b.params).affected_rows();
}

std::vector<Value> RepositoryCore::key_of(const void* object) const {
  std::vector<Value> key;
  for (std::size_t index : model_->data().key_columns) key.push_back(model_->get(object, index));
  return key;
}

std::vector<Value> RepositoryCore::values_of(const void* object) const {
  std::vector<Value> values;
  for (std::size_t i = 0; i < model_->table().columns.size(); ++i) {
    values.push_back(model_->get(object, i));
  }
  return values;
}

void RepositoryCore::decode(const Row& row, void* object) const {
  decode_row(*model_, row, object);
}

void RepositoryCore::throw_not_found(const Value& id) const {
  throw NotFound(fmt::format("no {} row with key {}", model_->table().name, id.to_display()));
}

// ---- FinderBase ----------------------------------------------------------------------------

FinderBase::FinderBase(RepositoryCore& core, Condition where) : core_(&core) {
  spec_.where = std::move(where);
}
FinderBase::FinderBase(const FinderBase& other) = default;
FinderBase& FinderBase::operator=(const FinderBase& other) = default;
FinderBase::~FinderBase() = default;

std::int64_t FinderBase::count() const {
  return core_->count(spec_);
}
bool FinderBase::exists() const {
  return core_->exists(spec_);
}
void FinderBase::add_where(const Condition& condition) {
  spec_.where = spec_.where && condition;
}
void FinderBase::add_order(std::string_view column, Direction direction) {
  spec_.order.push_back({std::string(column), direction});
}
void FinderBase::set_limit(std::int64_t rows) {
  spec_.limit = rows;
}
void FinderBase::set_offset(std::int64_t rows) {
  spec_.offset = rows;
}
void FinderBase::set_after(const void* row) {
  spec_.after = core_->values_of(row);
}

void FinderBase::select(RowSink sink, void* context, bool first_only) const {
  if (!first_only) return core_->select(spec_, sink, context);
  QuerySpec one = spec_;
  one.limit = 1;
  core_->select(one, sink, context);
}

void FinderBase::stream_rows(RowSink sink, void* context) const {
  core_->stream(spec_, sink, context);
}

}  // namespace detail

void create_all(Session& session, const schema::MetaData& metadata) {
  ddl::Options options;
  options.if_not_exists = true;
  for (const std::string& statement :
       ddl::create_statements(metadata, session.dialect(), options)) {
    session.execute(statement);
  }
}

}  // namespace retort

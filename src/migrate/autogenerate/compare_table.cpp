// One table against its model: columns, comments, indexes and constraints.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "migrate/autogenerate/compare_internal.hpp"
#include "migrate/ddl/normalize.hpp"

namespace retort::autogenerate::detail {
namespace {

using schema::Column;
using schema::Table;

bool in_primary_key(const Table& table, const std::string& column) {
  const auto& pk = table.primary_key.columns;
  return std::find(pk.begin(), pk.end(), column) != pk.end();
}

Operation table_op(OpKind kind, const Table& table) {
  Operation op;
  op.kind = kind;
  op.table = table.name;
  op.schema = table.schema;
  return op;
}

ColumnChanges column_changes(const Table& db_table, const Column& db, const Column& model,
                             Dialect dialect) {
  ColumnChanges changes;
  changes.type = migrate::ddl::type_key(db, dialect) != migrate::ddl::type_key(model, dialect);
  // A key column is NOT NULL whatever it declares; SQLite's rowid key even reports nullable.
  const bool key = in_primary_key(db_table, db.name);
  changes.nullable = !key && db.nullable != model.nullable;
  // Identity and generated columns have no default to compare.
  if (!db.identity && !model.identity && !db.generated && !model.generated) {
    changes.server_default = migrate::ddl::expression_key(db.server_default, dialect) !=
                             migrate::ddl::expression_key(model.server_default, dialect);
  }
  changes.comment = dialect == Dialect::postgresql && db.comment != model.comment;
  return changes;
}

void note_unchangeable(const Table& table, const Column& db, const Column& model, Dialect dialect,
                       std::vector<std::string>& notes) {
  if (db.identity != model.identity && dialect == Dialect::postgresql) {
    notes.push_back(fmt::format("column {}.{}: identity differs ({} in the database); not changed",
                                table.name, db.name, db.identity ? "identity" : "no identity"));
  }
  if (migrate::ddl::expression_key(db.generated, dialect) !=
      migrate::ddl::expression_key(model.generated, dialect)) {
    notes.push_back(fmt::format(
        "column {}.{}: generated expression differs; not changed (drop and add the column)",
        table.name, db.name));
  }
}

void compare_columns(const Table& db, const Table& model, Dialect dialect, Buckets& buckets,
                     std::vector<std::string>& notes) {
  std::unordered_map<std::string, const Column*> in_db;
  for (const Column& c : db.columns) in_db.emplace(c.name, &c);
  for (const Column& m : model.columns) {
    auto found = in_db.find(m.name);
    if (found == in_db.end()) {
      Operation op = table_op(OpKind::add_column, model);
      op.name = m.name;
      op.column = m;
      buckets.add(kColumnsAdded, std::move(op));
      continue;
    }
    const Column& d = *found->second;
    in_db.erase(found);
    note_unchangeable(model, d, m, dialect, notes);
    ColumnChanges changes = column_changes(db, d, m, dialect);
    if (!changes.any()) continue;
    Operation op = table_op(OpKind::alter_column, model);
    op.name = m.name;
    op.old_column = d;
    op.column = m;
    op.changes = changes;
    buckets.add(kColumnsAltered, std::move(op));
  }
  for (const Column& d : db.columns) {
    if (!in_db.contains(d.name)) continue;
    Operation op = table_op(OpKind::drop_column, db);
    op.name = d.name;
    op.column = d;
    buckets.add(kColumnsDropped, std::move(op));
  }
}

// Names of the indexes that implement a constraint (PostgreSQL names them after it).
bool backs_a_constraint(const Table& table, const std::string& index_name) {
  if (index_name.starts_with("sqlite_autoindex_")) return true;
  if (index_name == table.primary_key.name) return true;
  return std::any_of(table.unique_constraints.begin(), table.unique_constraints.end(),
                     [&](const auto& u) { return u.name == index_name; });
}

void compare_indexes(const Table& db, const Table& model, Dialect dialect, Buckets& buckets) {
  std::unordered_map<std::string, const schema::Index*> in_db;
  for (const schema::Index& i : db.indexes) {
    if (!backs_a_constraint(db, i.name)) in_db.emplace(i.name, &i);
  }
  for (const schema::Index& m : model.indexes) {
    if (!migrate::ddl::exists_on(m, dialect)) continue;
    auto found = in_db.find(m.name);
    if (found != in_db.end()) {
      const schema::Index& d = *found->second;
      in_db.erase(found);
      if (migrate::ddl::index_key(d, dialect) == migrate::ddl::index_key(m, dialect)) continue;
      Operation drop = table_op(OpKind::drop_index, db);
      drop.name = d.name;
      drop.index = d;
      buckets.add(kConstraintsDropped, std::move(drop));
    }
    Operation create = table_op(OpKind::create_index, model);
    create.name = m.name;
    create.index = m;
    buckets.add(kConstraintsAdded, std::move(create));
  }
  for (const schema::Index& d : db.indexes) {
    if (!in_db.contains(d.name)) continue;
    Operation drop = table_op(OpKind::drop_index, db);
    drop.name = d.name;
    drop.index = d;
    buckets.add(kConstraintsDropped, std::move(drop));
  }
}

// Matches constraints of one kind: by name when both sides are named (SQLite does not keep the
// names of unique and foreign-key constraints), else by their key; same name with another key is
// a drop plus an add.
template <class T, class KeyFn, class MakeFn>
void compare_constraints(const std::vector<T>& db, const std::vector<const T*>& model, KeyFn key,
                         MakeFn make, Bucket dropped, Bucket added, Buckets& buckets) {
  std::vector<bool> matched(db.size(), false);
  auto find = [&](const T& m) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < db.size(); ++i) {
      if (matched[i]) continue;
      const bool by_name = !db[i].name.empty() && !m.name.empty();
      if (by_name ? db[i].name == m.name : key(db[i]) == key(m))
        return static_cast<std::ptrdiff_t>(i);
    }
    return -1;
  };
  for (const T* m : model) {
    const std::ptrdiff_t i = find(*m);
    if (i >= 0) {
      matched[static_cast<std::size_t>(i)] = true;
      if (key(db[static_cast<std::size_t>(i)]) == key(*m)) continue;
      buckets.add(dropped, make(db[static_cast<std::size_t>(i)], false));
    }
    buckets.add(added, make(*m, true));
  }
  for (std::size_t i = 0; i < db.size(); ++i) {
    if (!matched[i]) buckets.add(dropped, make(db[i], false));
  }
}

template <class T>
std::vector<const T*> pointers(const std::vector<T>& items) {
  std::vector<const T*> out;
  for (const T& item : items) out.push_back(&item);
  return out;
}

void compare_table_constraints(const Table& db, const Table& model, Dialect dialect,
                               Buckets& buckets) {
  compare_constraints(
      db.unique_constraints, pointers(model.unique_constraints),
      [](const schema::UniqueConstraint& u) {
        return fmt::format("{}", fmt::join(u.columns, ","));
      },
      [&](const schema::UniqueConstraint& u, bool add) {
        Operation op = table_op(add ? OpKind::add_unique : OpKind::drop_unique, model);
        op.name = u.name;
        op.unique = u;
        return op;
      },
      kConstraintsDropped, kConstraintsAdded, buckets);
  compare_constraints(
      db.foreign_keys, pointers(model.foreign_keys), migrate::ddl::foreign_key_key,
      [&](const schema::ForeignKey& fk, bool add) {
        Operation op = table_op(add ? OpKind::add_foreign_key : OpKind::drop_foreign_key, model);
        op.name = fk.name;
        op.foreign_key = fk;
        return op;
      },
      kForeignKeysDropped, kForeignKeysAdded, buckets);
  std::vector<const schema::CheckConstraint*> checks;
  for (const auto& c : model.check_constraints) {
    if (migrate::ddl::exists_on(c, dialect)) checks.push_back(&c);
  }
  compare_constraints(
      db.check_constraints, checks,
      [&](const schema::CheckConstraint& c) {
        return migrate::ddl::expression_key(c.expression, dialect);
      },
      [&](const schema::CheckConstraint& c, bool add) {
        Operation op = table_op(add ? OpKind::add_check : OpKind::drop_check, model);
        op.name = c.name;
        op.check = c;
        return op;
      },
      kConstraintsDropped, kConstraintsAdded, buckets);
}

}  // namespace

std::string column_signature(const Column& column, Dialect dialect) {
  return migrate::ddl::type_key(column, dialect);
}

std::string table_signature(const Table& table, Dialect dialect) {
  std::vector<std::string> parts;
  for (const Column& c : table.columns)
    parts.push_back(c.name + " " + migrate::ddl::type_key(c, dialect));
  std::sort(parts.begin(), parts.end());
  return fmt::format("{}", fmt::join(parts, ","));
}

// A partitioned table's primary key must contain the partition key: the model's key followed by
// the partition key's columns it lacks is the same key, not a difference.
bool same_primary_key(const Table& db, const Table& model) {
  if (db.primary_key.columns == model.primary_key.columns) return true;
  if (db.partition_key.empty()) return false;
  std::vector<std::string> widened = model.primary_key.columns;
  for (const std::string& column : db.partition_key) {
    if (std::find(widened.begin(), widened.end(), column) == widened.end())
      widened.push_back(column);
  }
  return db.primary_key.columns == widened;
}

void compare_table(const Table& db, const Table& model, Dialect dialect, Buckets& buckets,
                   std::vector<std::string>& notes) {
  compare_columns(db, model, dialect, buckets, notes);
  if (!same_primary_key(db, model)) {
    notes.push_back(
        fmt::format("table {}: primary key ({}) in the database, ({}) in the models; "
                    "not changed",
                    model.name, fmt::join(db.primary_key.columns, ", "),
                    fmt::join(model.primary_key.columns, ", ")));
  }
  if (dialect == Dialect::postgresql && db.comment != model.comment) {
    Operation op = table_op(OpKind::set_table_comment, model);
    op.old_comment = db.comment;
    op.comment = model.comment;
    buckets.add(kColumnsAltered, std::move(op));
  }
  compare_indexes(db, model, dialect, buckets);
  compare_table_constraints(db, model, dialect, buckets);
}

}  // namespace retort::autogenerate::detail

// Models against the database's metadata: enum types, tables, probable renames, and the order
// the resulting operations must run in.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "migrate/autogenerate/compare_internal.hpp"
#include "migrate/ddl/normalize.hpp"

namespace retort::autogenerate {
namespace {

using detail::Bucket;
using detail::Buckets;
using schema::MetaData;
using schema::Table;

// Tables in creation order: each after the tables its foreign keys refer to (among `ops`),
// otherwise in the given order; a cycle falls back to the given order. Kahn's algorithm, always
// taking the earliest ready table: linear in tables plus keys.
std::vector<Operation> in_foreign_key_order(std::vector<Operation> ops) {
  std::unordered_map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < ops.size(); ++i) position.emplace(ops[i].table, i);
  std::vector<std::size_t> waiting_for(ops.size(), 0);
  std::vector<std::vector<std::size_t>> referred_by(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    for (const schema::ForeignKey& fk : ops[i].table_def.foreign_keys) {
      auto it = position.find(fk.referred_table);
      if (it == position.end() || it->second == i) continue;
      ++waiting_for[i];
      referred_by[it->second].push_back(i);
    }
  }
  std::set<std::size_t> ready, pending;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    (waiting_for[i] == 0 ? ready : pending).insert(i);
  }
  std::vector<Operation> ordered;
  while (!ready.empty() || !pending.empty()) {
    std::set<std::size_t>& from = ready.empty() ? pending : ready;  // a cycle: declaration order
    const std::size_t next = *from.begin();
    from.erase(from.begin());
    ordered.push_back(std::move(ops[next]));
    for (std::size_t j : referred_by[next]) {
      if (waiting_for[j] > 0 && --waiting_for[j] == 0 && pending.erase(j) > 0) ready.insert(j);
    }
  }
  return ordered;
}

// The enum types to compare: on SQLite only those a column uses exist (as CHECKs), so only
// those can be read back.
std::vector<const schema::EnumType*> comparable_enums(const MetaData& models, Dialect dialect) {
  std::unordered_set<std::string> used;
  for (const Table& t : models.tables) {
    for (const schema::Column& c : t.columns) {
      if (c.type.kind == schema::ColumnType::Kind::enum_) used.insert(c.type.enum_name);
    }
  }
  std::vector<const schema::EnumType*> out;
  for (const schema::EnumType& e : models.enums) {
    if (dialect == Dialect::postgresql || used.contains(e.name)) out.push_back(&e);
  }
  return out;
}

// Tables by name: thousands of tables must not mean millions of name comparisons.
class TablesByName {
 public:
  explicit TablesByName(const MetaData& metadata) {
    for (const Table& t : metadata.tables) tables_.emplace(t.name, &t);
  }
  const Table* find(const std::string& name) const {
    auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : it->second;
  }

 private:
  std::unordered_map<std::string, const Table*> tables_;
};

class Comparison {
 public:
  Comparison(const MetaData& models, const MetaData& database, const CompareOptions& options)
      : models_(models),
        working_(database),
        options_(options),
        model_tables_(models),
        db_tables_(working_) {
    diff_.before = database;
  }

  Diff run() {
    compare_enums();
    apply_table_renames();
    db_tables_ = TablesByName(working_);  // the renamed names
    for (const Table& model : models_.tables) {
      if (const Table* db = db_tables_.find(model.name)) apply_column_renames(*db, model);
    }
    compare_tables();
    diff_.operations = ordered();
    return std::move(diff_);
  }

 private:
  void compare_enums();
  void enum_value_changes(const schema::EnumType& db, const schema::EnumType& model);
  bool rename_wanted(const RenameHint& hint) const;
  void apply_table_renames();
  void apply_column_renames(const Table& db, const Table& model);
  void compare_tables();
  std::vector<Operation> ordered();

  const MetaData& models_;
  MetaData working_;  // the database, with the applied renames
  const CompareOptions& options_;
  TablesByName model_tables_;
  TablesByName db_tables_;
  Buckets buckets_;
  Diff diff_;
};

void Comparison::compare_enums() {
  std::unordered_set<std::string> modelled;
  for (const schema::EnumType* model : comparable_enums(models_, options_.dialect)) {
    modelled.insert(model->name);
    if (const schema::EnumType* db = working_.find_enum(model->name)) {
      enum_value_changes(*db, *model);
      continue;
    }
    Operation op;
    op.kind = OpKind::create_enum;
    op.name = model->name;
    op.enum_type = *model;
    buckets_.add(detail::kEnumsCreated, std::move(op));
  }
  for (const schema::EnumType& db : working_.enums) {
    if (modelled.contains(db.name)) continue;
    Operation op;
    op.kind = OpKind::drop_enum;
    op.name = db.name;
    op.enum_type = db;
    buckets_.add(detail::kEnumsDropped, std::move(op));
  }
}

// New values are added where the model puts them (AFTER their predecessor); removed values go
// after the columns stopped using them. PostgreSQL cannot reorder values: a different order of
// the values both sides have is only noted.
void Comparison::enum_value_changes(const schema::EnumType& db, const schema::EnumType& model) {
  const std::vector<std::string>& wanted = model.values;
  std::vector<std::string> state = db.values;
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (has(state, wanted[i])) continue;
    auto at = state.begin();
    for (std::size_t j = i; j-- > 0;) {
      auto pred = std::find(state.begin(), state.end(), wanted[j]);
      if (pred != state.end()) {
        at = pred + 1;
        break;
      }
    }
    Operation op;
    op.kind = OpKind::add_enum_value;
    op.name = model.name;
    op.value = wanted[i];
    op.old_enum_values = state;
    state.insert(at, wanted[i]);
    op.enum_type = {model.name, state};
    buckets_.add(detail::kEnumsCreated, std::move(op));
  }
  for (const std::string& value : db.values) {
    if (has(wanted, value)) continue;
    Operation op;
    op.kind = OpKind::drop_enum_value;
    op.name = model.name;
    op.value = value;
    op.old_enum_values = state;
    std::erase(state, value);
    op.enum_type = {model.name, state};
    buckets_.add(detail::kEnumsDropped, std::move(op));
  }
  if (state != wanted) {
    diff_.notes.push_back(
        fmt::format("enum {}: the values are in another order in the database ({}); not changed",
                    model.name, fmt::join(state, ", ")));
  }
}

bool Comparison::rename_wanted(const RenameHint& hint) const {
  if (options_.apply_renames) return true;
  const std::string spelled = hint.kind == RenameHint::Kind::table
                                  ? hint.from + ":" + hint.to
                                  : hint.table + "." + hint.from + ":" + hint.to;
  return std::find(options_.renames.begin(), options_.renames.end(), spelled) !=
         options_.renames.end();
}

// Pairs dropped and added objects whose signatures match one to one (two candidates with the
// same signature are ambiguous and left alone). Returns (dropped index, added index) pairs.
std::vector<std::pair<std::size_t, std::size_t>> unique_pairs(
    const std::vector<std::string>& dropped, const std::vector<std::string>& added) {
  std::unordered_map<std::string, int> dropped_count, added_count;
  for (const auto& s : dropped) ++dropped_count[s];
  for (const auto& s : added) ++added_count[s];
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t d = 0; d < dropped.size(); ++d) {
    if (dropped_count[dropped[d]] != 1 || added_count[dropped[d]] != 1) continue;
    const auto a = std::find(added.begin(), added.end(), dropped[d]) - added.begin();
    pairs.emplace_back(d, static_cast<std::size_t>(a));
  }
  return pairs;
}

void Comparison::apply_table_renames() {
  std::vector<const Table*> dropped, added;
  std::vector<std::string> dropped_sig, added_sig;
  for (const Table& db : working_.tables) {
    if (model_tables_.find(db.name) != nullptr) continue;
    dropped.push_back(&db);
    dropped_sig.push_back(detail::table_signature(db, options_.dialect));
  }
  for (const Table& model : models_.tables) {
    if (db_tables_.find(model.name) != nullptr) continue;
    added.push_back(&model);
    added_sig.push_back(detail::table_signature(model, options_.dialect));
  }
  std::vector<Operation> renames;
  for (auto [d, a] : unique_pairs(dropped_sig, added_sig)) {
    RenameHint hint{RenameHint::Kind::table, "", dropped[d]->name, added[a]->name, false};
    hint.applied = rename_wanted(hint);
    if (hint.applied) {
      Operation op;
      op.kind = OpKind::rename_table;
      op.old_name = hint.from;
      op.table = hint.to;
      op.schema = added[a]->schema;
      renames.push_back(std::move(op));
    }
    diff_.renames.push_back(std::move(hint));
  }
  for (Operation& op : renames) {
    apply(working_, op);  // after the loop: `dropped` points into working_
    buckets_.add(detail::kRenames, std::move(op));
  }
}

void Comparison::apply_column_renames(const Table& db, const Table& model) {
  std::vector<std::string> dropped, added, dropped_sig, added_sig;
  for (const schema::Column& c : db.columns) {
    if (model.find_column(c.name) != nullptr) continue;
    dropped.push_back(c.name);
    dropped_sig.push_back(detail::column_signature(c, options_.dialect));
  }
  for (const schema::Column& c : model.columns) {
    if (db.find_column(c.name) != nullptr) continue;
    added.push_back(c.name);
    added_sig.push_back(detail::column_signature(c, options_.dialect));
  }
  std::vector<Operation> renames;
  for (auto [d, a] : unique_pairs(dropped_sig, added_sig)) {
    RenameHint hint{RenameHint::Kind::column, model.name, dropped[d], added[a], false};
    hint.applied = rename_wanted(hint);
    if (hint.applied) {
      Operation op;
      op.kind = OpKind::rename_column;
      op.table = model.name;
      op.schema = model.schema;
      op.old_name = hint.from;
      op.name = hint.to;
      renames.push_back(std::move(op));
    }
    diff_.renames.push_back(std::move(hint));
  }
  for (Operation& op : renames) {
    apply(working_, op);  // invalidates `db`: done last
    buckets_.add(detail::kRenames, std::move(op));
  }
}

void Comparison::compare_tables() {
  for (const Table& model : models_.tables) {
    if (const Table* db = db_tables_.find(model.name)) {
      detail::compare_table(*db, model, options_.dialect, buckets_, diff_.notes);
      continue;
    }
    Operation op;
    op.kind = OpKind::create_table;
    op.table = model.name;
    op.schema = model.schema;
    op.table_def = model;
    buckets_.add(detail::kTablesCreated, std::move(op));
  }
  for (const Table& db : working_.tables) {
    if (model_tables_.find(db.name) != nullptr) continue;
    Operation op;
    op.kind = OpKind::drop_table;
    op.table = db.name;
    op.schema = db.schema;
    op.table_def = db;
    buckets_.add(detail::kTablesDropped, std::move(op));
  }
}

std::vector<Operation> Comparison::ordered() {
  auto& ops = buckets_.ops;
  // Table renames before column renames (the columns are named by their table's new name).
  std::stable_partition(ops[detail::kRenames].begin(), ops[detail::kRenames].end(),
                        [](const Operation& op) { return op.kind == OpKind::rename_table; });
  ops[detail::kTablesCreated] = in_foreign_key_order(std::move(ops[detail::kTablesCreated]));
  std::vector<Operation> drops = in_foreign_key_order(std::move(ops[detail::kTablesDropped]));
  std::reverse(drops.begin(), drops.end());
  ops[detail::kTablesDropped] = std::move(drops);
  // Values are removed before a type goes.
  std::stable_partition(ops[detail::kEnumsDropped].begin(), ops[detail::kEnumsDropped].end(),
                        [](const Operation& op) { return op.kind == OpKind::drop_enum_value; });
  std::vector<Operation> out;
  for (std::vector<Operation>& bucket : ops) {
    for (Operation& op : bucket) out.push_back(std::move(op));
  }
  return out;
}

}  // namespace

Diff compare(const MetaData& models, const MetaData& database, const CompareOptions& options) {
  return Comparison(models, database, options).run();
}

}  // namespace retort::autogenerate

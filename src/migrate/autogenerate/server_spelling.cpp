// The server spells the models' expressions (see server_spelling.hpp).
#include "migrate/autogenerate/server_spelling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "migrate/ddl/normalize.hpp"
#include "retort/ddl.hpp"

namespace retort::autogenerate::detail {
namespace {

constexpr Dialect kPg = Dialect::postgresql;

// A difference to settle: an alter_column whose default may only be spelled differently, or a
// drop + create of the same check or index.
struct Question {
  std::size_t table = 0;    // index of the probe table
  std::string object;       // probe column, check name or probe index name
  std::size_t op = 0;       // the alter_column, or the create/add op
  std::size_t dropped = 0;  // the drop op of a pair (unused for defaults)
};

// One probe table per model table with questions.
struct ProbeTable {
  const schema::Table* model = nullptr;
  std::set<std::string> defaults;  // columns whose default is asked
  std::vector<const schema::CheckConstraint*> checks;
  std::vector<std::pair<std::string, const schema::Index*>> indexes;  // probe name, model index
};

class Survey {
 public:
  Survey(const schema::MetaData& models, const Diff& diff) : models_(models), diff_(diff) {
    for (std::size_t i = 0; i < diff.operations.size(); ++i) ask(i);
  }

  std::vector<ProbeTable> tables;
  std::vector<Question> defaults, checks, indexes;

 private:
  std::size_t probe_of(const std::string& table) {
    auto it = by_name_.find(table);
    if (it != by_name_.end()) return it->second;
    tables.push_back({models_.find_table(table), {}, {}, {}});
    return by_name_[table] = tables.size() - 1;
  }
  // Every column type must exist for the probe table to be created.
  bool probeable(const std::string& table) const {
    const schema::Table* model = models_.find_table(table);
    if (model == nullptr) return false;
    return std::all_of(model->columns.begin(), model->columns.end(), [&](const auto& c) {
      return c.type.kind != schema::ColumnType::Kind::enum_ ||
             diff_.before.find_enum(c.type.enum_name) != nullptr;
    });
  }
  std::ptrdiff_t dropped_twin(std::size_t added) const;
  void ask(std::size_t i);

  const schema::MetaData& models_;
  const Diff& diff_;
  std::map<std::string, std::size_t> by_name_;
};

// The drop that pairs with the create/add at `added`: same table, same kind of object, same name.
std::ptrdiff_t Survey::dropped_twin(std::size_t added) const {
  const Operation& a = diff_.operations[added];
  const OpKind drop = a.kind == OpKind::add_check ? OpKind::drop_check : OpKind::drop_index;
  for (std::size_t i = 0; i < diff_.operations.size(); ++i) {
    const Operation& d = diff_.operations[i];
    if (d.kind == drop && d.table == a.table && d.name == a.name)
      return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

void Survey::ask(std::size_t i) {
  const Operation& op = diff_.operations[i];
  if (!probeable(op.table)) return;
  if (op.kind == OpKind::alter_column && op.changes.server_default &&
      op.old_column.server_default && op.column.server_default &&
      !op.column.server_default->postgresql.empty()) {
    const std::size_t t = probe_of(op.table);
    tables[t].defaults.insert(op.column.name);
    defaults.push_back({t, op.column.name, i, 0});
  } else if (op.kind == OpKind::add_check || op.kind == OpKind::create_index) {
    const std::ptrdiff_t twin = dropped_twin(i);
    if (twin < 0) return;
    const std::size_t t = probe_of(op.table);
    Question q{t, op.name, i, static_cast<std::size_t>(twin)};
    if (op.kind == OpKind::add_check) {
      tables[t].checks.push_back(&op.check);
      checks.push_back(q);
    } else {
      q.object = fmt::format("retort_probe_{}_{}", t, tables[t].indexes.size());
      tables[t].indexes.emplace_back(q.object, &op.index);
      indexes.push_back(q);
    }
  }
}

std::string probe_name(std::size_t t) {
  return fmt::format("retort_probe_{}", t);
}

std::string probe_script(const std::vector<ProbeTable>& tables) {
  std::string script;
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const ProbeTable& p = tables[t];
    std::vector<std::string> lines;
    for (const schema::Column& c : p.model->columns) {
      std::string line = Connection::quote_identifier(c.name) + " " + c.type.sql(kPg);
      if (p.defaults.contains(c.name)) line += " DEFAULT " + c.server_default->postgresql;
      lines.push_back(std::move(line));
    }
    for (const schema::CheckConstraint* check : p.checks) {
      lines.push_back(retort::ddl::constraint_definition(*check, kPg));
    }
    script += fmt::format("CREATE TEMP TABLE {} ({});\n", probe_name(t), fmt::join(lines, ", "));
    schema::Table ref;
    ref.name = probe_name(t);
    for (const auto& [name, index] : p.indexes) {
      schema::Index probe = *index;
      probe.name = name;
      script += retort::ddl::create_index(ref, probe, kPg) + ";\n";
    }
  }
  return script;
}

// (kind, table or index, object, position) -> the server's spelling.
using Spellings = std::map<std::tuple<std::string, std::string, std::string, int>, std::string>;

constexpr const char* kReadBack = R"(
SELECT 'd', c.relname, a.attname, 0, pg_get_expr(d.adbin, d.adrelid, true)
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
  JOIN pg_class c ON c.oid = d.adrelid
 WHERE c.relnamespace = pg_my_temp_schema() AND c.relname LIKE 'retort\_probe\_%'
UNION ALL
SELECT 'c', c.relname, k.conname, 0, pg_get_expr(k.conbin, k.conrelid, true)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE k.contype = 'c' AND c.relnamespace = pg_my_temp_schema()
   AND c.relname LIKE 'retort\_probe\_%'
UNION ALL
SELECT 'i', ic.relname, '', n, pg_get_indexdef(i.indexrelid, n, true)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid,
       generate_series(1, i.indnkeyatts) AS n
 WHERE ic.relnamespace = pg_my_temp_schema() AND ic.relname LIKE 'retort\_probe\_%'
UNION ALL
SELECT 'w', ic.relname, '', 0, pg_get_expr(i.indpred, i.indrelid, true)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE i.indpred IS NOT NULL AND ic.relnamespace = pg_my_temp_schema()
   AND ic.relname LIKE 'retort\_probe\_%')";

Spellings read_back(Connection& c) {
  Spellings out;
  for (const Row row : c.execute(kReadBack)) {
    out[{row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
         static_cast<int>(row.get<std::int64_t>(3))}] = row.get<std::string>(4);
  }
  return out;
}

const std::string* find(const Spellings& s, const char* kind, const std::string& relation,
                        const std::string& object, int position = 0) {
  auto it = s.find({kind, relation, object, position});
  return it == s.end() ? nullptr : &it->second;
}

// The model index as the server would report it: its expressions and predicate respelled.
schema::Index respelled(const schema::Index& model, const std::string& probe, const Spellings& s) {
  schema::Index out = model;
  for (std::size_t k = 0; k < out.elements.size(); ++k) {
    if (!out.elements[k].column.empty()) continue;
    if (const std::string* e = find(s, "i", probe, "", static_cast<int>(k + 1))) {
      out.elements[k].expression = schema::DialectSql(*e, "");
    }
  }
  if (const std::string* w = find(s, "w", probe, "")) out.where = schema::DialectSql(*w, "");
  return out;
}

}  // namespace

std::size_t settle_with_server(Connection& connection, const schema::MetaData& models, Diff& diff) {
  const Survey survey(models, diff);
  if (survey.tables.empty()) return 0;
  Spellings spelled;
  // Inside the caller's transaction a savepoint takes the probe back; else a transaction of its
  // own.
  const bool nested = connection.in_transaction();
  auto undo = [&] {
    if (nested) {
      connection.rollback_to_savepoint("retort_probe");
      connection.release_savepoint("retort_probe");
    } else {
      connection.rollback();
    }
  };
  if (nested) {
    connection.savepoint("retort_probe");
  } else {
    connection.begin({});
  }
  try {
    connection.execute_script(probe_script(survey.tables));
    spelled = read_back(connection);
    undo();
  } catch (const DatabaseError& e) {
    if (connection.in_transaction() && !connection.is_broken()) undo();
    diff.notes.push_back(
        fmt::format("could not ask the server to spell the models' expressions ({}); some reported "
                    "changes may only be spelling",
                    e.what()));
    return 3;
  }
  std::vector<bool> settled(diff.operations.size(), false);
  for (const Question& q : survey.defaults) {
    Operation& op = diff.operations[q.op];
    const std::string* s = find(spelled, "d", probe_name(q.table), q.object);
    if (s != nullptr && migrate::ddl::normalize_sql(*s) ==
                            migrate::ddl::expression_key(op.old_column.server_default, kPg)) {
      op.changes.server_default = false;
      settled[q.op] = !op.changes.any();
    }
  }
  for (const Question& q : survey.checks) {
    const std::string* s = find(spelled, "c", probe_name(q.table), q.object);
    const Operation& dropped = diff.operations[q.dropped];
    if (s != nullptr && migrate::ddl::normalize_sql(*s) ==
                            migrate::ddl::expression_key(dropped.check.expression, kPg)) {
      settled[q.op] = settled[q.dropped] = true;
    }
  }
  for (const Question& q : survey.indexes) {
    const schema::Index model = respelled(diff.operations[q.op].index, q.object, spelled);
    if (migrate::ddl::index_key(model, kPg) ==
        migrate::ddl::index_key(diff.operations[q.dropped].index, kPg)) {
      settled[q.op] = settled[q.dropped] = true;
    }
  }
  std::vector<Operation> kept;
  for (std::size_t i = 0; i < diff.operations.size(); ++i) {
    if (!settled[i]) kept.push_back(std::move(diff.operations[i]));
  }
  diff.operations = std::move(kept);
  return 4;  // BEGIN, the script, the read-back, ROLLBACK
}

}  // namespace retort::autogenerate::detail

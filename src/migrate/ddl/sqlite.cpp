// SQLite rendering. SQLite can create, drop and rename tables, columns and indexes, and add a
// simple column; everything else (column types, nullability, defaults, constraints, enum values
// in their CHECK) needs the table rebuilt: a new table with the final definition, every row
// copied, the old table dropped, the new one renamed, indexes and triggers recreated
// (Alembic's batch_alter_table, SQLite's documented 12-step procedure). A table is rebuilt at
// most once per direction, straight to its final definition. The revision runs with foreign-key
// enforcement off (dropping the old table must not cascade) and checks every foreign key
// before it commits (see the runner).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "migrate/ddl/normalize.hpp"
#include "migrate/ddl/render.hpp"
#include "retort/ddl.hpp"

namespace retort::migrate::ddl {
namespace {

using schema::MetaData;
using schema::Table;

constexpr Dialect kLite = Dialect::sqlite;

std::string quote(std::string_view name) {
  return Connection::quote_identifier(name);
}

// The table named `name` in state (the caller found it there).
Table* state_table(MetaData& state, const std::string& name) {
  for (Table& t : state.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

bool is_rename(const Operation& op) {
  return op.kind == OpKind::rename_table || op.kind == OpKind::rename_column;
}

bool is_enum_op(const Operation& op) {
  return op.kind == OpKind::create_enum || op.kind == OpKind::drop_enum ||
         op.kind == OpKind::add_enum_value || op.kind == OpKind::drop_enum_value;
}

// ALTER TABLE ADD COLUMN takes a column that needs no rewrite: nullable or with a constant
// non-NULL default (not CURRENT_TIMESTAMP, not an expression in parentheses), not a key.
bool can_add_in_place(const schema::Column& column) {
  if (column.identity || column.generated) return false;
  const std::string def = column.server_default ? column.server_default->sqlite : "";
  const std::string key = normalize_sql(def);
  const bool constant =
      def.empty() || (def.find('(') == std::string::npos && !key.starts_with("current_"));
  if (!constant) return false;
  return column.nullable || (!key.empty() && key != "null");
}

bool mentions(const std::string& sql, const std::string& column) {
  return !sql.empty() && sql.find(column) != std::string::npos;
}

// ALTER TABLE DROP COLUMN refuses a column that a key, index or constraint uses.
bool can_drop_in_place(const Table& table, const std::string& column, const MetaData& state) {
  auto has = [&](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), column) != names.end();
  };
  if (has(table.primary_key.columns)) return false;
  for (const auto& u : table.unique_constraints) {
    if (has(u.columns)) return false;
  }
  for (const auto& fk : table.foreign_keys) {
    if (has(fk.columns)) return false;
  }
  for (const auto& c : table.check_constraints) {
    if (mentions(c.expression.sqlite, column)) return false;
  }
  for (const auto& index : table.indexes) {
    if (mentions(index.where.sqlite, column)) return false;
    for (const auto& e : index.elements) {
      if (e.column == column || mentions(e.expression.sqlite, column)) return false;
    }
  }
  for (const auto& c : table.columns) {
    if (c.generated && mentions(c.generated->sqlite, column)) return false;
  }
  for (const Table& other : state.tables) {
    for (const auto& fk : other.foreign_keys) {
      if (fk.referred_table == table.name && has(fk.referred_columns)) return false;
    }
  }
  return true;
}

bool needs_rebuild(const Operation& op, const MetaData& state) {
  switch (op.kind) {
    case OpKind::alter_column:
      return op.changes.type || op.changes.nullable || op.changes.server_default;
    case OpKind::add_unique:
    case OpKind::drop_unique:
    case OpKind::add_foreign_key:
    case OpKind::drop_foreign_key:
      return true;
    case OpKind::add_check:
    case OpKind::drop_check:
      return exists_on(op.check, kLite);
    case OpKind::add_column:
      return !can_add_in_place(op.column);
    case OpKind::drop_column: {
      const Table* table = state.find_table(op.table);
      return table != nullptr && !can_drop_in_place(*table, op.column.name, state);
    }
    default:
      return false;
  }
}

class Renderer {
 public:
  Renderer(const RenderOptions& options, std::vector<std::string>& warnings)
      : options_(options), warnings_(warnings) {}

  // The statements that take `before` through `ops`.
  std::vector<std::string> run(const std::vector<Operation>& ops, const MetaData& before) {
    plan(ops, before);
    MetaData state = before;
    bool renames_done = false;
    for (const Operation& op : ops) {
      if (!is_rename(op) && !is_enum_op(op) && !renames_done) {
        renames_done = true;
        rebuild_pending(state);  // tables whose enum CHECK changes
      }
      emit(op, state);
    }
    rebuild_pending(state);
    return std::move(out_);
  }

  bool rebuilt_any() const noexcept { return rebuilt_any_; }

  std::vector<std::string> native(const Operation& op, const MetaData& state) const;

 private:
  void plan(const std::vector<Operation>& ops, const MetaData& before);
  void emit(const Operation& op, MetaData& state);
  void rebuild_pending(MetaData& state);
  void rebuild(const std::string& table, MetaData& state);

  const RenderOptions& options_;
  std::vector<std::string>& warnings_;
  MetaData final_;
  std::set<std::string> to_rebuild_;     // by name after renames (names are stable from there)
  std::set<std::string> enum_rebuilds_;  // rebuilt for an enum's CHECK, right after the renames
  std::set<std::string> rebuilt_;
  std::vector<std::string> out_;
  bool rebuilt_any_ = false;
};

void Renderer::plan(const std::vector<Operation>& ops, const MetaData& before) {
  final_ = before;
  std::vector<std::string> changed_enums;
  for (const Operation& op : ops) {
    if (op.kind == OpKind::add_enum_value || op.kind == OpKind::drop_enum_value) {
      changed_enums.push_back(op.enum_type.name);
    } else if (!op.table.empty() && needs_rebuild(op, final_)) {
      to_rebuild_.insert(op.table);
    }
    apply(final_, op);
  }
  // Tables whose enum CHECK lists the values: known by their name after the renames, which is
  // the name they have at the end (a table using the enum is not dropped or created with it).
  for (const Table& t : final_.tables) {
    for (const schema::Column& c : t.columns) {
      if (c.type.kind != schema::ColumnType::Kind::enum_) continue;
      if (std::find(changed_enums.begin(), changed_enums.end(), c.type.enum_name) ==
          changed_enums.end()) {
        continue;
      }
      if (before.find_table(t.name) != nullptr || to_rebuild_.contains(t.name)) {
        enum_rebuilds_.insert(t.name);
      }
    }
  }
  for (const std::string& name : enum_rebuilds_) to_rebuild_.insert(name);
}

void Renderer::emit(const Operation& op, MetaData& state) {
  if (!op.table.empty() && to_rebuild_.contains(op.table) && !is_rename(op) &&
      op.kind != OpKind::create_table && op.kind != OpKind::drop_table) {
    // Folded into the table's single rebuild to its final definition.
    if (!rebuilt_.contains(op.table) && needs_rebuild(op, state)) rebuild(op.table, state);
    if (rebuilt_.contains(op.table)) return;
  }
  for (std::string& statement : native(op, state)) out_.push_back(std::move(statement));
  apply(state, op);
}

void Renderer::rebuild_pending(MetaData& state) {
  for (const std::string& name : enum_rebuilds_) {
    if (!rebuilt_.contains(name) && state.find_table(name) != nullptr) rebuild(name, state);
  }
}

// Move-and-copy `name` from its definition in `state` to its final one.
void Renderer::rebuild(const std::string& name, MetaData& state) {
  const Table* current = state.find_table(name);
  const Table* target = final_.find_table(name);
  if (current == nullptr || target == nullptr) return;  // created or dropped: nothing to keep
  Table temporary = *target;
  temporary.name = "_retort_new_" + name;
  std::vector<std::string> copied;
  for (const schema::Column& c : target->columns) {
    if (!c.generated && current->find_column(c.name) != nullptr) copied.push_back(quote(c.name));
  }
  const std::string columns = fmt::format("{}", fmt::join(copied, ", "));
  const std::string old_name = retort::ddl::qualified_name(current->schema, current->name);
  out_.push_back(retort::ddl::create_table(temporary, kLite, &final_));
  out_.push_back(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", quote(temporary.name),
                             columns, columns, old_name));
  out_.push_back("DROP TABLE " + old_name);
  // Legacy mode: the rename must not re-check views and triggers that name the dropped table.
  out_.push_back("PRAGMA legacy_alter_table = ON");
  out_.push_back(retort::ddl::rename_table(current->schema, temporary.name, name));
  out_.push_back("PRAGMA legacy_alter_table = OFF");
  for (const schema::Index& index : target->indexes) {
    std::string statement = retort::ddl::create_index(*target, index, kLite);
    if (!statement.empty()) out_.push_back(std::move(statement));
  }
  if (options_.sqlite_triggers) {
    for (const auto& [table, sql] : *options_.sqlite_triggers) {
      if (table == name) out_.push_back(sql);
    }
  }
  warnings_.push_back(fmt::format(
      "SQLite: table {} is rebuilt (move-and-copy: new table, every row copied, old table "
      "dropped, indexes{} recreated)",
      name, options_.sqlite_triggers ? " and triggers" : ""));
  if (!options_.sqlite_triggers) {
    warnings_.push_back(fmt::format(
        "SQLite: triggers on {} are not known here (compared against PostgreSQL); a rebuild "
        "drops them: add their CREATE TRIGGER to the sqlite section",
        name));
  }
  *state_table(state, name) = *target;
  rebuilt_.insert(name);
  rebuilt_any_ = true;
}

std::vector<std::string> Renderer::native(const Operation& op, const MetaData& state) const {
  const Table table = table_ref(op);
  switch (op.kind) {
    case OpKind::create_table:
      return retort::ddl::create_table_statements(op.table_def, kLite, &state);
    case OpKind::drop_table:
      return {retort::ddl::drop_table(table)};
    case OpKind::rename_table:
      return {retort::ddl::rename_table(op.schema, op.old_name, op.table)};
    case OpKind::rename_column:
      return {retort::ddl::rename_column(table, op.old_name, op.name)};
    case OpKind::add_column:
      return {retort::ddl::add_column(table, op.column, kLite, &state)};
    case OpKind::drop_column:
      return {retort::ddl::drop_column(table, op.column.name)};
    case OpKind::create_index: {
      std::string statement = retort::ddl::create_index(table, op.index, kLite);
      if (statement.empty()) return {};
      return {std::move(statement)};
    }
    case OpKind::drop_index:
      if (!exists_on(op.index, kLite)) return {};
      return {retort::ddl::drop_index(table, op.index, kLite)};
    default:
      // Enum types, comments: nothing on SQLite. Constraint and column changes never get here
      // (they rebuild the table).
      return {};
  }
}

}  // namespace

bool sqlite_needs_rebuild(const Operation& op, const MetaData& state) {
  return needs_rebuild(op, state);
}

std::vector<std::string> sqlite_native_statements(const Operation& op, const MetaData& state) {
  const RenderOptions options;
  std::vector<std::string> warnings;
  return Renderer(options, warnings).native(op, state);
}

SqliteStatements sqlite_statements(const std::vector<Operation>& ops, const MetaData& before,
                                   const RenderOptions& options) {
  SqliteStatements out;
  Renderer renderer(options, out.warnings);
  out.statements = renderer.run(ops, before);
  out.rebuilt = renderer.rebuilt_any();
  return out;
}

SqliteRendering render_sqlite(const Diff& diff, const RenderOptions& options) {
  SqliteRendering out;
  Renderer up(options, out.warnings);
  out.main.up = up.run(diff.operations, diff.before);
  MetaData after = diff.before;
  for (const Operation& op : diff.operations) apply(after, op);
  std::vector<std::string> ignored;  // the upgrade's warnings are the ones that matter
  Renderer down(options, ignored);
  out.main.down = down.run(inverted(diff.operations), after);
  out.rebuilds = up.rebuilt_any() || down.rebuilt_any();
  return out;
}

}  // namespace retort::migrate::ddl

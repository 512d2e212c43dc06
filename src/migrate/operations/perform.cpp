#include "migrate/operations/perform.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "migrate/ddl/render.hpp"
#include "retort/ddl.hpp"
#include "retort/error.hpp"

namespace retort::migrate::detail {
namespace {

using autogenerate::Operation;
using autogenerate::OpKind;

void run_all(OperationsContext& context, const std::vector<std::string>& statements,
             const std::source_location& where) {
  for (const std::string& statement : statements) {
    if (!statement.empty()) run_statement(context, statement, where);
  }
}

// The enum types whose values op's columns need (SQLite renders them as a CHECK).
std::vector<std::string> enums_used(const Operation& op) {
  std::vector<std::string> out;
  auto add = [&](const schema::Column& c) {
    if (c.type.kind == schema::ColumnType::Kind::enum_) out.push_back(c.type.enum_name);
  };
  if (op.kind == OpKind::create_table)
    std::for_each(op.table_def.columns.begin(), op.table_def.columns.end(), add);
  if (op.kind == OpKind::add_column || op.kind == OpKind::alter_column) add(op.column);
  return out;
}

// What SQLite's statements for op need to know of enum types: the revision's create_enum
// calls, else (an enum created by an earlier revision) the database's.
schema::MetaData sqlite_enums(OperationsContext& context, const Operation& op,
                              const std::source_location& where, std::string_view what) {
  for (const std::string& name : enums_used(op)) {
    if (context.declared_enums.find_enum(name) == nullptr) {
      return reflect_schema(
          context,
          fmt::format("{} reading the values of enum type {} (or declare them with create_enum)",
                      what, name),
          where);
    }
  }
  return context.declared_enums;
}

// Renders ops against `before` for SQLite (a move-and-copy for each table that needs one,
// triggers recreated) and runs the result.
void run_sqlite(OperationsContext& context, const std::vector<Operation>& ops,
                const schema::MetaData& before, const std::source_location& where,
                const std::string& table) {
  autogenerate::RenderOptions options;
  if (context.offline()) {
    options.sqlite_triggers.emplace();  // unknown offline: said in a note below
  } else {
    options.sqlite_triggers = ddl::sqlite_triggers(*context.connection);
  }
  const ddl::SqliteStatements rendered = ddl::sqlite_statements(ops, before, options);
  if (rendered.rebuilt && !context.sqlite_foreign_keys_off) {
    throw UsageError(fmt::format(
        "revision {} rebuilds table {} on SQLite (move-and-copy), which needs foreign-key "
        "enforcement off: drop `.sqlite_foreign_keys_off = false` from the revision ({})",
        context.revision, table, context.declared_at));
  }
  for (const std::string& warning : rendered.warnings) note(context, warning);
  if (rendered.rebuilt && context.offline()) {
    note(context, fmt::format("SQLite: triggers on {} cannot be read offline and are not "
                              "recreated: add their CREATE TRIGGER with execute()",
                              table));
  }
  run_all(context, rendered.statements, where);
}

// The schema an SQLite operation on `table` is rendered against: the batch's (definition
// before the batch plus the changes queued since), else the database's now.
schema::MetaData current_schema(OperationsContext& context, const std::string& table,
                                const std::source_location& where, std::string_view what) {
  if (context.batch != nullptr && context.batch->table == table) {
    return load_batch_state(context, *context.batch, where);
  }
  return reflect_schema(
      context,
      fmt::format("{} on SQLite, which rebuilds table {} from its current definition "
                  "(batch_alter_table with BatchOptions::copy_from renders offline)",
                  what, table),
      where);
}

const schema::Table& require_table(const schema::MetaData& state, const std::string& table,
                                   std::string_view what) {
  const schema::Table* found = state.find_table(table);
  if (found == nullptr) throw UsageError(fmt::format("{}: there is no table {}", what, table));
  return *found;
}

std::vector<std::string> postgresql_alter(const std::string& table, const std::string& column,
                                          const ColumnChanges& changes) {
  const schema::Table t = table_named(table);
  schema::Column c;
  c.name = column;
  std::vector<std::string> out;
  if (changes.drop_server_default) out.push_back(retort::ddl::alter_column_default(t, c));
  if (changes.type) {
    c.type = *changes.type;
    out.push_back(retort::ddl::alter_column_type(t, c));
  }
  if (changes.server_default) {
    c.server_default = changes.server_default;
    out.push_back(retort::ddl::alter_column_default(t, c));
  }
  if (changes.nullable) {
    c.nullable = *changes.nullable;
    out.push_back(retort::ddl::alter_column_nullable(t, c));
  }
  if (changes.comment) {
    c.comment = *changes.comment;
    out.push_back(retort::ddl::comment_on_column(t, c));
  }
  if (changes.new_name) out.push_back(retort::ddl::rename_column(t, column, *changes.new_name));
  return out;
}

// The alter_column operation that takes `before` to the column with `changes` applied.
Operation sqlite_alter(const std::string& table, const schema::Column& before,
                       const ColumnChanges& changes) {
  Operation op;
  op.kind = OpKind::alter_column;
  op.table = table;
  op.old_column = before;
  op.column = before;
  if (changes.drop_server_default) op.column.server_default.reset();
  if (changes.type) op.column.type = *changes.type;
  if (changes.server_default) op.column.server_default = changes.server_default;
  if (changes.nullable) op.column.nullable = *changes.nullable;
  op.changes.type = op.column.type != before.type;
  op.changes.nullable = op.column.nullable != before.nullable;
  op.changes.server_default = op.column.server_default != before.server_default;
  return op;
}

}  // namespace

schema::Table table_named(std::string_view table) {
  schema::Table t;
  t.name = std::string(table);
  return t;
}

schema::MetaData& load_batch_state(OperationsContext& context, PendingBatch& batch,
                                   const std::source_location& where) {
  if (batch.before) return batch.state;
  if (batch.copy_from) {
    schema::MetaData before;
    before.tables.push_back(*batch.copy_from);
    before.enums = context.declared_enums.enums;
    batch.before = std::move(before);
  } else {
    batch.before = reflect_schema(
        context,
        fmt::format("batch_alter_table(\"{}\") reading the table (BatchOptions::copy_from "
                    "renders offline)",
                    batch.table),
        where);
  }
  batch.state = *batch.before;
  for (const Operation& queued : batch.operations) autogenerate::apply(batch.state, queued);
  return batch.state;
}

void perform(OperationsContext& context, const Operation& op, const std::source_location& where,
             std::string_view what) {
  if (context.dialect == Dialect::postgresql) {
    run_all(context, ddl::postgresql_statements(op, context.declared_enums), where);
    return;
  }
  const bool rebuilds = ddl::sqlite_needs_rebuild(op, {});
  if (context.batch != nullptr && context.batch->table == op.table) {
    PendingBatch& batch = *context.batch;
    if (rebuilds) load_batch_state(context, batch, where);
    if (batch.before) autogenerate::apply(batch.state, op);
    batch.operations.push_back(op);
    return;
  }
  if (!rebuilds) {
    run_all(context, ddl::sqlite_native_statements(op, sqlite_enums(context, op, where, what)),
            where);
    return;
  }
  run_sqlite(context, {op}, current_schema(context, op.table, where, what), where, op.table);
}

void perform_alter_column(OperationsContext& context, const std::string& table,
                          const std::string& column, const ColumnChanges& changes,
                          const std::source_location& where) {
  if (changes.drop_server_default && changes.server_default) {
    throw UsageError(
        fmt::format("alter_column {}.{}: drop_server_default and server_default "
                    "both given",
                    table, column));
  }
  if (context.dialect == Dialect::postgresql) {
    run_all(context, postgresql_alter(table, column, changes), where);
    return;
  }
  // SQLite keeps no comments; a rename alone is native; anything else rebuilds the table.
  if (changes.type || changes.nullable || changes.server_default || changes.drop_server_default) {
    const schema::MetaData state = current_schema(context, table, where, "alter_column");
    const schema::Column* before = require_table(state, table, "alter_column").find_column(column);
    if (before == nullptr) {
      throw UsageError(fmt::format("alter_column: table {} has no column {}", table, column));
    }
    const Operation op = sqlite_alter(table, *before, changes);
    if (context.batch != nullptr && context.batch->table == table) {
      perform(context, op, where, "alter_column");
    } else if (op.changes.any()) {
      run_sqlite(context, {op}, state, where, table);
    }
  }
  if (changes.new_name) {
    Operation rename;
    rename.kind = OpKind::rename_column;
    rename.table = table;
    rename.old_name = column;
    rename.name = *changes.new_name;
    perform(context, rename, where, "alter_column");
  }
}

void perform_drop_constraint(OperationsContext& context, const std::string& table,
                             const std::string& name, const std::source_location& where) {
  if (context.dialect == Dialect::postgresql) {
    run_statement(context, retort::ddl::drop_constraint(table_named(table), name), where);
    return;
  }
  const schema::MetaData state = current_schema(context, table, where, "drop_constraint");
  const schema::Table& t = require_table(state, table, "drop_constraint");
  Operation op;
  op.table = table;
  auto named = [&](const auto& item) { return item.name == name; };
  if (auto u = std::find_if(t.unique_constraints.begin(), t.unique_constraints.end(), named);
      u != t.unique_constraints.end()) {
    op.kind = OpKind::drop_unique;
    op.unique = *u;
  } else if (auto f = std::find_if(t.foreign_keys.begin(), t.foreign_keys.end(), named);
             f != t.foreign_keys.end()) {
    op.kind = OpKind::drop_foreign_key;
    op.foreign_key = *f;
  } else if (auto c = std::find_if(t.check_constraints.begin(), t.check_constraints.end(), named);
             c != t.check_constraints.end()) {
    op.kind = OpKind::drop_check;
    op.check = *c;
  } else {
    throw UsageError(fmt::format(
        "drop_constraint: table {} has no constraint named {} (SQLite keeps the names of "
        "constraints declared as CONSTRAINT name)",
        table, name));
  }
  if (context.batch != nullptr && context.batch->table == table) {
    perform(context, op, where, "drop_constraint");
  } else {
    run_sqlite(context, {op}, state, where, table);
  }
}

void flush_batch(OperationsContext& context, PendingBatch& batch,
                 const std::source_location& where) {
  if (batch.operations.empty()) return;
  if (batch.before) {
    run_sqlite(context, batch.operations, *batch.before, where, batch.table);
    return;
  }
  for (const Operation& op : batch.operations) {
    run_all(
        context,
        ddl::sqlite_native_statements(op, sqlite_enums(context, op, where, "batch_alter_table")),
        where);
  }
}

}  // namespace retort::migrate::detail

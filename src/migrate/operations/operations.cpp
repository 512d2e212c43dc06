// retort::migrate::Operations and BatchOperations (retort/operations.hpp): each call becomes an
// autogenerate Operation (perform.cpp renders it), a statement of the user's, or a read.
#include <fmt/format.h>

#include "migrate/operations/operations_context.hpp"
#include "migrate/operations/perform.hpp"
#include "migrate/operations/sql_literals.hpp"
#include "retort/ddl.hpp"
#include "retort/operations.hpp"

namespace retort::migrate {
namespace {

using autogenerate::Operation;
using autogenerate::OpKind;

Operation operation(OpKind kind, std::string_view table) {
  Operation op;
  op.kind = kind;
  op.table = std::string(table);
  return op;
}

// Offline INSERTs carry this many rows each: long enough to be quick to replay, short enough
// for a reviewer to read.
constexpr std::size_t kRowsPerInsert = 100;

void check_row_widths(std::string_view table, const std::vector<std::string>& columns,
                      const std::vector<std::vector<Value>>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != columns.size()) {
      throw UsageError(fmt::format("bulk_insert into {}: row {} has {} values for {} columns",
                                   table, i, rows[i].size(), columns.size()));
    }
  }
}

std::string insert_statement(std::string_view table, const std::vector<std::string>& columns,
                             const std::vector<std::vector<Value>>& rows, std::size_t begin,
                             std::size_t end, Dialect dialect) {
  std::vector<std::string> names;
  for (const std::string& c : columns) names.push_back(Connection::quote_identifier(c));
  std::string sql =
      fmt::format("INSERT INTO {} ({}) VALUES", retort::ddl::qualified_name("", std::string(table)),
                  fmt::join(names, ", "));
  for (std::size_t r = begin; r < end; ++r) {
    std::vector<std::string> literals;
    for (const Value& v : rows[r]) literals.push_back(detail::value_literal(v, dialect));
    sql += fmt::format("{}\n  ({})", r == begin ? "" : ",", fmt::join(literals, ", "));
  }
  return sql;
}

}  // namespace

Operations::Operations(detail::OperationsContext& context)
    : context_(&context), inspector_(context) {}

Dialect Operations::dialect() const noexcept {
  return context_->dialect;
}

bool Operations::offline() const noexcept {
  return context_->offline();
}

const std::string& Operations::revision() const noexcept {
  return context_->revision;
}

void Operations::create_table(const schema::Table& table, std::source_location where) {
  Operation op = operation(OpKind::create_table, table.name);
  op.schema = table.schema;
  op.table_def = table;
  detail::perform(*context_, op, where, "create_table");
}

void Operations::drop_table(std::string_view table, std::source_location where) {
  detail::perform(*context_, operation(OpKind::drop_table, table), where, "drop_table");
}

void Operations::rename_table(std::string_view from, std::string_view to,
                              std::source_location where) {
  Operation op = operation(OpKind::rename_table, to);
  op.old_name = std::string(from);
  detail::perform(*context_, op, where, "rename_table");
}

void Operations::add_column(std::string_view table, const schema::Column& column,
                            std::source_location where) {
  Operation op = operation(OpKind::add_column, table);
  op.column = column;
  detail::perform(*context_, op, where, "add_column");
}

void Operations::drop_column(std::string_view table, std::string_view column,
                             std::source_location where) {
  Operation op = operation(OpKind::drop_column, table);
  op.column.name = std::string(column);
  detail::perform(*context_, op, where, "drop_column");
}

void Operations::alter_column(std::string_view table, std::string_view column,
                              const ColumnChanges& changes, std::source_location where) {
  detail::perform_alter_column(*context_, std::string(table), std::string(column), changes, where);
}

void Operations::create_index(std::string_view table, const schema::Index& index,
                              std::source_location where) {
  Operation op = operation(OpKind::create_index, table);
  op.index = index;
  detail::perform(*context_, op, where, "create_index");
}

void Operations::create_index(std::string_view table, std::string_view name,
                              const std::vector<std::string>& columns, bool unique,
                              std::source_location where) {
  schema::Index index;
  index.name = std::string(name);
  index.unique = unique;
  for (const std::string& column : columns) index.elements.push_back({.column = column});
  create_index(table, index, where);
}

void Operations::drop_index(std::string_view table, std::string_view name,
                            std::source_location where) {
  Operation op = operation(OpKind::drop_index, table);
  op.index.name = std::string(name);
  detail::perform(*context_, op, where, "drop_index");
}

void Operations::create_unique_constraint(std::string_view table,
                                          const schema::UniqueConstraint& unique,
                                          std::source_location where) {
  Operation op = operation(OpKind::add_unique, table);
  op.unique = unique;
  detail::perform(*context_, op, where, "create_unique_constraint");
}

void Operations::create_foreign_key(std::string_view table, const schema::ForeignKey& foreign_key,
                                    std::source_location where) {
  Operation op = operation(OpKind::add_foreign_key, table);
  op.foreign_key = foreign_key;
  detail::perform(*context_, op, where, "create_foreign_key");
}

void Operations::create_check_constraint(std::string_view table,
                                         const schema::CheckConstraint& check,
                                         std::source_location where) {
  Operation op = operation(OpKind::add_check, table);
  op.check = check;
  detail::perform(*context_, op, where, "create_check_constraint");
}

void Operations::drop_constraint(std::string_view table, std::string_view name,
                                 std::source_location where) {
  detail::perform_drop_constraint(*context_, std::string(table), std::string(name), where);
}

void Operations::create_enum(const schema::EnumType& type, std::source_location where) {
  std::erase_if(context_->declared_enums.enums,
                [&](const schema::EnumType& e) { return e.name == type.name; });
  context_->declared_enums.enums.push_back(type);
  if (context_->dialect != Dialect::postgresql) return;  // SQLite: the values go into CHECKs
  Operation op = operation(OpKind::create_enum, "");
  op.enum_type = type;
  detail::perform(*context_, op, where, "create_enum");
}

void Operations::drop_enum(std::string_view name, std::source_location where) {
  std::erase_if(context_->declared_enums.enums,
                [&](const schema::EnumType& e) { return e.name == name; });
  if (context_->dialect != Dialect::postgresql) return;
  Operation op = operation(OpKind::drop_enum, "");
  op.enum_type.name = std::string(name);
  detail::perform(*context_, op, where, "drop_enum");
}

void Operations::execute(std::string_view sql, const std::vector<Value>& params,
                         std::source_location where) {
  if (offline()) {
    context_->output->push_back(
        {params.empty() ? std::string(sql) : detail::inline_parameters(sql, params, dialect()),
         false});
  } else if (params.empty()) {
    detail::run_statement(*context_, std::string(sql), where);
  } else {
    detail::run_query(*context_, sql, params, where);
  }
}

void Operations::bulk_insert(std::string_view table, const std::vector<std::string>& columns,
                             const std::vector<std::vector<Value>>& rows,
                             std::source_location where) {
  check_row_widths(table, columns, rows);
  if (rows.empty()) return;
  if (offline()) {
    for (std::size_t begin = 0; begin < rows.size(); begin += kRowsPerInsert) {
      const std::size_t end = std::min(rows.size(), begin + kRowsPerInsert);
      context_->output->push_back(
          {insert_statement(table, columns, rows, begin, end, dialect()), false});
    }
    return;
  }
  context_->current_sql = fmt::format("(bulk_insert of {} rows into {})", rows.size(), table);
  context_->current_where = where;
  std::unique_ptr<CopyWriter> writer =
      context_->connection->copy_in(QualifiedName(std::string(table)), columns);
  for (const std::vector<Value>& row : rows) writer->write_row(row);
  writer->finish();
  context_->current_sql.clear();
  context_->current_where.reset();
}

void Operations::batch_alter_table(std::string_view table,
                                   const std::function<void(BatchOperations&)>& body,
                                   const BatchOptions& options, std::source_location where) {
  if (context_->batch != nullptr) {
    throw UsageError(fmt::format("batch_alter_table(\"{}\") inside batch_alter_table(\"{}\")",
                                 table, context_->batch->table));
  }
  BatchOperations batch(*this, std::string(table));
  if (dialect() == Dialect::postgresql) {
    body(batch);  // every change is its own ALTER, run at once
    return;
  }
  detail::PendingBatch pending;
  pending.table = std::string(table);
  if (options.copy_from) {
    pending.copy_from = options.copy_from;
    if (pending.copy_from->name.empty()) pending.copy_from->name = pending.table;
    if (pending.copy_from->name != pending.table) {
      throw UsageError(fmt::format("batch_alter_table(\"{}\"): copy_from describes table {}", table,
                                   pending.copy_from->name));
    }
  }
  context_->batch = &pending;
  try {
    if (pending.copy_from) detail::load_batch_state(*context_, pending, where);
    body(batch);
  } catch (...) {
    context_->batch = nullptr;
    throw;
  }
  context_->batch = nullptr;
  detail::flush_batch(*context_, pending, where);
}

Result Operations::query(std::string_view sql, const std::vector<Value>& params,
                         std::source_location where) {
  detail::require_online(*context_, "query()", where);
  return detail::run_query(*context_, sql, params, where);
}

Connection& Operations::connection(std::source_location where) {
  detail::require_online(*context_, "connection()", where);
  return *context_->connection;
}

void BatchOperations::add_column(const schema::Column& column, std::source_location where) {
  operations_->add_column(table_, column, where);
}

void BatchOperations::drop_column(std::string_view column, std::source_location where) {
  operations_->drop_column(table_, column, where);
}

void BatchOperations::alter_column(std::string_view column, const ColumnChanges& changes,
                                   std::source_location where) {
  operations_->alter_column(table_, column, changes, where);
}

void BatchOperations::create_index(const schema::Index& index, std::source_location where) {
  operations_->create_index(table_, index, where);
}

void BatchOperations::create_index(std::string_view name, const std::vector<std::string>& columns,
                                   bool unique, std::source_location where) {
  operations_->create_index(table_, name, columns, unique, where);
}

void BatchOperations::drop_index(std::string_view name, std::source_location where) {
  operations_->drop_index(table_, name, where);
}

void BatchOperations::create_unique_constraint(const schema::UniqueConstraint& unique,
                                               std::source_location where) {
  operations_->create_unique_constraint(table_, unique, where);
}

void BatchOperations::create_foreign_key(const schema::ForeignKey& foreign_key,
                                         std::source_location where) {
  operations_->create_foreign_key(table_, foreign_key, where);
}

void BatchOperations::create_check_constraint(const schema::CheckConstraint& check,
                                              std::source_location where) {
  operations_->create_check_constraint(table_, check, where);
}

void BatchOperations::drop_constraint(std::string_view name, std::source_location where) {
  operations_->drop_constraint(table_, name, where);
}

}  // namespace retort::migrate

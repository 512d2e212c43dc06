// retort::migrate::Inspector (retort/operations.hpp): reflection of the migration's connection,
// limited to the table asked about.
#include <fmt/format.h>

#include <algorithm>

#include "migrate/operations/operations_context.hpp"
#include "retort/inspect.hpp"
#include "retort/operations.hpp"

namespace retort::migrate {
namespace {

template <class T>
bool has_named(const std::vector<T>& items, std::string_view name) {
  return std::any_of(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
}

std::optional<schema::Table> take_table(schema::MetaData metadata, std::string_view table) {
  for (schema::Table& t : metadata.tables) {
    if (t.name == table) return std::move(t);
  }
  return std::nullopt;
}

}  // namespace

schema::MetaData Inspector::read(std::string_view table, const std::source_location& where,
                                 std::string_view what) {
  const std::string call = fmt::format("inspector().{}", what);
  detail::require_online(*context_, call, where);
  schema::ReflectOptions options;
  if (!table.empty()) {
    options.include_name = [wanted = std::string(table)](std::string_view kind,
                                                         std::string_view name) {
      return kind != "table" || name == wanted;
    };
  }
  context_->current_sql = fmt::format("(reading the schema for {})", call);
  context_->current_where = where;
  schema::MetaData metadata = schema::reflect(*context_->connection, options);
  context_->current_sql.clear();
  context_->current_where.reset();
  return metadata;
}

std::vector<std::string> Inspector::get_table_names(std::source_location where) {
  std::vector<std::string> names;
  for (const schema::Table& t : read("", where, "get_table_names").tables) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  return names;
}

bool Inspector::has_table(std::string_view table, std::source_location where) {
  return read(table, where, "has_table").find_table(table) != nullptr;
}

std::optional<schema::Table> Inspector::get_table(std::string_view table,
                                                  std::source_location where) {
  return take_table(read(table, where, "get_table"), table);
}

bool Inspector::has_column(std::string_view table, std::string_view column,
                           std::source_location where) {
  const std::optional<schema::Table> t = take_table(read(table, where, "has_column"), table);
  return t && t->find_column(column) != nullptr;
}

bool Inspector::has_index(std::string_view table, std::string_view index,
                          std::source_location where) {
  const std::optional<schema::Table> t = take_table(read(table, where, "has_index"), table);
  return t && has_named(t->indexes, index);
}

bool Inspector::has_constraint(std::string_view table, std::string_view name,
                               std::source_location where) {
  const std::optional<schema::Table> t = take_table(read(table, where, "has_constraint"), table);
  return t && (has_named(t->unique_constraints, name) || has_named(t->foreign_keys, name) ||
               has_named(t->check_constraints, name));
}

std::vector<schema::Column> Inspector::get_columns(std::string_view table,
                                                   std::source_location where) {
  std::optional<schema::Table> t = take_table(read(table, where, "get_columns"), table);
  return t ? std::move(t->columns) : std::vector<schema::Column>{};
}

std::vector<schema::Index> Inspector::get_indexes(std::string_view table,
                                                  std::source_location where) {
  std::optional<schema::Table> t = take_table(read(table, where, "get_indexes"), table);
  return t ? std::move(t->indexes) : std::vector<schema::Index>{};
}

std::vector<schema::ForeignKey> Inspector::get_foreign_keys(std::string_view table,
                                                            std::source_location where) {
  std::optional<schema::Table> t = take_table(read(table, where, "get_foreign_keys"), table);
  return t ? std::move(t->foreign_keys) : std::vector<schema::ForeignKey>{};
}

std::vector<schema::UniqueConstraint> Inspector::get_unique_constraints(
    std::string_view table, std::source_location where) {
  std::optional<schema::Table> t = take_table(read(table, where, "get_unique_constraints"), table);
  return t ? std::move(t->unique_constraints) : std::vector<schema::UniqueConstraint>{};
}

std::vector<schema::CheckConstraint> Inspector::get_check_constraints(std::string_view table,
                                                                      std::source_location where) {
  std::optional<schema::Table> t = take_table(read(table, where, "get_check_constraints"), table);
  return t ? std::move(t->check_constraints) : std::vector<schema::CheckConstraint>{};
}

schema::PrimaryKey Inspector::get_pk_constraint(std::string_view table,
                                                std::source_location where) {
  std::optional<schema::Table> t = take_table(read(table, where, "get_pk_constraint"), table);
  return t ? std::move(t->primary_key) : schema::PrimaryKey{};
}

}  // namespace retort::migrate

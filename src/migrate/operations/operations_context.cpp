#include "migrate/operations/operations_context.hpp"

#include <fmt/format.h>

#include "retort/inspect.hpp"

namespace retort::migrate::detail {

std::string location_text(const std::source_location& where) {
  return fmt::format("{}:{}", where.file_name(), where.line());
}

void require_online(const OperationsContext& context, std::string_view what,
                    const std::source_location& where) {
  if (!context.offline()) return;
  throw CannotRenderOffline(fmt::format(
      "revision {} reads the database ({} at {}); it cannot be rendered offline: run it online, "
      "or render a range that leaves it out",
      context.revision, what, location_text(where)));
}

void run_statement(OperationsContext& context, const std::string& sql,
                   const std::source_location& where) {
  if (context.offline()) {
    context.output->push_back({sql, false});
    return;
  }
  context.current_sql = sql;
  context.current_where = where;
  context.connection->execute_script(sql);
  context.current_sql.clear();
  context.current_where.reset();
}

Result run_query(OperationsContext& context, std::string_view sql, const std::vector<Value>& params,
                 const std::source_location& where) {
  context.current_sql = std::string(sql);
  context.current_where = where;
  Result rows = context.connection->execute(sql, std::span<const Value>(params));
  context.current_sql.clear();
  context.current_where.reset();
  return rows;
}

void note(OperationsContext& context, const std::string& text) {
  if (context.offline()) {
    context.output->push_back({text, true});
  } else if (context.log) {
    context.log(fmt::format("revision {}: {}", context.revision, text));
  }
}

schema::MetaData reflect_schema(OperationsContext& context, std::string_view what,
                                const std::source_location& where) {
  require_online(context, what, where);
  context.current_sql = fmt::format("(reading the schema for {})", what);
  context.current_where = where;
  schema::MetaData metadata = schema::reflect(*context.connection);
  context.current_sql.clear();
  context.current_where.reset();
  for (const schema::EnumType& declared : context.declared_enums.enums) {
    if (metadata.find_enum(declared.name) == nullptr) metadata.enums.push_back(declared);
  }
  return metadata;
}

}  // namespace retort::migrate::detail

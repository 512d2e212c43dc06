// What both dialects' renderers need besides the statements themselves: an operation's table
// as a name, the inverse of a list of operations, and SQLite's triggers (recreated after a
// rebuild). Kept here so that ddl/ depends on nothing above it.
#include "migrate/ddl/render.hpp"

namespace retort::migrate::ddl {

std::vector<Operation> inverted(const std::vector<Operation>& ops) {
  std::vector<Operation> out;
  out.reserve(ops.size());
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) out.push_back(autogenerate::invert(*it));
  return out;
}

schema::Table table_ref(const Operation& op) {
  schema::Table table;
  table.name = op.table;
  table.schema = op.schema;
  return table;
}

std::vector<std::pair<std::string, std::string>> sqlite_triggers(Connection& connection) {
  std::vector<std::pair<std::string, std::string>> out;
  const Result triggers = connection.execute(
      "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL "
      "ORDER BY name");
  for (const Row row : triggers) out.emplace_back(row.get<std::string>(0), row.get<std::string>(1));
  return out;
}

}  // namespace retort::migrate::ddl

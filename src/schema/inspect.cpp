// reflect(): the filters every backend shares, and the dispatch to the dialect's reader.
#include "retort/inspect.hpp"

#include <algorithm>

#include "schema/reflect_internal.hpp"

namespace retort::schema {

const std::vector<std::string>& migration_tables() {
  static const std::vector<std::string> names{"retort_version", "retort_history", "retort_progress",
                                              "alembic_version"};
  return names;
}

namespace detail {

bool NameFilter::keep_table(std::string_view name) const {
  auto listed = [&](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  // SQLite's own bookkeeping (sqlite_sequence, sqlite_stat1) is never a user table.
  if (name.starts_with("sqlite_")) return false;
  if (!options_.include_migration_tables && listed(migration_tables())) return false;
  if (listed(options_.exclude_tables)) return false;
  return !options_.include_name || options_.include_name("table", name);
}

bool NameFilter::keep_enum(std::string_view name) const {
  return !options_.include_name || options_.include_name("enum", name);
}

}  // namespace detail

MetaData reflect(Connection& connection, const ReflectOptions& options, ReflectStats* stats) {
  detail::QueryCounter counter;
  MetaData metadata = connection.dialect() == Dialect::postgresql
                          ? detail::reflect_postgresql(connection, options, counter)
                          : detail::reflect_sqlite(connection, options, counter);
  if (stats != nullptr) {
    stats->catalog_queries = counter.queries;
    stats->round_trips = counter.round_trips;
  }
  return metadata;
}

}  // namespace retort::schema

// What the two reflection backends share: the name filter and their entry points.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "retort/inspect.hpp"

namespace retort::schema::detail {

// ReflectOptions' include/exclude rules as one predicate.
class NameFilter {
 public:
  explicit NameFilter(const ReflectOptions& options) : options_(options) {}
  bool keep_table(std::string_view name) const;
  bool keep_enum(std::string_view name) const;

 private:
  const ReflectOptions& options_;
};

// Counts what one reflect() sends, for ReflectStats.
struct QueryCounter {
  int queries = 0;
  int round_trips = 0;
};

MetaData reflect_postgresql(Connection& connection, const ReflectOptions& options,
                            QueryCounter& counter);
MetaData reflect_sqlite(Connection& connection, const ReflectOptions& options,
                        QueryCounter& counter);

// The ColumnType a SQLite declared type stands for, the inverse of ColumnType::sql(sqlite):
// every spelling ddl.cpp renders maps back to its kind (JSON to jsonb), anything else is custom
// with the declared text as its SQLite spelling.
ColumnType sqlite_declared_type(std::string_view declared);

// Sorts by name, keeping the relative order of equal (e.g. unnamed) entries: reflection's order,
// which does not depend on the order objects were created in.
template <class T>
void sort_by_name(std::vector<T>& items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const T& a, const T& b) { return a.name < b.name; });
}

}  // namespace retort::schema::detail

// Models declared as SQL ([models] schema / command in retort.toml): the SQL is loaded into a
// scratch database of the target's dialect and reflected, so that the comparison and rendering
// are the ones C++ models get.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "retort/schema.hpp"
#include "retort/settings.hpp"

namespace retort::autogenerate {

// One piece of the declared schema: a file, or a program's output.
struct SqlSource {
  std::string name;  // what errors call it: "schema/01_events.sql", "output of `cmd`"
  std::string text;
};

// Where the scratch database for a PostgreSQL target is created.
struct DevServer {
  DatabaseUrl url;     // a server where this user may CREATE DATABASE
  std::string origin;  // where the URL was set, for messages
};

// Loads `sources` in order into a scratch database of `dialect` and returns it as reflected
// (retort::schema::reflect). SQLite: an in-memory database. PostgreSQL: a database of a unique
// name created on `dev`, dropped again on every path out (even when the SQL fails). Throws
// ConfigError "NAME:LINE: ..." with the server's message for a statement that fails (LINE: where
// the statement starts), ConfigError naming dev.origin when the dev server cannot be reached or
// refuses CREATE DATABASE, and ConfigError when `dialect` is PostgreSQL and `dev` is nullopt.
schema::MetaData reflect_declared_schema(const std::vector<SqlSource>& sources, Dialect dialect,
                                         const std::optional<DevServer>& dev);

}  // namespace retort::autogenerate

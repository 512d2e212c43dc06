#include "migrate/command/declared_schema.hpp"

#include <exception>
#include <random>

#include <fmt/format.h>

#include "migrate/runtime/sql_splitter.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/database.hpp"
#include "retort/error.hpp"
#include "retort/inspect.hpp"
#include "retort/migrate.hpp"

namespace retort::autogenerate {
namespace {

DatabaseOptions one_connection() {
  DatabaseOptions options;
  options.pool.max_size = 1;
  return options;
}

void load(Connection& connection, const std::vector<SqlSource>& sources, Dialect dialect) {
  const migrate::SqlDialect split_as = dialect == Dialect::postgresql
                                           ? migrate::SqlDialect::postgresql
                                           : migrate::SqlDialect::sqlite;
  for (const SqlSource& source : sources) {
    std::vector<migrate::SqlStatement> statements;
    try {
      migrate::require_plain_text(source.text, source.name, "the models' SQL");
      statements = migrate::split_sql(source.text, split_as, 1, source.name);
    } catch (const migrate::ScriptError& e) {
      throw ConfigError(std::string("the models' SQL: ") + e.what());
    }
    for (const migrate::SqlStatement& statement : statements) {
      try {
        connection.execute(statement.sql);
      } catch (const DatabaseError& e) {
        throw ConfigError(fmt::format(
            "{}:{}: the models' SQL failed in the scratch {} database: SQLSTATE {}: {}{}",
            source.name, statement.line, dialect_name(dialect), e.sqlstate(), e.server_message(),
            e.detail().empty() ? "" : " (" + e.detail() + ")"));
      }
    }
  }
}

schema::MetaData load_and_reflect(Connection& connection, const std::vector<SqlSource>& sources,
                                  Dialect dialect) {
  load(connection, sources, dialect);
  return schema::reflect(connection);
}

std::string scratch_name() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string name = "retort_models_";
  for (int i = 0; i < 12; ++i) name += "0123456789abcdef"[hex(rd)];
  return name;
}

// The dev server's session, with an error that says which setting named it.
Database connect_dev(const DevServer& dev) {
  try {
    Database db(dev.url, one_connection());
    db.connection()->execute("SELECT 1");
    return db;
  } catch (const Error& e) {
    throw ConfigError(fmt::format("{} ({}): cannot reach the development server: {}", dev.origin,
                                  dev.url.redacted(), e.what()));
  }
}

schema::MetaData on_postgresql(const std::vector<SqlSource>& sources, const DevServer& dev) {
  Database admin_db = connect_dev(dev);
  PooledConnection admin = admin_db.connection();
  const std::string name = scratch_name();
  try {
    admin->execute("CREATE DATABASE " + name);
  } catch (const DatabaseError& e) {
    throw ConfigError(fmt::format(
        "{} ({}): cannot create the scratch database for the models' SQL: SQLSTATE {}: {} (the "
        "user needs the CREATEDB privilege there)",
        dev.origin, dev.url.redacted(), e.sqlstate(), e.server_message()));
  }
  schema::MetaData reflected;
  std::exception_ptr failure;
  try {
    DatabaseUrl url = dev.url;
    url.set_param("dbname", name);
    Database scratch(url, one_connection());
    PooledConnection c = scratch.connection();
    reflected = load_and_reflect(*c, sources, Dialect::postgresql);
  } catch (...) {
    failure = std::current_exception();
  }
  // Dropped on every path: a failed load must not leave databases behind on the dev server.
  try {
    admin->execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  } catch (const DatabaseError& e) {
    if (!failure) {
      throw ConfigError(fmt::format("{} ({}): cannot drop the scratch database {}: {}", dev.origin,
                                    dev.url.redacted(), name, e.server_message()));
    }
  }
  if (failure) std::rethrow_exception(failure);
  return reflected;
}

}  // namespace

schema::MetaData reflect_declared_schema(const std::vector<SqlSource>& sources, Dialect dialect,
                                         const std::optional<DevServer>& dev) {
  if (dialect == Dialect::sqlite) {
    Database scratch(parse_database_url("sqlite://:memory:"), one_connection());
    PooledConnection c = scratch.connection();
    return load_and_reflect(*c, sources, Dialect::sqlite);
  }
  if (!dev) {
    throw ConfigError(
        "the models are declared in SQL ([models] schema or command) and the database is "
        "PostgreSQL: set dev_url in [models] to a development PostgreSQL server where retort may "
        "create a scratch database to load them into (it is dropped afterwards), e.g. dev_url = "
        "\"postgresql://dev@localhost/postgres\"");
  }
  return on_postgresql(sources, *dev);
}

}  // namespace retort::autogenerate

// The two dialects' renderers, which render.cpp assembles into revision bodies.
#pragma once

#include <string>
#include <vector>

#include "retort/autogenerate.hpp"
#include "retort/connection.hpp"

namespace retort::migrate::ddl {

// The operations these renderers take are the public values of retort/autogenerate.hpp.
using autogenerate::Diff;
using autogenerate::Operation;
using autogenerate::OpKind;
using autogenerate::RenderOptions;

// Statements of one revision for one dialect: upgrade in order, downgrade in order.
struct Statements {
  std::vector<std::string> up;
  std::vector<std::string> down;
  bool empty() const noexcept { return up.empty() && down.empty(); }
};

struct PostgresqlRendering {
  Statements enum_values;  // ADD VALUE that later operations of the diff use
  Statements main;
  Statements online;                  // CONCURRENTLY, VALIDATE, SET NOT NULL (non-transactional)
  std::vector<std::string> warnings;  // for the main revision's header
  std::vector<std::string> online_warnings;  // for the online revision's header
};
PostgresqlRendering render_postgresql(const Diff& diff, const RenderOptions& options);

struct SqliteRendering {
  Statements main;
  bool rebuilds = false;  // a move-and-copy in either direction (foreign keys must be off)
  std::vector<std::string> warnings;
};
SqliteRendering render_sqlite(const Diff& diff, const RenderOptions& options);

// Per-operation rendering, shared with C++ revisions' operations (src/migrate/operations).

// One operation's PostgreSQL statements as a plain (not online-split) revision renders them;
// `state` is the schema before it (enum types, tables using a dropped enum value).
std::vector<std::string> postgresql_statements(const Operation& op, const schema::MetaData& state);

// SQLite: does op need its table rebuilt (move-and-copy), given the schema before it? With an
// empty state, only what is decided by the operation alone (a drop_column is then native).
bool sqlite_needs_rebuild(const Operation& op, const schema::MetaData& state);

// SQLite: the native statements of an operation that needs no rebuild (ALTER TABLE, CREATE /
// DROP INDEX, CREATE / DROP TABLE); `state` supplies enum types for their CHECKs.
std::vector<std::string> sqlite_native_statements(const Operation& op,
                                                  const schema::MetaData& state);

// SQLite: the statements that take `before` through ops, native where SQLite can ALTER, one
// move-and-copy per table otherwise (what render() does for a diff's upgrade).
struct SqliteStatements {
  std::vector<std::string> statements;
  std::vector<std::string> warnings;
  bool rebuilt = false;  // a table was rebuilt: foreign-key enforcement must be off
};
SqliteStatements sqlite_statements(const std::vector<Operation>& ops,
                                   const schema::MetaData& before, const RenderOptions& options);

// SQLite: every trigger, as (table, CREATE TRIGGER ...), for recreating them after a rebuild.
std::vector<std::pair<std::string, std::string>> sqlite_triggers(Connection& connection);

// The inverses of ops, last first: the downgrade.
std::vector<Operation> inverted(const std::vector<Operation>& ops);

// A minimal Table naming op's table (what the retort::ddl:: functions need to name it).
schema::Table table_ref(const Operation& op);

}  // namespace retort::migrate::ddl

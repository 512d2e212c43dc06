// What a C++ revision's Operations act on: the migration's connection (online) or the offline
// output (`--sql`), plus what the runner needs to report a failure (the statement that failed
// and the revision line that issued it).
#pragma once

#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "retort/autogenerate.hpp"
#include "retort/connection.hpp"
#include "retort/operations.hpp"
#include "retort/schema.hpp"

namespace retort::migrate::detail {

// One line of offline output: a statement, or a comment (warnings).
struct RenderedStatement {
  std::string sql;
  bool comment = false;
};

// The changes of a batch_alter_table on SQLite, rendered together when its body returns.
struct PendingBatch {
  std::string table;
  std::optional<schema::MetaData> before;  // the schema before the batch, once something needed it
  schema::MetaData state;                  // `before` with the queued changes applied
  std::vector<autogenerate::Operation> operations;
  std::optional<schema::Table> copy_from;
};

struct OperationsContext {
  std::string revision;     // its id
  std::string declared_at;  // "file:line" of its CppRevision, for messages
  Dialect dialect = Dialect::postgresql;
  Connection* connection = nullptr;                  // online; null when rendering offline
  std::vector<RenderedStatement>* output = nullptr;  // offline
  std::function<void(std::string_view)> log;         // online: warnings become log lines
  schema::MetaData declared_enums;                   // create_enum calls of this revision
  PendingBatch* batch = nullptr;                     // SQLite batch_alter_table in progress
  bool sqlite_foreign_keys_off = true;  // the revision's: may it rebuild tables on SQLite?

  // The statement running now and the revision line that issued it: when something throws,
  // the runner names them. Cleared once the statement succeeds.
  std::string current_sql;
  std::optional<std::source_location> current_where;

  bool offline() const noexcept { return connection == nullptr; }
};

// "file:line".
std::string location_text(const std::source_location& where);

// Throws CannotRenderOffline when rendering offline: `what` (e.g. "inspector().has_table") at
// `where` needs the database.
void require_online(const OperationsContext& context, std::string_view what,
                    const std::source_location& where);

// Runs (online) or renders (offline) one statement; `where` is the revision line behind it.
void run_statement(OperationsContext& context, const std::string& sql,
                   const std::source_location& where);

// Online only: a statement with bound parameters, returning its rows.
Result run_query(OperationsContext& context, std::string_view sql, const std::vector<Value>& params,
                 const std::source_location& where);

// A warning of the rendering (a table rebuild): logged online, a comment offline.
void note(OperationsContext& context, const std::string& text);

// The connection's current schema as reflect() reads it (online only), with the enum types the
// revision declared added.
schema::MetaData reflect_schema(OperationsContext& context, std::string_view what,
                                const std::source_location& where);

}  // namespace retort::migrate::detail

// Revisions written in C++: for data migrations and conditional logic that SQL files cannot
// express. A C++ revision joins the revision graph next to the SQL files (same ids, down
// revisions, branch labels, dependencies), runs in its revision's transaction like they do, and
// renders as SQL with `upgrade --sql` as long as it reads nothing from the database.
//
//   // A data migration: new table, copy the data, drop the old table, rename.
//   retort::migrate::CppRevision copy_into_new_table{
//       .id = "5e1f0c2a9b7d",
//       .down_revisions = {"4f3c2a1b9d07"},
//       .message = "move old_table into a table with an integer key",
//       .upgrade = [](retort::migrate::Operations& op) {
//         namespace types = retort::schema::types;
//         op.create_table({.name = "new_table",
//                          .columns = {{.name = "id", .type = types::integer(), .nullable = false},
//                                      {.name = "data", .type = types::text()}},
//                          .primary_key = {.columns = {"id"}}});
//         op.execute("INSERT INTO new_table (id, data) SELECT id, old_data FROM old_table");
//         op.drop_table("old_table");
//         op.rename_table("new_table", "old_table");
//       }};
//
//   // A conditional migration: drop a table only if it exists.
//   .upgrade = [](retort::migrate::Operations& op) {
//     if (op.inspector().has_table("old_table_name")) op.drop_table("old_table_name");
//   }
//
// Pass the revisions to the migration tool (retort/cli.hpp: retort::cli::main with a Tool, or
// retort::cli::register_revision for tools built with retort_add_migrate_executable) or to the
// migrate API (MigrateOptions::revisions). See docs/cpp_migrations.md.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "retort/schema.hpp"

namespace retort::migrate {

class Operations;

namespace detail {
struct OperationsContext;  // src/migrate/operations: the connection or the offline output
}

// One revision written in C++. Designated initializers read like a revision file's header.
struct CppRevision {
  std::string id{};                           // as a file's "Revision:" (12 hex digits by habit)
  std::vector<std::string> down_revisions{};  // empty: a root; several: a merge
  std::vector<std::string> branch_labels{};
  std::vector<std::string> depends_on{};  // revision ids or branch labels
  std::string message{};
  // What the revision does; either may be empty (nothing to do in that direction).
  std::function<void(Operations&)> upgrade{};
  std::function<void(Operations&)> downgrade{};
  // false: runs outside a transaction (CREATE INDEX CONCURRENTLY); a failed run leaves what ran
  // applied and runs the whole function again next time, so write it to run twice.
  bool transactional = true;
  // On SQLite the revision runs with foreign-key enforcement off and PRAGMA foreign_key_check
  // must find nothing before it commits: a table rebuild (batch_alter_table, alter_column)
  // drops the old table, which must not cascade. false: enforcement stays on (no rebuilds).
  bool sqlite_foreign_keys_off = true;
  // The code cannot be hashed, so the checksum that `verify` compares covers the header fields
  // and this string: change it when you change what an applied revision does (verify then
  // reports it, as it reports an edited file).
  std::string version = "1";
  std::string create_date{};  // shown by `history -v` / `show`; optional
  // Where the revision is declared (its source file is its "path" in messages and history).
  std::source_location where = std::source_location::current();
};

// The revision reads the database (inspector, query, connection, or an operation that needs
// the table's current definition) while being rendered offline (`upgrade --sql`).
class CannotRenderOffline : public Error {
 public:
  using Error::Error;
};

// Read access to the database's schema from inside a C++ revision, as it is at that point of the
// revision (operations already run are visible). Backed by retort::schema::reflect
// (retort/inspect.hpp), so names and types read as reflection spells them. Offline, every call
// throws CannotRenderOffline naming the revision.
class Inspector {
 public:
  // Tables of the connection's schema, sorted; retort's version/history tables left out.
  std::vector<std::string> get_table_names(
      std::source_location where = std::source_location::current());
  bool has_table(std::string_view table,
                 std::source_location where = std::source_location::current());
  bool has_column(std::string_view table, std::string_view column,
                  std::source_location where = std::source_location::current());
  bool has_index(std::string_view table, std::string_view index,
                 std::source_location where = std::source_location::current());
  // A unique, foreign-key or check constraint named `name` on the table.
  bool has_constraint(std::string_view table, std::string_view name,
                      std::source_location where = std::source_location::current());
  // The table's whole definition; nullopt when there is no such table.
  std::optional<schema::Table> get_table(
      std::string_view table, std::source_location where = std::source_location::current());
  // Parts of get_table; empty when there is no such table.
  std::vector<schema::Column> get_columns(
      std::string_view table, std::source_location where = std::source_location::current());
  std::vector<schema::Index> get_indexes(
      std::string_view table, std::source_location where = std::source_location::current());
  std::vector<schema::ForeignKey> get_foreign_keys(
      std::string_view table, std::source_location where = std::source_location::current());
  std::vector<schema::UniqueConstraint> get_unique_constraints(
      std::string_view table, std::source_location where = std::source_location::current());
  std::vector<schema::CheckConstraint> get_check_constraints(
      std::string_view table, std::source_location where = std::source_location::current());
  schema::PrimaryKey get_pk_constraint(
      std::string_view table, std::source_location where = std::source_location::current());

 private:
  friend class Operations;
  explicit Inspector(detail::OperationsContext& context) : context_(&context) {}
  schema::MetaData read(std::string_view table, const std::source_location& where,
                        std::string_view what);
  detail::OperationsContext* context_;
};

// What alter_column changes; unset members stay as they are. Changes apply in this order:
// default dropped, type, default set, nullability, comment, and the rename last (the other
// changes name the column by its old name).
struct ColumnChanges {
  std::optional<schema::ColumnType> type{};  // PostgreSQL: USING column::type
  std::optional<bool> nullable{};
  std::optional<schema::DialectSql> server_default{};  // SET DEFAULT expression
  bool drop_server_default = false;       // DROP DEFAULT (before a type change that cannot cast it)
  std::optional<std::string> comment{};   // PostgreSQL only (SQLite has no comments)
  std::optional<std::string> new_name{};  // RENAME COLUMN
};

struct BatchOptions {
  // SQLite, offline: the table's definition before the batch (Alembic's copy_from). Online the
  // table is read from the database when this is not set.
  std::optional<schema::Table> copy_from{};
};

class BatchOperations;

// The operations a C++ revision performs. Online each one runs at once on the migration's
// connection, inside the revision's transaction; offline (`--sql`) each one renders its SQL
// into the output. Every operation renders through retort's DDL layer (retort/ddl.hpp) for the
// connection's dialect. On SQLite, what SQLite cannot ALTER (column types, nullability,
// defaults, constraints) rebuilds the table keeping every row (move-and-copy, as autogenerate
// renders it); batch_alter_table groups several such changes into one rebuild.
//
// Every function takes the caller's source location, so a failure names the line of the
// revision that issued it. Errors: what the connection throws (DatabaseError, with SQLSTATE);
// UsageError for a call that cannot work (an unknown constraint); CannotRenderOffline.
class Operations {
 public:
  explicit Operations(detail::OperationsContext& context);

  Dialect dialect() const noexcept;
  // True while rendering `--sql`: operations print SQL and nothing can be read.
  bool offline() const noexcept;
  // The revision being run, for messages.
  const std::string& revision() const noexcept;

  // Tables.
  void create_table(const schema::Table& table,
                    std::source_location where = std::source_location::current());
  void drop_table(std::string_view table,
                  std::source_location where = std::source_location::current());
  void rename_table(std::string_view from, std::string_view to,
                    std::source_location where = std::source_location::current());

  // Columns.
  void add_column(std::string_view table, const schema::Column& column,
                  std::source_location where = std::source_location::current());
  void drop_column(std::string_view table, std::string_view column,
                   std::source_location where = std::source_location::current());
  void alter_column(std::string_view table, std::string_view column, const ColumnChanges& changes,
                    std::source_location where = std::source_location::current());

  // Indexes and constraints.
  void create_index(std::string_view table, const schema::Index& index,
                    std::source_location where = std::source_location::current());
  // A b-tree index on plain columns.
  void create_index(std::string_view table, std::string_view name,
                    const std::vector<std::string>& columns, bool unique = false,
                    std::source_location where = std::source_location::current());
  void drop_index(std::string_view table, std::string_view name,
                  std::source_location where = std::source_location::current());
  void create_unique_constraint(std::string_view table, const schema::UniqueConstraint& unique,
                                std::source_location where = std::source_location::current());
  void create_foreign_key(std::string_view table, const schema::ForeignKey& foreign_key,
                          std::source_location where = std::source_location::current());
  void create_check_constraint(std::string_view table, const schema::CheckConstraint& check,
                               std::source_location where = std::source_location::current());
  // A unique, foreign-key or check constraint, by name.
  void drop_constraint(std::string_view table, std::string_view name,
                       std::source_location where = std::source_location::current());

  // Enum types: CREATE TYPE / DROP TYPE on PostgreSQL; on SQLite (where enum columns carry a
  // CHECK) create_enum only tells later create_table / add_column calls the values.
  void create_enum(const schema::EnumType& type,
                   std::source_location where = std::source_location::current());
  void drop_enum(std::string_view name,
                 std::source_location where = std::source_location::current());

  // A statement of your own, parameters bound as $1, $2, ... (never spliced into the text
  // online; offline they are rendered as SQL literals). Without parameters the text may hold
  // several statements.
  void execute(std::string_view sql, const std::vector<Value>& params = {},
               std::source_location where = std::source_location::current());
  // Rows into table(columns): COPY on PostgreSQL, one prepared INSERT on SQLite; offline,
  // INSERT statements with literal values.
  void bulk_insert(std::string_view table, const std::vector<std::string>& columns,
                   const std::vector<std::vector<Value>>& rows,
                   std::source_location where = std::source_location::current());

  // Several changes to one table. On SQLite the changes SQLite cannot ALTER become a single
  // move-and-copy of the table to its final definition (the others stay plain ALTERs); on
  // PostgreSQL each change is its ALTER statement. The body runs at once; the batch's SQL runs
  // when the body returns.
  void batch_alter_table(std::string_view table, const std::function<void(BatchOperations&)>& body,
                         const BatchOptions& options = {},
                         std::source_location where = std::source_location::current());

  // Reading the database (online only; offline these throw CannotRenderOffline).
  Inspector& inspector() noexcept { return inspector_; }
  // A query's rows (a data migration deciding what to write).
  Result query(std::string_view sql, const std::vector<Value>& params = {},
               std::source_location where = std::source_location::current());
  // The migration's connection, inside the revision's transaction: for what the operations do
  // not cover. Do not commit or roll back on it.
  Connection& connection(std::source_location where = std::source_location::current());

 private:
  friend class BatchOperations;
  detail::OperationsContext* context_;
  Inspector inspector_;
};

// The changes batch_alter_table collects for its table (see Operations for each one).
class BatchOperations {
 public:
  void add_column(const schema::Column& column,
                  std::source_location where = std::source_location::current());
  void drop_column(std::string_view column,
                   std::source_location where = std::source_location::current());
  void alter_column(std::string_view column, const ColumnChanges& changes,
                    std::source_location where = std::source_location::current());
  void create_index(const schema::Index& index,
                    std::source_location where = std::source_location::current());
  void create_index(std::string_view name, const std::vector<std::string>& columns,
                    bool unique = false,
                    std::source_location where = std::source_location::current());
  void drop_index(std::string_view name,
                  std::source_location where = std::source_location::current());
  void create_unique_constraint(const schema::UniqueConstraint& unique,
                                std::source_location where = std::source_location::current());
  void create_foreign_key(const schema::ForeignKey& foreign_key,
                          std::source_location where = std::source_location::current());
  void create_check_constraint(const schema::CheckConstraint& check,
                               std::source_location where = std::source_location::current());
  void drop_constraint(std::string_view name,
                       std::source_location where = std::source_location::current());

 private:
  friend class Operations;
  BatchOperations(Operations& operations, std::string table)
      : operations_(&operations), table_(std::move(table)) {}
  Operations* operations_;
  std::string table_{};
};

}  // namespace retort::migrate

// Autogenerate: compare the models' metadata with a live database, and turn the difference into
// a revision file (PostgreSQL and SQLite sections, upgrade and its exact inverse as downgrade).
//
//   retort::Database db = retort::Database::open(url);
//   retort::schema::MetaData models = retort::metadata<Event, Task>();
//   retort::autogenerate::Diff diff = retort::autogenerate::compare(models, db);
//   for (const auto& op : diff.operations) std::cout << retort::autogenerate::describe(op) << '\n';
//
//   retort::autogenerate::RevisionOptions options;
//   options.message = "add tasks";
//   retort::autogenerate::GeneratedRevisions files = retort::autogenerate::revision(db, models,
//   options);
//
// The comparison is pure data (compare(models, database_metadata, options)): the connection
// forms only reflect the database (retort/inspect.hpp) and, on PostgreSQL, let the server spell
// the models' defaults so that equal defaults never show up as changes. See docs/autogenerate.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "retort/database.hpp"
#include "retort/error.hpp"
#include "retort/migrate.hpp"
#include "retort/schema.hpp"

namespace retort::autogenerate {

enum class OpKind {
  create_enum,        // enum_type
  drop_enum,          // enum_type
  add_enum_value,     // enum_type (after), value
  drop_enum_value,    // enum_type (after), value
  create_table,       // table_def
  drop_table,         // table_def
  rename_table,       // old_name -> table
  add_column,         // column
  drop_column,        // column
  rename_column,      // old_name -> name
  alter_column,       // old_column -> column, changes
  set_table_comment,  // old_comment -> comment
  create_index,       // index
  drop_index,         // index
  add_unique,         // unique
  drop_unique,        // unique
  add_foreign_key,    // foreign_key
  drop_foreign_key,   // foreign_key
  add_check,          // check
  drop_check,         // check
};

// What an alter_column changes.
struct ColumnChanges {
  bool type = false;
  bool nullable = false;
  bool server_default = false;
  bool comment = false;
  bool any() const noexcept { return type || nullable || server_default || comment; }
  bool operator==(const ColumnChanges&) const = default;
};

// One schema change. Every operation carries everything its inverse needs (a dropped column its
// definition, an altered column both versions), so a downgrade is computed, never guessed.
// Which fields are set depends on `kind` (see OpKind).
struct Operation {
  OpKind kind = OpKind::create_table;
  std::string table;     // the table acted on, by its name at that point (rename_table: new name)
  std::string schema;    // the table's schema; empty: the connection's
  std::string name;      // the column / index / constraint / enum; rename_column: the new name
  std::string old_name;  // rename_table / rename_column: the previous name
  schema::Table table_def;
  schema::Column column;      // add/drop_column; alter_column: the column after
  schema::Column old_column;  // alter_column: before
  ColumnChanges changes;      // alter_column
  schema::Index index;
  schema::UniqueConstraint unique;
  schema::ForeignKey foreign_key;
  schema::CheckConstraint check;
  schema::EnumType enum_type;  // create/drop_enum; add/drop_enum_value: the type after the change
  std::vector<std::string> old_enum_values;  // add/drop_enum_value: the values before
  std::string value;                         // add/drop_enum_value
  std::string comment, old_comment;          // set_table_comment
  bool operator==(const Operation&) const = default;
};

// One line for people: "add column tasks.priority (integer NOT NULL)".
std::string describe(const Operation& op);

// The operation that undoes `op`: add <-> drop, create <-> drop, renames reversed, alters swapped.
Operation invert(const Operation& op);

// Applies `op` to `metadata` (what the database looks like afterwards). Throws UsageError when
// the operation does not fit (a missing table or column): the op list is then inconsistent.
void apply(schema::MetaData& metadata, const Operation& op);

// A drop plus an add that probably are one rename: same column type (columns of one table), or
// same columns (tables).
struct RenameHint {
  enum class Kind { table, column };
  Kind kind = Kind::column;
  std::string table;  // column hints: the table (by its new name)
  std::string from;
  std::string to;
  bool applied = false;  // rendered as RENAME (CompareOptions::renames)
};

// "column tasks.title -> tasks.name" / "table notes -> memos".
std::string describe(const RenameHint& hint);

struct CompareOptions {
  // The database's dialect: how its metadata spells types and defaults.
  Dialect dialect = Dialect::postgresql;
  // true: every probable rename becomes a RENAME; false: reported in Diff::renames only.
  bool apply_renames = false;
  // Renames to apply by name even when apply_renames is false: "table.old_column:new_column" or
  // "old_table:new_table".
  std::vector<std::string> renames;
};

// A table's size as PostgreSQL estimated it when the database was compared (pg_class.reltuples,
// pg_total_relation_size): what the warnings of a rewrite or a backfill of it quote.
struct TableSize {
  std::string table;
  std::int64_t rows = -1;  // estimated; -1: not estimated yet (the table was never analyzed)
  std::int64_t bytes = 0;  // the table with its indexes and TOAST
};

struct Diff {
  std::vector<Operation> operations;  // in dependency order: apply front to back
  std::vector<RenameHint> renames;    // probable renames found (applied ones are operations)
  std::vector<std::string> notes;     // differences not turned into operations (why, where)
  schema::MetaData before;            // the database as compared (rendering replays ops on it)
  std::size_t catalog_queries = 0;    // queries the comparison sent (reflection and probes)
  // PostgreSQL: the tables whose column types change (compare with a connection fills it).
  std::vector<TableSize> sizes;
  bool empty() const noexcept { return operations.empty(); }
};

// Compares the models with the database's metadata (as retort::schema::reflect returns it).
// Types and defaults are compared as options.dialect spells them back: SQLite's enum columns are
// TEXT, JSON columns JSON, an identity key INTEGER; literals' casts, outer parentheses, case and
// spacing do not count. Objects that do not exist on the dialect (postgresql_only indexes on
// SQLite, comments on SQLite) are not compared. Operations come in dependency order (enum types,
// renames, drops of constraints, new tables in foreign-key order, columns, indexes and
// constraints, foreign keys last; drops of tables referring ones first).
Diff compare(const schema::MetaData& models, const schema::MetaData& database,
             const CompareOptions& options = {});

// What to compare against a live database.
struct DatabaseCompareOptions {
  CompareOptions compare;  // dialect is taken from the connection
  std::string schema;      // the schema to reflect; empty: the connection's default
  std::vector<std::string> exclude_tables;  // not compared (the migration tables never are)
  // true: the models describe some of the database's tables only (retort's built-in events
  // tables in a project that declares no models of its own): tables and enum types the models do
  // not name are left out of the comparison instead of being dropped.
  bool model_tables_only = false;
};

// Reflects the database and compares. On PostgreSQL, server defaults that still differ after
// normalizing are spelled by the server itself (a temporary table in a rolled-back transaction)
// before being reported, so `now()` and `CURRENT_TIMESTAMP`-style spellings and casts never show
// up as changes. The number of queries does not grow with the number of tables.
Diff compare(const schema::MetaData& models, Connection& connection,
             const DatabaseCompareOptions& options = {});
Diff compare(const schema::MetaData& models, Database& db,
             const DatabaseCompareOptions& options = {});

struct RenderOptions {
  // PostgreSQL, safe for a live database: indexes on existing tables CREATE INDEX CONCURRENTLY
  // and unique constraints USING INDEX built that way, foreign keys and checks NOT VALID then
  // VALIDATE, SET NOT NULL through a validated CHECK; those second steps go to a second,
  // non-transactional revision. false: plain DDL in one transactional revision.
  bool online = true;
  // SQLite triggers, as (table, CREATE TRIGGER ...) pairs, recreated after a table's
  // move-and-copy. nullopt: not known (the diff came from PostgreSQL); the file then says so.
  std::optional<std::vector<std::pair<std::string, std::string>>> sqlite_triggers;
};

// One revision's content: its statements per dialect and direction, and how it must run.
struct RevisionBody {
  std::string role;  // "enum values", "main" or "online": what the revision holds
  bool transactional = true;
  bool sqlite_foreign_keys_off = false;  // SQLite move-and-copy: see docs/migrations.md
  std::vector<std::string> warnings;     // table rewrites, long locks, notes; one line each
  std::vector<std::string> upgrade_postgresql, downgrade_postgresql;
  std::vector<std::string> upgrade_sqlite, downgrade_sqlite;
  // No statement for either dialect in either direction.
  bool empty() const noexcept;
};

// The revisions a diff becomes, in the order they apply (each the down revision of the next):
// - "enum values" (non-transactional), only when new enum values are used by other operations
//   of the diff: PostgreSQL refuses a value added in the same transaction;
// - "main" (transactional): everything else, and everything SQLite does;
// - "online" (non-transactional), with RenderOptions::online on PostgreSQL: CONCURRENTLY index
//   builds, VALIDATE CONSTRAINT, SET NOT NULL; each runs in its own short transaction.
struct Rendered {
  std::vector<RevisionBody> revisions;
};

// Renders diff.operations for both dialects; downgrades are the inverses in reverse order.
// SQLite gets move-and-copy for what it cannot ALTER (one rebuild per table, every row kept).
Rendered render(const Diff& diff, const RenderOptions& options = {});

// The database is not at the head revision: comparing would report what pending revisions do.
class NotAtHead : public Error {
 public:
  NotAtHead(const std::string& message, std::vector<std::string> current,
            std::vector<std::string> heads)
      : Error(message), current_(std::move(current)), heads_(std::move(heads)) {}
  const std::vector<std::string>& current() const noexcept { return current_; }
  const std::vector<std::string>& heads() const noexcept { return heads_; }

 private:
  std::vector<std::string> current_, heads_;
};

struct RevisionOptions {
  std::string message;
  std::string head = "head";
  bool splice = false;                     // as `retort revision --splice`
  std::optional<std::string> rev_id;       // of the first revision; default: random
  std::vector<std::string> branch_labels;  // of the first revision
  std::vector<std::string> depends_on;     // of the first revision
  std::optional<std::filesystem::path> version_path;
  bool write = true;                // false: --sql preview, nothing is written
  migrate::MigrateOptions migrate;  // the environment (settings)
  DatabaseCompareOptions database;
  RenderOptions render;
};

struct GeneratedRevision {
  std::string id;
  std::filesystem::path path;
  std::string content;
};

struct GeneratedRevisions {
  Diff diff;
  std::vector<GeneratedRevision> revisions;  // none when the diff is empty; else 1 to 3
};

// `retort revision --autogenerate -m MSG`: checks that the database is at head (else NotAtHead),
// compares, renders, and writes the revision file(s) (unless options.write is false).
// An empty diff writes nothing.
GeneratedRevisions revision(Database& db, const schema::MetaData& models,
                            const RevisionOptions& options);

// `retort check`: the pending operations (empty: models and database agree). Throws NotAtHead
// when the database is not at head.
Diff check(Database& db, const schema::MetaData& models,
           const migrate::MigrateOptions& migrate = {},
           const DatabaseCompareOptions& database = {});

}  // namespace retort::autogenerate

// render(): both dialects' statements assembled into revision bodies.
#include <fmt/format.h>

#include "migrate/ddl/normalize.hpp"
#include "migrate/ddl/render.hpp"

namespace retort::autogenerate {
namespace detail {
namespace {

// SQL read from one database has only that dialect's half (reflection fills one). The other
// half, which the other dialect's section needs, is the same text with casts and spacing
// normalized, plus the few spellings that differ for the same meaning.
void complete(schema::DialectSql& sql, bool is_default) {
  if (!sql.postgresql.empty() && sql.sqlite.empty()) {
    const std::string key = migrate::ddl::normalize_sql(sql.postgresql);
    std::string lite = key == "now()" || key == "current_timestamp" ? "CURRENT_TIMESTAMP" : key;
    // SQLite takes an expression as a DEFAULT only in parentheses.
    if (is_default && lite.find('(') != std::string::npos && lite.front() != '(') {
      lite = "(" + lite + ")";
    }
    sql.sqlite = lite;
  } else if (sql.postgresql.empty() && !sql.sqlite.empty()) {
    const std::string key = migrate::ddl::normalize_sql(sql.sqlite);
    const bool clock = key == "current_timestamp" ||
                       (key.starts_with("strftime(") && key.find("'now'") != std::string::npos);
    sql.postgresql = clock ? "now()" : key;
  }
}

void complete(std::optional<schema::DialectSql>& sql, bool is_default) {
  if (sql) complete(*sql, is_default);
}

void complete(schema::Column& column) {
  complete(column.server_default, true);
  complete(column.generated, false);
  if (column.type.kind == schema::ColumnType::Kind::custom) complete(column.type.custom, false);
}

void complete(schema::Index& index) {
  complete(index.where, false);
  for (schema::IndexElement& e : index.elements) {
    if (e.column.empty()) complete(e.expression, false);
  }
  // Reflection does not say postgresql_only; SQLite has no other method than its b-tree.
  if (!index.method.empty() && index.method != "btree") index.postgresql_only = true;
}

void complete(schema::Table& table) {
  for (schema::Column& c : table.columns) complete(c);
  for (schema::Index& i : table.indexes) complete(i);
  for (schema::CheckConstraint& c : table.check_constraints) complete(c.expression, false);
}

// The diff with what came from the database spelled for both dialects; what came from the
// models is left alone (an empty half there means "not on this dialect").
Diff with_both_spellings(const Diff& diff) {
  Diff out = diff;
  for (schema::Table& t : out.before.tables) complete(t);
  for (Operation& op : out.operations) {
    switch (op.kind) {
      case OpKind::drop_table:
        complete(op.table_def);
        break;
      case OpKind::drop_column:
        complete(op.column);
        break;
      case OpKind::alter_column:
        complete(op.old_column);
        break;
      case OpKind::drop_index:
        complete(op.index);
        break;
      case OpKind::drop_check:
        complete(op.check.expression, false);
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace

}  // namespace detail

bool RevisionBody::empty() const noexcept {
  return upgrade_postgresql.empty() && downgrade_postgresql.empty() && upgrade_sqlite.empty() &&
         downgrade_sqlite.empty();
}

Rendered render(const Diff& original, const RenderOptions& options) {
  const Diff diff = detail::with_both_spellings(original);
  migrate::ddl::PostgresqlRendering pg = migrate::ddl::render_postgresql(diff, options);
  migrate::ddl::SqliteRendering lite = migrate::ddl::render_sqlite(diff, options);
  Rendered out;
  if (!pg.enum_values.empty()) {
    RevisionBody enums;
    enums.role = "enum values";
    enums.transactional = false;
    enums.warnings.push_back(
        "PostgreSQL refuses an enum value in the transaction that adds it: the values that the "
        "next revision uses are added here, each statement committing on its own");
    enums.upgrade_postgresql = std::move(pg.enum_values.up);
    enums.downgrade_postgresql = std::move(pg.enum_values.down);
    out.revisions.push_back(std::move(enums));
  }
  RevisionBody main;
  main.role = "main";
  main.sqlite_foreign_keys_off = lite.rebuilds;
  main.warnings = std::move(pg.warnings);
  for (std::string& w : lite.warnings) main.warnings.push_back(std::move(w));
  for (const std::string& note : diff.notes) main.warnings.push_back("not changed: " + note);
  main.upgrade_postgresql = std::move(pg.main.up);
  main.downgrade_postgresql = std::move(pg.main.down);
  main.upgrade_sqlite = std::move(lite.main.up);
  main.downgrade_sqlite = std::move(lite.main.down);
  const bool online = !pg.online.empty();
  if (!main.empty() || (out.revisions.empty() && !online)) out.revisions.push_back(std::move(main));
  if (online) {
    RevisionBody body;
    body.role = "online";
    body.transactional = false;
    body.warnings = std::move(pg.online_warnings);
    body.upgrade_postgresql = std::move(pg.online.up);
    body.downgrade_postgresql = std::move(pg.online.down);
    out.revisions.push_back(std::move(body));
  }
  return out;
}

}  // namespace retort::autogenerate

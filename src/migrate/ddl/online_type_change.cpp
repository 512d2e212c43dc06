// Online type changes on PostgreSQL (see online_type_change.hpp). The swap follows the usual
// practice for changing a column's type on a live table (add, sync by trigger, backfill in
// batches, swap in one short transaction), so that the only ACCESS EXCLUSIVE locks are the
// catalog changes of adding the column and of the swap.
#include "migrate/ddl/online_type_change.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "retort/ddl.hpp"

namespace retort::migrate::ddl {
namespace {

using schema::ColumnType;

std::string quote(const std::string& name) {
  return Connection::quote_identifier(name);
}

// PostgreSQL's names are at most 63 bytes.
std::string identifier(std::string name) {
  if (name.size() > 63) name.resize(63);
  return name;
}

std::string new_column(const Operation& op) {
  return identifier(op.column.name + "_retort_new");
}

std::string sync_name(const Operation& op) {
  return identifier(op.table + "_" + op.column.name + "_retort_sync");
}

std::string not_null_name(const Operation& op) {
  return identifier(op.table + "_" + op.column.name + "_not_null");
}

std::string qualified(const Operation& op, const std::string& name) {
  return retort::ddl::qualified_name(op.schema, name);
}

// The new column's value computed from the old one (`source` is how the old one is named).
std::string converted(const Operation& op, const std::string& source) {
  const std::string type = op.column.type.sql(Dialect::postgresql);
  const std::string cast = fmt::format("{}::{}", source, type);
  return swap_fills_nulls(op) ? fmt::format("COALESCE({}, 'null'::{})", cast, type) : cast;
}

bool mentions(const std::string& sql, const std::string& column) {
  return sql.find(column) != std::string::npos;
}

// Whether an index or constraint of table uses column (expressions: by a textual match, which
// errs on the side of not swapping).
bool used_by_objects(const schema::Table& table, const std::string& column) {
  for (const schema::Index& index : table.indexes) {
    for (const schema::IndexElement& e : index.elements) {
      if (e.column == column || (e.column.empty() && mentions(e.expression.postgresql, column)))
        return true;
    }
    if (mentions(index.where.postgresql, column)) return true;
  }
  const auto has = [&](const std::vector<std::string>& columns) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  for (const auto& u : table.unique_constraints)
    if (has(u.columns)) return true;
  for (const auto& fk : table.foreign_keys)
    if (has(fk.columns)) return true;
  for (const auto& c : table.check_constraints)
    if (mentions(c.expression.postgresql, column)) return true;
  return false;
}

std::string swap_statement(const Operation& op) {
  const schema::Table table = table_ref(op);
  const std::string t = qualified(op, op.table);
  std::string body = fmt::format(
      "DO $retort$\n"
      "-- One short transaction: the table is locked only for these catalog changes.\n"
      "BEGIN\n"
      "  LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE;\n"
      "  DROP TRIGGER {sync} ON {t};\n"
      "  DROP FUNCTION {fn}();\n"
      "  ALTER TABLE {t} DROP COLUMN {old};\n"
      "  ALTER TABLE {t} RENAME COLUMN {new} TO {old};\n",
      fmt::arg("t", t), fmt::arg("sync", quote(sync_name(op))),
      fmt::arg("fn", qualified(op, sync_name(op))), fmt::arg("old", quote(op.column.name)),
      fmt::arg("new", quote(new_column(op))));
  if (!op.column.nullable) {
    // The validated check proves there is no NULL: SET NOT NULL does not scan (PostgreSQL 12+).
    body += "  " + retort::ddl::alter_column_nullable(table, op.column) + ";\n";
    body += "  " + retort::ddl::drop_constraint(table, not_null_name(op)) + ";\n";
  }
  if (!op.column.comment.empty()) {
    body += "  " + retort::ddl::comment_on_column(table, op.column) + ";\n";
  }
  return body + "END\n$retort$";
}

}  // namespace

bool is_time_zone_change(const ColumnType& from, const ColumnType& to) {
  const auto zoned = [](const ColumnType& t) {
    return !t.array &&
           (t.kind == ColumnType::Kind::timestamp || t.kind == ColumnType::Kind::timestamptz);
  };
  return zoned(from) && zoned(to) && from.kind != to.kind;
}

std::string utc_for_this_transaction() {
  return "SET LOCAL timezone TO 'UTC'";
}

bool swap_fills_nulls(const Operation& op) {
  return op.changes.nullable && !op.column.nullable && op.old_column.nullable;
}

bool swappable_type_change(const Operation& op, const schema::Table* before) {
  if (op.kind != OpKind::alter_column || !op.changes.type || before == nullptr) return false;
  const ColumnType& from = op.old_column.type;
  const ColumnType& to = op.column.type;
  if (from.array || to.array || from.kind != ColumnType::Kind::json ||
      to.kind != ColumnType::Kind::jsonb) {
    return false;
  }
  const std::vector<std::string>& key = before->primary_key.columns;
  if (key.size() != 1 || key.front() == op.column.name) return false;
  for (const schema::Column* c : {&op.old_column, &op.column}) {
    if (c->server_default || c->generated || c->identity) return false;
  }
  return !used_by_objects(*before, op.old_column.name);
}

TypeSwap type_swap(const Operation& op, const std::vector<std::string>& downgrade_in_place) {
  const schema::Table table = table_ref(op);
  const std::string t = qualified(op, op.table);
  const std::string fn = qualified(op, sync_name(op));
  schema::Column added = op.column;
  added.name = new_column(op);
  added.nullable = true;
  added.comment.clear();
  TypeSwap out;
  out.upgrade_main.push_back(retort::ddl::add_column(table, added, Dialect::postgresql));
  out.upgrade_main.push_back(
      fmt::format("CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $retort$\n"
                  "BEGIN\n"
                  "  NEW.{new} := {value};\n"
                  "  RETURN NEW;\n"
                  "END\n"
                  "$retort$",
                  fmt::arg("fn", fn), fmt::arg("new", quote(added.name)),
                  fmt::arg("value", converted(op, "NEW." + quote(op.column.name)))));
  out.upgrade_main.push_back(
      fmt::format("CREATE TRIGGER {} BEFORE INSERT OR UPDATE OF {} ON {} FOR EACH ROW EXECUTE "
                  "FUNCTION {}()",
                  quote(sync_name(op)), quote(op.column.name), t, fn));

  if (!op.column.nullable) {
    schema::CheckConstraint check;
    check.name = not_null_name(op);
    check.expression = schema::DialectSql(quote(added.name) + " IS NOT NULL");
    out.upgrade_online.push_back(retort::ddl::add_constraint(
        table, retort::ddl::constraint_definition(check, Dialect::postgresql), true));
    out.upgrade_online.push_back(retort::ddl::validate_constraint(table, check.name));
  }
  out.upgrade_online.push_back(swap_statement(op));

  out.downgrade_online = downgrade_in_place;
  out.downgrade_main = {
      fmt::format("DROP TRIGGER IF EXISTS {} ON {}", quote(sync_name(op)), t),
      fmt::format("DROP FUNCTION IF EXISTS {}()", fn),
      fmt::format("ALTER TABLE {} DROP COLUMN IF EXISTS {}", t, quote(added.name))};
  return out;
}

std::string backfill(const std::vector<const Operation*>& ops, const schema::Table& before) {
  const Operation& first = *ops.front();
  const std::string table = qualified(first, first.table);
  const std::string k = quote(before.primary_key.columns.front());
  std::string set, pending;
  for (const Operation* op : ops) {
    const std::string target = quote(new_column(*op));
    set += fmt::format("{}{} = {}", set.empty() ? "" : ", ", target,
                       converted(*op, quote(op->column.name)));
    // Rows already copied are skipped: a rerun after an interruption goes on where it stopped.
    pending += fmt::format(
        "{}{} IS NULL{}", pending.empty() ? "" : " OR ", target,
        swap_fills_nulls(*op) ? "" : fmt::format(" AND {} IS NOT NULL", quote(op->column.name)));
  }
  const std::string update = fmt::format("UPDATE {} SET {} WHERE {} >= low", table, set, k);
  pending = ops.size() > 1 ? "(" + pending + ")" : pending;
  return fmt::format(
      "DO $retort$\n"
      "-- Copies the old columns into the new ones, {batch} rows at a time in key order, each\n"
      "-- batch committed on its own (the triggers keep rows written meanwhile in step).\n"
      "DECLARE\n"
      "  low {table}.{k}%TYPE;\n"
      "  high {table}.{k}%TYPE;\n"
      "BEGIN\n"
      "  SELECT {k} INTO low FROM {table} ORDER BY {k} LIMIT 1;\n"
      "  WHILE low IS NOT NULL LOOP\n"
      "    SELECT {k} INTO high FROM {table} WHERE {k} >= low ORDER BY {k} OFFSET {batch} LIMIT "
      "1;\n"
      "    IF high IS NULL THEN\n"
      "      {update} AND {pending};\n"
      "    ELSE\n"
      "      {update} AND {k} < high AND {pending};\n"
      "    END IF;\n"
      "    COMMIT;\n"
      "    low := high;\n"
      "  END LOOP;\n"
      "END\n"
      "$retort$",
      fmt::arg("batch", kBackfillBatchRows), fmt::arg("table", table), fmt::arg("k", k),
      fmt::arg("update", update), fmt::arg("pending", pending));
}

std::string size_of(const Diff& diff, const std::string& table) {
  for (const autogenerate::TableSize& s : diff.sizes) {
    if (s.table != table) continue;
    const double mb = static_cast<double>(s.bytes) / (1024.0 * 1024.0);
    const std::string megabytes =
        mb >= 10 ? fmt::format("{:.0f} MB", mb) : fmt::format("{:.1f} MB", mb);
    if (s.rows < 0) {
      return fmt::format("rows not estimated yet (run ANALYZE {}), {}", table, megabytes);
    }
    return fmt::format("about {} rows, {}", s.rows, megabytes);
  }
  return "size not known (compared without a database)";
}

std::vector<std::string> backfill_warnings(const std::vector<const Operation*>& ops,
                                           const Diff& diff) {
  std::string columns;
  for (const Operation* op : ops) columns += (columns.empty() ? "" : ", ") + op->column.name;
  const std::string& table = ops.front()->table;
  return {fmt::format(
      "{}: {}: the backfill ({} json -> jsonb) rewrites every row once, {} rows a transaction: "
      "expect about the table's size again in WAL and in dead rows for VACUUM; the locks are "
      "short: ACCESS EXCLUSIVE only to add the columns and for each swap",
      table, size_of(diff, table), columns, kBackfillBatchRows)};
}

std::vector<std::string> type_swap_warnings(const Operation& op) {
  std::vector<std::string> out;
  if (swap_fills_nulls(op)) {
    out.push_back(fmt::format(
        "rows whose {}.{} is NULL get the JSON document null (the column becomes NOT NULL); the "
        "downgrade keeps them null",
        op.table, op.column.name));
  }
  out.push_back(fmt::format(
      "the swap drops the old column {}.{}: a view or rule using it makes the swap fail (it "
      "rolls back; the backfilled column stays, and the rerun resumes at the swap)",
      op.table, op.column.name));
  return out;
}

}  // namespace retort::migrate::ddl

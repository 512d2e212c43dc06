// PostgreSQL rendering: each operation's statements, placed in the main (transactional)
// revision or, with online rendering, split so that what takes long runs in the online
// (non-transactional) revision without holding a lock that blocks the application.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "migrate/ddl/online_type_change.hpp"
#include "migrate/ddl/render.hpp"
#include "retort/ddl.hpp"

namespace retort::migrate::ddl {
namespace {

using schema::ColumnType;
using schema::MetaData;

constexpr Dialect kPg = Dialect::postgresql;

enum class Placement {
  main,             // plain statements in the main revision
  enum_first,       // ADD VALUE in the leading "enum values" revision
  online_index,     // CREATE INDEX CONCURRENTLY in the online revision
  online_unique,    // unique index CONCURRENTLY + ADD CONSTRAINT ... USING INDEX, online
  online_validate,  // ADD CONSTRAINT ... NOT VALID in main, VALIDATE online
  online_not_null,  // CHECK (c IS NOT NULL) NOT VALID in main; VALIDATE, SET NOT NULL online
  online_swap,      // json -> jsonb: new column and trigger in main; backfill and swap online
};

// PostgreSQL's names are at most 63 bytes.
std::string identifier(std::string name) {
  if (name.size() > 63) name.resize(63);
  return name;
}

std::string joined_columns(const std::vector<std::string>& columns) {
  return fmt::format("{}", fmt::join(columns, "_"));
}

// The name PostgreSQL would give a constraint declared without one (SQLite does not keep names).
std::string constraint_name(const Operation& op) {
  switch (op.kind) {
    case OpKind::add_unique:
    case OpKind::drop_unique:
      return op.unique.name.empty()
                 ? identifier(op.table + "_" + joined_columns(op.unique.columns) + "_key")
                 : op.unique.name;
    case OpKind::add_foreign_key:
    case OpKind::drop_foreign_key:
      return op.foreign_key.name.empty()
                 ? identifier(op.table + "_" + joined_columns(op.foreign_key.columns) + "_fkey")
                 : op.foreign_key.name;
    default:
      return op.check.name.empty() ? identifier(op.table + "_check") : op.check.name;
  }
}

std::string not_null_check_name(const Operation& op) {
  return identifier(op.table + "_" + op.column.name + "_not_null");
}

bool has_default(const schema::Column& column) {
  return column.server_default && !column.server_default->postgresql.empty();
}

bool uses_enum(const schema::Column& column, const std::string& name) {
  return column.type.kind == ColumnType::Kind::enum_ && column.type.enum_name == name;
}

// Functions whose default makes ADD COLUMN write every row (a value per row).
bool is_volatile(const std::string& expression) {
  static const std::vector<std::string> functions{
      "random(",          "gen_random_uuid(", "uuid_generate_v1(", "uuid_generate_v4(",
      "clock_timestamp(", "timeofday(",       "nextval(",          "txid_current("};
  return std::any_of(functions.begin(), functions.end(),
                     [&](const std::string& f) { return expression.find(f) != std::string::npos; });
}

// varchar(n) -> varchar(m >= n), varchar -> text: PostgreSQL changes only the catalog.
bool is_safe_widening(const ColumnType& from, const ColumnType& to) {
  if (from.array != to.array || from.kind != ColumnType::Kind::varchar) return false;
  if (to.kind == ColumnType::Kind::text) return true;
  return to.kind == ColumnType::Kind::varchar && (to.length == 0 || to.length >= from.length);
}

class Renderer {
 public:
  Renderer(const Diff& diff, const RenderOptions& options) : diff_(diff), options_(options) {
    survey();
  }

  PostgresqlRendering run() {
    MetaData state = diff_.before;
    for (std::size_t k = 0; k < diff_.operations.size(); ++k) forward(k, state);
    for (std::size_t k = diff_.operations.size(); k-- > 0;) backward(k, state);
    return std::move(out_);
  }

  std::vector<std::string> plain(const Operation& op, const MetaData& state) const;

 private:
  void survey();
  Placement place(const Operation& op) const;
  bool is_foreign_key_target(const std::string& table, std::vector<std::string> columns) const;
  void forward(std::size_t k, MetaData& state);
  void backward(std::size_t k, MetaData& state);
  void warn(const Operation& op, Placement placement);
  std::vector<std::string> alter_column(const Operation& op) const;
  std::vector<std::string> recreate_enum(const Operation& op, const MetaData& state) const;
  std::vector<const Operation*> swaps_on(const std::string& table) const;

  const Diff& diff_;
  const RenderOptions& options_;
  std::unordered_set<std::string> created_tables_;
  std::unordered_set<std::string> enums_first_;
  std::vector<std::pair<std::string, std::vector<std::string>>> foreign_key_targets_;
  std::vector<Placement> placements_;
  PostgresqlRendering out_;
};

void Renderer::survey() {
  std::unordered_set<std::string> added_values;
  for (const Operation& op : diff_.operations) {
    if (op.kind == OpKind::create_table) {
      created_tables_.insert(op.table);
      for (const auto& fk : op.table_def.foreign_keys) {
        foreign_key_targets_.emplace_back(fk.referred_table, fk.referred_columns);
      }
    }
    if (op.kind == OpKind::add_foreign_key) {
      foreign_key_targets_.emplace_back(op.foreign_key.referred_table,
                                        op.foreign_key.referred_columns);
    }
    if (op.kind == OpKind::add_enum_value) added_values.insert(op.enum_type.name);
  }
  // PostgreSQL refuses a value added in the same transaction ("unsafe use of new value"):
  // when other operations may use it, the values are added by a revision of their own first.
  for (const Operation& op : diff_.operations) {
    for (const std::string& name : added_values) {
      bool uses = false;
      if (op.kind == OpKind::create_table) {
        uses = std::any_of(op.table_def.columns.begin(), op.table_def.columns.end(),
                           [&](const schema::Column& c) { return uses_enum(c, name); });
      } else if (op.kind == OpKind::add_column || op.kind == OpKind::alter_column) {
        uses = uses_enum(op.column, name);
      }
      if (uses) enums_first_.insert(name);
    }
  }
  for (const Operation& op : diff_.operations) placements_.push_back(place(op));
}

// The column swaps of one table, in diff order (their backfill is one pass).
std::vector<const Operation*> Renderer::swaps_on(const std::string& table) const {
  std::vector<const Operation*> out;
  for (std::size_t j = 0; j < diff_.operations.size(); ++j) {
    if (placements_[j] == Placement::online_swap && diff_.operations[j].table == table) {
      out.push_back(&diff_.operations[j]);
    }
  }
  return out;
}

bool Renderer::is_foreign_key_target(const std::string& table,
                                     std::vector<std::string> columns) const {
  std::sort(columns.begin(), columns.end());
  return std::any_of(foreign_key_targets_.begin(), foreign_key_targets_.end(), [&](auto target) {
    std::sort(target.second.begin(), target.second.end());
    return target.first == table && target.second == columns;
  });
}

// A check with no PostgreSQL spelling does not exist there.
bool absent_check(const Operation& op) {
  return (op.kind == OpKind::add_check || op.kind == OpKind::drop_check) &&
         op.check.expression.postgresql.empty();
}

Placement Renderer::place(const Operation& op) const {
  if (op.kind == OpKind::add_enum_value && enums_first_.contains(op.enum_type.name)) {
    return Placement::enum_first;
  }
  if (absent_check(op)) return Placement::main;
  const bool existing = !op.table.empty() && !created_tables_.contains(op.table);
  if (!options_.online || !existing) return Placement::main;
  switch (op.kind) {
    case OpKind::create_index: {
      std::vector<std::string> columns;
      for (const auto& e : op.index.elements) columns.push_back(e.column);
      // A foreign key added by this revision needs the unique index to exist already.
      const bool needed = op.index.unique && is_foreign_key_target(op.table, columns);
      return needed ? Placement::main : Placement::online_index;
    }
    case OpKind::add_unique:
      return is_foreign_key_target(op.table, op.unique.columns) ? Placement::main
                                                                : Placement::online_unique;
    case OpKind::add_foreign_key:
    case OpKind::add_check:
      return Placement::online_validate;
    case OpKind::alter_column:
      if (swappable_type_change(op, diff_.before.find_table(op.table))) {
        return Placement::online_swap;
      }
      return op.changes.nullable && !op.column.nullable ? Placement::online_not_null
                                                        : Placement::main;
    default:
      return Placement::main;
  }
}

void append(std::vector<std::string>& to, std::vector<std::string> statements) {
  for (std::string& s : statements) to.push_back(std::move(s));
}

std::string not_null_check(const Operation& op) {
  schema::CheckConstraint check;
  check.name = not_null_check_name(op);
  check.expression = schema::DialectSql(
      fmt::format("{} IS NOT NULL", Connection::quote_identifier(op.column.name)));
  return retort::ddl::constraint_definition(check, kPg);
}

// The definition of the unique constraint as an index, for CREATE UNIQUE INDEX CONCURRENTLY.
schema::Index unique_index(const Operation& op) {
  schema::Index index;
  index.name = constraint_name(op);
  index.unique = true;
  for (const std::string& c : op.unique.columns) {
    schema::IndexElement element;
    element.column = c;
    index.elements.push_back(std::move(element));
  }
  return index;
}

void Renderer::forward(std::size_t k, MetaData& state) {
  const Operation& op = diff_.operations[k];
  const schema::Table table = table_ref(op);
  const Placement placement = placements_[k];
  retort::ddl::Options online;
  online.concurrently = true;
  online.if_not_exists = true;  // a run killed after the build but before its record repeats it
  switch (placement) {
    case Placement::main:
      append(out_.main.up, plain(op, state));
      break;
    case Placement::enum_first:
      append(out_.enum_values.up, plain(op, state));
      break;
    case Placement::online_index:
      out_.online.up.push_back(retort::ddl::create_index(table, op.index, kPg, online));
      break;
    case Placement::online_unique:
      out_.online.up.push_back(retort::ddl::create_index(table, unique_index(op), kPg, online));
      out_.online.up.push_back(retort::ddl::add_unique_using_index(table, constraint_name(op)));
      break;
    case Placement::online_validate: {
      const std::string definition = op.kind == OpKind::add_check
                                         ? retort::ddl::constraint_definition(op.check, kPg)
                                         : retort::ddl::constraint_definition(op.foreign_key, kPg);
      out_.main.up.push_back(retort::ddl::add_constraint(table, definition, true));
      out_.online.up.push_back(retort::ddl::validate_constraint(table, constraint_name(op)));
      break;
    }
    case Placement::online_not_null: {
      Operation rest = op;
      rest.changes.nullable = false;
      append(out_.main.up, alter_column(rest));
      out_.main.up.push_back(retort::ddl::add_constraint(table, not_null_check(op), true));
      out_.online.up.push_back(retort::ddl::validate_constraint(table, not_null_check_name(op)));
      out_.online.up.push_back(retort::ddl::alter_column_nullable(table, op.column));
      out_.online.up.push_back(retort::ddl::drop_constraint(table, not_null_check_name(op)));
      break;
    }
    case Placement::online_swap: {
      TypeSwap swap = type_swap(op, {});
      append(out_.main.up, std::move(swap.upgrade_main));
      // The table's first swap backfills every swapped column of the table in one pass.
      const std::vector<const Operation*> together = swaps_on(op.table);
      if (together.front() == &op) {
        out_.online.up.push_back(backfill(together, *diff_.before.find_table(op.table)));
      }
      append(out_.online.up, std::move(swap.upgrade_online));
      break;
    }
  }
  warn(op, placement);
  apply(state, op);
}

// The exact inverse of forward(k), statement for statement, in the revision that forward(k)
// wrote to (downgrades run online, then main, then enum values).
void Renderer::backward(std::size_t k, MetaData& state) {
  const Operation& op = diff_.operations[k];
  const Operation inverse = invert(op);
  const schema::Table table = table_ref(op);
  switch (placements_[k]) {
    case Placement::main:
    case Placement::online_validate:  // validity has no inverse: dropping the constraint is it
      append(out_.main.down, plain(inverse, state));
      break;
    case Placement::enum_first:
      append(out_.enum_values.down, plain(inverse, state));
      break;
    case Placement::online_index:
      out_.online.down.push_back(retort::ddl::drop_index(table, op.index, kPg, true, true));
      break;
    case Placement::online_unique:
      out_.online.down.push_back(retort::ddl::drop_constraint(table, constraint_name(op), true));
      break;
    case Placement::online_not_null: {
      out_.online.down.push_back(retort::ddl::add_constraint(table, not_null_check(op), true));
      out_.online.down.push_back(retort::ddl::alter_column_nullable(table, op.old_column));
      out_.main.down.push_back(retort::ddl::drop_constraint(table, not_null_check_name(op), true));
      Operation rest = inverse;
      rest.changes.nullable = false;
      append(out_.main.down, alter_column(rest));
      break;
    }
    case Placement::online_swap: {
      // Back in place (a rewrite under the lock: the rare direction), then what main added.
      TypeSwap swap = type_swap(op, alter_column(inverse));
      append(out_.online.down, std::move(swap.downgrade_online));
      append(out_.main.down, std::move(swap.downgrade_main));
      break;
    }
  }
  apply(state, inverse);
}

void Renderer::warn(const Operation& op, Placement placement) {
  const bool existing = !created_tables_.contains(op.table);
  auto& w = out_.warnings;
  switch (op.kind) {
    case OpKind::alter_column:
      if (placement == Placement::online_swap) {
        w.push_back(fmt::format(
            "ALTER COLUMN {}.{} TYPE {} is made online: a new column kept in step by a trigger "
            "here, the backfill and the swap in the online revision",
            op.table, op.column.name, op.column.type.sql(kPg)));
        const std::vector<const Operation*> together = swaps_on(op.table);
        if (together.front() == &op)
          append(out_.online_warnings, backfill_warnings(together, diff_));
        append(out_.online_warnings, type_swap_warnings(op));
      } else if (op.changes.type && options_.online &&
                 is_time_zone_change(op.old_column.type, op.column.type)) {
        w.push_back(fmt::format(
            "ALTER COLUMN {}.{} TYPE {} runs after SET LOCAL timezone TO 'UTC': PostgreSQL 12+ "
            "then changes only the catalog (no rewrite; the values are taken as UTC), under a "
            "short ACCESS EXCLUSIVE lock; indexes on the column are rebuilt under it",
            op.table, op.column.name, op.column.type.sql(kPg)));
      } else if (op.changes.type && !is_safe_widening(op.old_column.type, op.column.type)) {
        const bool sized = std::any_of(diff_.sizes.begin(), diff_.sizes.end(),
                                       [&](const auto& s) { return s.table == op.table; });
        w.push_back(fmt::format(
            "ALTER COLUMN {}.{} TYPE {} rewrites the table and its indexes under an ACCESS "
            "EXCLUSIVE lock{}",
            op.table, op.column.name, op.column.type.sql(kPg),
            sized ? fmt::format(" ({}: {})", op.table, size_of(diff_, op.table)) : ""));
      }
      if (op.changes.nullable && !op.column.nullable && placement == Placement::main) {
        w.push_back(
            fmt::format("SET NOT NULL on {}.{} scans the table under an ACCESS EXCLUSIVE lock",
                        op.table, op.column.name));
      }
      break;
    case OpKind::add_column:
      if (!existing) break;
      if (op.column.identity ||
          (has_default(op.column) && is_volatile(op.column.server_default->postgresql))) {
        w.push_back(fmt::format(
            "ADD COLUMN {}.{} with a volatile default rewrites the table under an ACCESS EXCLUSIVE "
            "lock",
            op.table, op.column.name));
      }
      if (!op.column.nullable && !has_default(op.column) && !op.column.identity) {
        w.push_back(
            fmt::format("ADD COLUMN {}.{} NOT NULL without a default fails if the table has rows",
                        op.table, op.column.name));
      }
      break;
    case OpKind::drop_enum_value:
      w.push_back(fmt::format("removing value '{}' from enum {} rewrites every table using it",
                              op.value, op.enum_type.name));
      break;
    case OpKind::drop_table:
      w.push_back(fmt::format("DROP TABLE {} deletes its rows (the downgrade recreates it empty)",
                              op.table));
      break;
    case OpKind::drop_column:
      w.push_back(
          fmt::format("DROP COLUMN {}.{} deletes its values (the downgrade recreates it empty)",
                      op.table, op.column.name));
      break;
    case OpKind::create_index:
    case OpKind::add_unique:
    case OpKind::add_foreign_key:
    case OpKind::add_check:
      if (existing && placement == Placement::main) {
        w.push_back(
            fmt::format("{} on existing table {} holds a lock that blocks writes while it "
                        "builds or validates",
                        describe(op), op.table));
      }
      break;
    default:
      break;
  }
}

std::vector<std::string> Renderer::alter_column(const Operation& op) const {
  const schema::Table table = table_ref(op);
  std::vector<std::string> out;
  if (op.changes.type && options_.online &&
      is_time_zone_change(op.old_column.type, op.column.type)) {
    out.push_back(utc_for_this_transaction());
  }
  if (op.changes.type) {
    // A default of the old type may not cast to the new one: drop it around the change.
    if (has_default(op.old_column)) {
      schema::Column bare = op.old_column;
      bare.server_default.reset();
      out.push_back(retort::ddl::alter_column_default(table, bare));
    }
    out.push_back(retort::ddl::alter_column_type(table, op.column));
    if (has_default(op.column)) out.push_back(retort::ddl::alter_column_default(table, op.column));
  } else if (op.changes.server_default) {
    out.push_back(retort::ddl::alter_column_default(table, op.column));
  }
  if (op.changes.nullable) out.push_back(retort::ddl::alter_column_nullable(table, op.column));
  if (op.changes.comment) out.push_back(retort::ddl::comment_on_column(table, op.column));
  return out;
}

// Removing an enum value: PostgreSQL cannot, so the type is recreated without it and every
// column using it converted (a row still holding the value fails the conversion, and the
// revision rolls back).
std::vector<std::string> Renderer::recreate_enum(const Operation& op, const MetaData& state) const {
  const std::string& name = op.enum_type.name;
  const std::string old_name = identifier(name + "_retort_old");
  std::vector<std::string> out{retort::ddl::rename_enum(name, old_name),
                               retort::ddl::create_enum(op.enum_type, kPg)};
  for (const schema::Table& t : state.tables) {
    for (const schema::Column& c : t.columns) {
      if (!uses_enum(c, name)) continue;
      Operation alter;
      alter.kind = OpKind::alter_column;
      alter.table = t.name;
      alter.schema = t.schema;
      alter.old_column = c;
      alter.column = c;
      alter.changes.type = true;
      append(out, alter_column(alter));
    }
  }
  out.push_back(retort::ddl::drop_enum(old_name));
  return out;
}

std::vector<std::string> Renderer::plain(const Operation& op, const MetaData& state) const {
  const schema::Table table = table_ref(op);
  if (absent_check(op)) return {};
  switch (op.kind) {
    case OpKind::create_enum:
      return {retort::ddl::create_enum(op.enum_type, kPg)};
    case OpKind::drop_enum:
      return {retort::ddl::drop_enum(op.enum_type.name)};
    case OpKind::add_enum_value:
      return {retort::ddl::add_enum_value(op.enum_type, op.value)};
    case OpKind::drop_enum_value:
      return recreate_enum(op, state);
    case OpKind::create_table:
      return retort::ddl::create_table_statements(op.table_def, kPg, &state);
    case OpKind::drop_table:
      return {retort::ddl::drop_table(table)};
    case OpKind::rename_table:
      return {retort::ddl::rename_table(op.schema, op.old_name, op.table)};
    case OpKind::add_column: {
      std::vector<std::string> out{retort::ddl::add_column(table, op.column, kPg)};
      if (!op.column.comment.empty())
        out.push_back(retort::ddl::comment_on_column(table, op.column));
      return out;
    }
    case OpKind::drop_column:
      return {retort::ddl::drop_column(table, op.column.name)};
    case OpKind::rename_column:
      return {retort::ddl::rename_column(table, op.old_name, op.name)};
    case OpKind::alter_column:
      return alter_column(op);
    case OpKind::set_table_comment:
      return {retort::ddl::comment_on_table(table, op.comment)};
    case OpKind::create_index:
      return {retort::ddl::create_index(table, op.index, kPg)};
    case OpKind::drop_index:
      return {retort::ddl::drop_index(table, op.index, kPg)};
    case OpKind::add_unique: {
      schema::UniqueConstraint unique = op.unique;
      unique.name = constraint_name(op);
      return {retort::ddl::add_constraint(table, retort::ddl::constraint_definition(unique))};
    }
    case OpKind::add_foreign_key: {
      schema::ForeignKey fk = op.foreign_key;
      fk.name = constraint_name(op);
      return {retort::ddl::add_constraint(table, retort::ddl::constraint_definition(fk, kPg))};
    }
    case OpKind::add_check:
      return {
          retort::ddl::add_constraint(table, retort::ddl::constraint_definition(op.check, kPg))};
    case OpKind::drop_unique:
    case OpKind::drop_foreign_key:
    case OpKind::drop_check:
      return {retort::ddl::drop_constraint(table, constraint_name(op))};
  }
  return {};
}

}  // namespace

std::vector<std::string> postgresql_statements(const Operation& op, const MetaData& state) {
  const Diff none{};
  RenderOptions options;
  options.online = false;
  return Renderer(none, options).plain(op, state);
}

PostgresqlRendering render_postgresql(const Diff& diff, const RenderOptions& options) {
  PostgresqlRendering out = Renderer(diff, options).run();
  if (!out.online.empty()) {
    out.online_warnings.push_back(
        "non-transactional: each statement commits on its own and a failed run resumes at the "
        "failed statement");
    out.online_warnings.push_back(
        "a CREATE INDEX CONCURRENTLY that fails leaves an INVALID index: the next upgrade drops "
        "it and builds it again");
  }
  return out;
}

}  // namespace retort::migrate::ddl

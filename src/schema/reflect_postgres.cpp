// PostgreSQL reflection: one catalog query per object class for the whole schema (tables,
// columns, constraints, indexes, enum types), all sent in one pipeline, whatever the number of
// tables. Rows are then grouped by table oid here.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "retort/error.hpp"
#include "schema/reflect_internal.hpp"

namespace retort::schema::detail {
namespace {

// First in the pipeline: puts the reflected schema on search_path right after pg_catalog for
// the rest of the pipeline, so the server spells that schema's types, defaults and predicates
// unqualified, as models spell them (pg_catalog stays first so that no user object can shadow
// a catalog table or function). The schema's oid is kept in retort.reflect_namespace for the
// queries, the previous path in retort.reflect_search_path for kRestore. All three settings are
// transaction-local; outside a transaction the pipeline is its own transaction.
constexpr const char* kPrepare = R"(SELECT s.name AS name,
  EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = s.name) AS schema_exists,
  set_config('retort.reflect_namespace',
             COALESCE((SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = s.name), 0)::text,
             true) AS namespace,
  set_config('retort.reflect_search_path', current_setting('search_path'), true) AS saved,
  set_config('search_path', 'pg_catalog, ' || quote_ident(s.name) || ', '
             || current_setting('search_path'), true) AS search_path
FROM (SELECT COALESCE(NULLIF($1::text, ''), current_schema(), '') AS name) AS s)";

constexpr const char* kRestore =
    "SELECT set_config('search_path', current_setting('retort.reflect_search_path'), true)";

// Every query below reads the schema kPrepare named.
// partition_key: the columns of a partitioned table's key (NULL otherwise; an expression in
// the key is listed as "").
constexpr const char* kTables = R"(SELECT c.oid::bigint AS table_oid, c.relname AS name,
  COALESCE(obj_description(c.oid, 'pg_class'), '') AS comment,
  (SELECT json_agg(COALESCE(a.attname, '') ORDER BY k.i)
   FROM pg_partitioned_table pt, unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, i)
   LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
   WHERE pt.partrelid = c.oid)::text AS partition_key
FROM pg_class c
WHERE c.relnamespace = current_setting('retort.reflect_namespace')::oid
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
ORDER BY c.relname)";

// A column's type is classified by its element type (the type itself unless it is an array).
// A sequence the column owns ('a' dependency) plus a nextval default is a serial column.
constexpr const char* kColumns = R"(SELECT a.attrelid::bigint AS table_oid, a.attname AS name,
  a.attnotnull AS not_null, a.atttypmod AS typmod,
  t.typsubscript = 'array_subscript_handler'::regproc AS is_array,
  e.typname AS element, e.typtype::text AS element_kind,
  e.typnamespace = 'pg_catalog'::regnamespace AS element_builtin,
  e.typnamespace = current_setting('retort.reflect_namespace')::oid
    AS element_in_schema,
  format_type(a.atttypid, a.atttypmod) AS spelled,
  pg_get_expr(d.adbin, d.adrelid, true) AS default_expression,
  a.attidentity::text AS identity, a.attgenerated::text AS generated,
  COALESCE(col_description(a.attrelid, a.attnum), '') AS comment,
  EXISTS (SELECT 1 FROM pg_depend dep
          JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
          WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
            AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum
            AND dep.deptype = 'a') AS owns_sequence
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type e ON e.oid = CASE WHEN t.typsubscript = 'array_subscript_handler'::regproc
                               THEN t.typelem ELSE t.oid END
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = current_setting('retort.reflect_namespace')::oid
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum)";

// Column lists as JSON arrays: identifiers may hold any character, JSON quotes them all.
constexpr const char* kConstraints = R"(SELECT con.conrelid::bigint AS table_oid,
  con.conname AS name, con.contype::text AS kind,
  (SELECT json_agg(a.attname ORDER BY k.i)
   FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, i)
   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)::text AS columns,
  fc.relname AS referred_table,
  CASE WHEN fc.relnamespace = current_setting('retort.reflect_namespace')::oid THEN ''
       ELSE fn.nspname END AS referred_schema,
  (SELECT json_agg(a.attname ORDER BY k.i)
   FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, i)
   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)::text
    AS referred_columns,
  con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
  CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid, true) END AS expression
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE c.relnamespace = current_setting('retort.reflect_namespace')::oid
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.conname)";

// Indexes that back a primary key, unique or exclusion constraint are reported as constraints.
// An operator class is named only when it is not the default for its type; bit 0 of indoption
// is DESC.
constexpr const char* kIndexes = R"(SELECT i.indrelid::bigint AS table_oid, ic.relname AS name,
  i.indisunique AS is_unique, am.amname AS method,
  pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
  (SELECT json_agg(json_build_object(
     'column', COALESCE(a.attname, ''),
     'expression', CASE WHEN i.indkey[k - 1] = 0
                        THEN pg_get_indexdef(i.indexrelid, k, true) ELSE '' END,
     'operator_class', CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname END,
     'descending', (i.indoption[k - 1] & 1) = 1) ORDER BY k)
   FROM generate_series(1, i.indnkeyatts::int) AS k
   JOIN pg_opclass opc ON opc.oid = i.indclass[k - 1]
   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1])::text
    AS elements
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE c.relnamespace = current_setting('retort.reflect_namespace')::oid
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname)";

constexpr const char* kEnums = R"(SELECT t.typname AS name,
  json_agg(e.enumlabel ORDER BY e.enumsortorder)::text AS labels
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace = current_setting('retort.reflect_namespace')::oid
GROUP BY t.typname
ORDER BY t.typname)";

enum Query { prepare, tables, columns, constraints, indexes, enums, restore, query_count };

std::string text_or_empty(const Value& value) {
  return value.is_null() ? std::string() : value.as_text();
}

std::vector<std::string> json_strings(const Value& value) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  for (const auto& item : nlohmann::json::parse(value.as_text()))
    out.push_back(item.get<std::string>());
  return out;
}

// The ColumnType of a built-in element type, or nullopt when it has no kind of its own. Types
// whose modifier changes their meaning (timestamp(3)) map only without one.
std::optional<ColumnType> builtin_type(const std::string& element, int typmod) {
  static const std::map<std::string, ColumnType (*)(), std::less<>> plain{
      {"uuid", types::uuid},
      {"text", types::text},
      {"int2", types::smallint},
      {"int4", types::integer},
      {"int8", types::bigint},
      {"float4", types::real},
      {"float8", types::double_precision},
      {"bool", types::boolean},
      {"bytea", types::bytes},
      {"timestamptz", types::timestamptz},
      {"timestamp", types::timestamp},
      {"date", types::date},
      {"json", types::json},
      {"jsonb", types::jsonb}};
  if (element == "varchar") return types::varchar(typmod >= 4 ? typmod - 4 : 0);
  if (element == "numeric") {
    if (typmod < 4) return types::numeric(0, 0);
    int packed = typmod - 4;  // (precision << 16) | scale
    return types::numeric((packed >> 16) & 0xffff, packed & 0xffff);
  }
  auto found = plain.find(element);
  if (found == plain.end() || typmod != -1) return std::nullopt;
  return found->second();
}

ColumnType column_type(const Row& row) {
  std::string element = row["element"].as_text();
  int typmod = static_cast<int>(row["typmod"].as_int64());
  bool is_array = row["is_array"].as_bool();
  std::optional<ColumnType> type;
  if (row["element_builtin"].as_bool()) type = builtin_type(element, typmod);
  if (!type && row["element_kind"].as_text() == "e" && row["element_in_schema"].as_bool()) {
    type = types::enum_(element);
  }
  if (!type) {  // anything else: the server's own spelling, array brackets included
    ColumnType custom = types::custom(row["spelled"].as_text(), "");
    return custom;
  }
  type->array = is_array;
  return *type;
}

Column column_of(const Row& row) {
  Column column;
  column.name = row["name"].as_text();
  column.type = column_type(row);
  column.nullable = !row["not_null"].as_bool();
  column.comment = row["comment"].as_text();
  std::string expression = text_or_empty(row["default_expression"]);
  std::string identity = row["identity"].as_text();
  bool serial = row["owns_sequence"].as_bool() && expression.starts_with("nextval(");
  // Identity ALWAYS and BY DEFAULT, and serial columns, all read as identity: each numbers rows
  // by itself; a serial's nextval default is its mechanism, not a default a model states.
  column.identity = !identity.empty() || serial;
  if (row["generated"].as_text() == "s") {
    column.generated = DialectSql(expression, "");
  } else if (!expression.empty() && !serial) {
    column.server_default = DialectSql(expression, "");
  }
  return column;
}

ReferentialAction action_of(const std::string& code) {
  switch (code.empty() ? 'a' : code[0]) {
    case 'r':
      return ReferentialAction::restrict;
    case 'c':
      return ReferentialAction::cascade;
    case 'n':
      return ReferentialAction::set_null;
    case 'd':
      return ReferentialAction::set_default;
    default:
      return ReferentialAction::no_action;
  }
}

void add_constraint(const Row& row, Table& table) {
  std::string kind = row["kind"].as_text();
  std::string name = row["name"].as_text();
  std::vector<std::string> columns = json_strings(row["columns"]);
  if (kind == "p") {
    table.primary_key = {name, columns};
  } else if (kind == "u") {
    table.unique_constraints.push_back({name, columns});
  } else if (kind == "c") {
    table.check_constraints.push_back({name, DialectSql(row["expression"].as_text(), "")});
  } else if (kind == "f") {
    ForeignKey fk;
    fk.name = name;
    fk.columns = std::move(columns);
    fk.referred_table = row["referred_table"].as_text();
    fk.referred_schema = row["referred_schema"].as_text();
    fk.referred_columns = json_strings(row["referred_columns"]);
    fk.on_update = action_of(row["on_update"].as_text());
    fk.on_delete = action_of(row["on_delete"].as_text());
    table.foreign_keys.push_back(std::move(fk));
  }
}

Index index_of(const Row& row) {
  Index index;
  index.name = row["name"].as_text();
  index.unique = row["is_unique"].as_bool();
  std::string method = row["method"].as_text();
  if (method != "btree") index.method = method;  // "" is btree, as models say it
  std::string predicate = text_or_empty(row["predicate"]);
  if (!predicate.empty()) index.where = DialectSql(predicate, "");
  for (const auto& item : nlohmann::json::parse(row["elements"].as_text())) {
    IndexElement element;
    element.column = item["column"].get<std::string>();
    std::string expression = item["expression"].get<std::string>();
    if (!expression.empty()) element.expression = DialectSql(expression, "");
    element.operator_class = item["operator_class"].get<std::string>();
    element.descending = item["descending"].get<bool>();
    index.elements.push_back(std::move(element));
  }
  return index;
}

// Sends the queries in one pipeline, with $1 = the requested schema for kPrepare.
std::vector<Result> run_catalog_queries(Connection& connection, const std::string& schema,
                                        QueryCounter& counter) {
  std::vector<Statement> statements(query_count);
  statements[prepare] = {kPrepare, {Value(schema)}};
  statements[tables] = {kTables, {}};
  statements[columns] = {kColumns, {}};
  statements[constraints] = {kConstraints, {}};
  statements[indexes] = {kIndexes, {}};
  statements[enums] = {kEnums, {}};
  statements[restore] = {kRestore, {}};
  counter.queries += static_cast<int>(statements.size());
  counter.round_trips += 1;
  return connection.pipeline(statements);
}

}  // namespace

MetaData reflect_postgresql(Connection& connection, const ReflectOptions& options,
                            QueryCounter& counter) {
  std::vector<Result> results = run_catalog_queries(connection, options.schema, counter);
  const Row target = results[prepare].at(0);
  if (!target["schema_exists"].as_bool()) {
    std::string name = target["name"].as_text();
    if (name.empty()) {
      throw UsageError(
          "reflect: no schema given and the connection has no current schema (search_path names "
          "no schema that exists)");
    }
    throw UsageError(fmt::format("reflect: PostgreSQL schema \"{}\" does not exist", name));
  }
  NameFilter filter(options);
  MetaData metadata;
  std::map<std::int64_t, std::size_t> table_at;  // oid -> index in metadata.tables
  for (const Row& row : results[tables]) {
    std::string name = row["name"].as_text();
    if (!filter.keep_table(name)) continue;
    Table table;
    table.name = std::move(name);
    table.schema = options.schema;
    table.comment = row["comment"].as_text();
    if (!row["partition_key"].is_null()) table.partition_key = json_strings(row["partition_key"]);
    table_at[row["table_oid"].as_int64()] = metadata.tables.size();
    metadata.tables.push_back(std::move(table));
  }
  auto table_of = [&](const Row& row) -> Table* {
    auto found = table_at.find(row["table_oid"].as_int64());
    return found == table_at.end() ? nullptr : &metadata.tables[found->second];
  };
  for (const Row& row : results[columns]) {
    if (Table* table = table_of(row)) table->columns.push_back(column_of(row));
  }
  for (const Row& row : results[constraints]) {
    if (Table* table = table_of(row)) add_constraint(row, *table);
  }
  for (const Row& row : results[indexes]) {
    if (Table* table = table_of(row)) table->indexes.push_back(index_of(row));
  }
  for (const Row& row : results[enums]) {
    std::string name = row["name"].as_text();
    if (filter.keep_enum(name)) metadata.enums.push_back({name, json_strings(row["labels"])});
  }
  return metadata;  // every query sorts by name, so no sort_by_name here
}

}  // namespace retort::schema::detail

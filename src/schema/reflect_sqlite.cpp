// SQLite reflection: the PRAGMA table-valued functions (table_xinfo, foreign_key_list,
// index_list, index_xinfo) joined with sqlite_master give structure in a fixed number of
// queries; constraint names, CHECK and generated expressions, index expressions and predicates
// come from the CREATE statements sqlite_master keeps (sql_tokens.hpp).
#include <fmt/format.h>

#include <cctype>
#include <map>

#include "schema/reflect_internal.hpp"
#include "schema/sql_tokens.hpp"

namespace retort::schema::detail {
namespace {

// {schema} is the quoted schema name; $1 is the schema name for the PRAGMA functions.
constexpr const char* kObjects =
    "SELECT type, name, tbl_name, sql FROM {schema}.sqlite_master "
    "WHERE type IN ('table', 'index') ORDER BY name";
constexpr const char* kColumns =
    "SELECT m.name AS table_name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden "
    "FROM {schema}.sqlite_master AS m, pragma_table_xinfo(m.name, $1) AS p "
    "WHERE m.type = 'table' ORDER BY m.name, p.cid";
constexpr const char* kForeignKeys =
    "SELECT m.name AS table_name, p.id, p.\"table\" AS referred_table, p.\"from\" AS from_column, "
    "p.\"to\" AS to_column, p.on_update, p.on_delete "
    "FROM {schema}.sqlite_master AS m, pragma_foreign_key_list(m.name, $1) AS p "
    "WHERE m.type = 'table' ORDER BY m.name, p.id, p.seq";
constexpr const char* kIndexColumns =
    "SELECT m.name AS table_name, il.name AS index_name, il.\"unique\" AS is_unique, il.origin, "
    "il.partial, x.seqno, x.cid, x.name AS column_name, x.\"desc\" AS descending "
    "FROM {schema}.sqlite_master AS m, pragma_index_list(m.name, $1) AS il, "
    "pragma_index_xinfo(il.name, $1) AS x "
    "WHERE m.type = 'table' AND x.key = 1 ORDER BY m.name, il.name, x.seqno";

std::string upper_without_spaces(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// The integers of "(a)" or "(a,b)" after a type name; empty when the text is not that shape.
std::vector<int> type_arguments(std::string_view text) {
  std::vector<int> out;
  if (text.size() < 3 || text.front() != '(' || text.back() != ')') return {};
  int value = -1;
  for (char c : text.substr(1)) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      value = (value < 0 ? 0 : value * 10) + (c - '0');
    } else if ((c == ',' || c == ')') && value >= 0 && value < 100000) {
      out.push_back(value);
      value = -1;
    } else {
      return {};
    }
  }
  return out;
}

ReferentialAction action_of(const std::string& text) {
  if (text == "CASCADE") return ReferentialAction::cascade;
  if (text == "RESTRICT") return ReferentialAction::restrict;
  if (text == "SET NULL") return ReferentialAction::set_null;
  if (text == "SET DEFAULT") return ReferentialAction::set_default;
  return ReferentialAction::no_action;
}

std::string text_or_empty(const Value& value) {
  return value.is_null() ? std::string() : value.as_text();
}

// ddl.cpp's enum check, CONSTRAINT "<enum type>" CHECK (col IN ('a', 'b')): the values, or
// nullopt when check is not that shape.
std::optional<std::vector<std::string>> enum_values(const sql::ParsedCheck& check,
                                                    const std::string& column) {
  if (check.name.empty()) return std::nullopt;
  std::vector<sql::Token> tokens = sql::tokenize(check.expression);
  if (tokens.size() < 5 || !tokens[0].is_identifier() || tokens[0].text != column ||
      !tokens[1].is_keyword("IN") || !tokens[2].is('(') || !tokens.back().is(')')) {
    return std::nullopt;
  }
  std::vector<std::string> values;
  for (std::size_t i = 3; i + 1 < tokens.size(); i += 2) {
    bool separated = tokens[i + 1].is(i + 2 == tokens.size() ? ')' : ',');
    if (tokens[i].kind != sql::Token::Kind::string || !separated) return std::nullopt;
    values.push_back(tokens[i].text);
  }
  return values;
}

// Folds the column-level CHECKs ddl.cpp generates back into the column's type; other CHECKs
// become the table's check constraints.
void fold_column_checks(const sql::ParsedColumn& parsed, Column& column, Table& table,
                        MetaData& metadata) {
  for (const sql::ParsedCheck& check : parsed.checks) {
    if (column.type.kind == ColumnType::Kind::jsonb &&
        sql::is_json_validity_check(check, column.name))
      continue;
    std::optional<std::vector<std::string>> values;
    if (column.type.kind == ColumnType::Kind::text) values = enum_values(check, column.name);
    if (values) {
      column.type = types::enum_(check.name);
      if (metadata.find_enum(check.name) == nullptr) {
        metadata.enums.push_back({check.name, std::move(*values)});
      }
      continue;
    }
    table.check_constraints.push_back({check.name, DialectSql("", check.expression)});
  }
}

Column column_of(const Row& row, const sql::ParsedColumn* parsed) {
  Column column;
  column.name = row["name"].as_text();
  column.type = sqlite_declared_type(text_or_empty(row["type"]));
  column.nullable = row["notnull"].as_int64() == 0;
  // The statement's spelling when there is one: PRAGMA drops the parentheses of (expression).
  std::string default_expression = text_or_empty(row["dflt_value"]);
  if (parsed != nullptr && parsed->default_expression)
    default_expression = *parsed->default_expression;
  if (!default_expression.empty()) column.server_default = DialectSql("", default_expression);
  std::int64_t hidden = row["hidden"].as_int64();  // 2: virtual generated, 3: stored generated
  if ((hidden == 2 || hidden == 3) && parsed != nullptr && parsed->generated) {
    column.generated = DialectSql("", *parsed->generated);
  }
  // INTEGER PRIMARY KEY AUTOINCREMENT is ddl.cpp's identity: a 64-bit rowid, hence bigint.
  if (parsed != nullptr && parsed->autoincrement && row["pk"].as_int64() > 0) {
    column.identity = true;
    column.type = types::bigint();
  }
  return column;
}

// The name a PRIMARY KEY / UNIQUE / FOREIGN KEY over columns was declared with, table-level or
// (single column) on the column itself; empty when unnamed or not found.
std::string declared_name(const std::vector<sql::ParsedKey>& keys,
                          const std::vector<std::string>& columns, const sql::ParsedTable& parsed,
                          std::optional<std::string> sql::ParsedColumn::*column_level) {
  for (const sql::ParsedKey& key : keys) {
    if (key.columns == columns) return key.name;
  }
  if (columns.size() == 1) {
    const sql::ParsedColumn* column = parsed.find_column(columns[0]);
    if (column != nullptr && (column->*column_level).has_value()) return *(column->*column_level);
  }
  return "";
}

struct Catalog {
  Result objects, columns, foreign_keys, index_columns;
};

Catalog read_catalog(Connection& connection, const std::string& schema, QueryCounter& counter) {
  std::string quoted = Connection::quote_identifier(schema);
  auto run = [&](const char* query, bool bind_schema) {
    ++counter.queries;
    ++counter.round_trips;
    std::string sql = fmt::format(fmt::runtime(query), fmt::arg("schema", quoted));
    return bind_schema ? connection.execute(sql, {Value(schema)}) : connection.execute(sql);
  };
  return {run(kObjects, false), run(kColumns, true), run(kForeignKeys, true),
          run(kIndexColumns, true)};
}

class SqliteReader {
 public:
  SqliteReader(const ReflectOptions& options, Catalog catalog)
      : options_(options), filter_(options), catalog_(std::move(catalog)) {}

  MetaData read() {
    for (const Row& row : catalog_.objects) {
      std::string type = row["type"].as_text();
      std::string name = row["name"].as_text();
      if (type == "index") {
        index_sql_[name] = text_or_empty(row["sql"]);
      } else if (filter_.keep_table(name)) {
        table_at_[name] = metadata_.tables.size();
        parsed_.push_back(sql::parse_create_table(text_or_empty(row["sql"])));
        Table table;
        table.name = name;
        table.schema = options_.schema;
        metadata_.tables.push_back(std::move(table));
      }
    }
    read_columns();
    read_foreign_keys();
    read_indexes();
    for (Table& table : metadata_.tables) sort_constraints(table);
    sort_by_name(metadata_.enums);
    return std::move(metadata_);
  }

 private:
  // The reflected table (and its parsed CREATE TABLE) a row belongs to, or -1 when filtered out.
  std::ptrdiff_t slot(const Row& row) const {
    auto found = table_at_.find(row["table_name"].as_text());
    return found == table_at_.end() ? -1 : static_cast<std::ptrdiff_t>(found->second);
  }

  void read_columns() {
    for (const Row& row : catalog_.columns) {
      std::string table_name = row["table_name"].as_text();
      if (row["pk"].as_int64() > 0) {  // every table's key, for REFERENCES t without columns
        primary_keys_[table_name].emplace_back(row["pk"].as_int64(), row["name"].as_text());
      }
      std::ptrdiff_t at = slot(row);
      if (at < 0) continue;
      Table& table = metadata_.tables[static_cast<std::size_t>(at)];
      const sql::ParsedTable& parsed = parsed_[static_cast<std::size_t>(at)];
      const sql::ParsedColumn* parsed_column = parsed.find_column(row["name"].as_text());
      Column column = column_of(row, parsed_column);
      if (parsed_column != nullptr) fold_column_checks(*parsed_column, column, table, metadata_);
      table.columns.push_back(std::move(column));
    }
    for (auto& [table_name, columns] : primary_keys_) std::sort(columns.begin(), columns.end());
    for (std::size_t at = 0; at < metadata_.tables.size(); ++at) read_table_keys(at);
  }

  // Primary key and table-level checks of metadata_.tables[at].
  void read_table_keys(std::size_t at) {
    Table& table = metadata_.tables[at];
    const sql::ParsedTable& parsed = parsed_[at];
    for (const auto& [position, column] : primary_keys_[table.name]) {
      table.primary_key.columns.push_back(column);
    }
    std::vector<sql::ParsedKey> declared;
    if (parsed.primary_key) declared.push_back(*parsed.primary_key);
    table.primary_key.name = declared_name(declared, table.primary_key.columns, parsed,
                                           &sql::ParsedColumn::primary_key_name);
    for (const sql::ParsedCheck& check : parsed.checks) {
      table.check_constraints.push_back({check.name, DialectSql("", check.expression)});
    }
  }

  void read_foreign_keys() {
    std::map<std::pair<std::size_t, std::int64_t>, ForeignKey> keys;  // (table, id) -> key
    for (const Row& row : catalog_.foreign_keys) {
      std::ptrdiff_t at = slot(row);
      if (at < 0) continue;
      ForeignKey& fk = keys[{static_cast<std::size_t>(at), row["id"].as_int64()}];
      fk.referred_table = row["referred_table"].as_text();
      fk.on_update = action_of(row["on_update"].as_text());
      fk.on_delete = action_of(row["on_delete"].as_text());
      fk.columns.push_back(row["from_column"].as_text());
      if (!row["to_column"].is_null()) fk.referred_columns.push_back(row["to_column"].as_text());
    }
    for (auto& [where, fk] : keys) {
      if (fk.referred_columns.empty()) {  // REFERENCES t: the referred table's primary key
        for (const auto& [position, column] : primary_keys_[fk.referred_table]) {
          fk.referred_columns.push_back(column);
        }
      }
      const sql::ParsedTable& parsed = parsed_[where.first];
      fk.name = declared_name(parsed.foreign_keys, fk.columns, parsed,
                              &sql::ParsedColumn::foreign_key_name);
      metadata_.tables[where.first].foreign_keys.push_back(std::move(fk));
    }
  }

  void read_indexes() {
    std::map<std::pair<std::size_t, std::string>, Index> indexes;
    for (const Row& row : catalog_.index_columns) {
      std::ptrdiff_t at = slot(row);
      std::string origin = row["origin"].as_text();
      if (at < 0 || origin == "pk") continue;  // the primary key is reported as such
      auto table_at = static_cast<std::size_t>(at);
      std::string name = row["index_name"].as_text();
      if (origin == "u") {
        add_unique_column(table_at, name, row["column_name"].as_text());
        continue;
      }
      Index& index = indexes[{table_at, name}];
      index.name = name;
      index.unique = row["is_unique"].as_int64() != 0;
      IndexElement element;
      std::int64_t cid = row["cid"].as_int64();
      if (cid >= 0) element.column = row["column_name"].as_text();
      if (cid == -1) element.column = "rowid";
      element.descending = row["descending"].as_int64() != 0;
      index.elements.push_back(std::move(element));
    }
    for (auto& [where, index] : indexes) {
      add_index_text(index);
      metadata_.tables[where.first].indexes.push_back(std::move(index));
    }
    name_unique_constraints();
  }

  // Index expressions (cid -2) and the partial predicate, which only the CREATE INDEX text has.
  void add_index_text(Index& index) const {
    auto found = index_sql_.find(index.name);
    if (found == index_sql_.end()) return;
    sql::ParsedIndex parsed = sql::parse_create_index(found->second);
    for (std::size_t i = 0; i < index.elements.size() && i < parsed.elements.size(); ++i) {
      IndexElement& element = index.elements[i];
      if (element.column.empty())
        element.expression = DialectSql("", parsed.elements[i].expression);
    }
    if (!parsed.where.empty()) index.where = DialectSql("", parsed.where);
  }

  void add_unique_column(std::size_t table_at, const std::string& index_name,
                         const std::string& column) {
    auto& constraints = unique_indexes_[{table_at, index_name}];
    constraints.push_back(column);
  }

  void name_unique_constraints() {
    for (auto& [where, columns] : unique_indexes_) {
      const sql::ParsedTable& parsed = parsed_[where.first];
      std::string name = declared_name(parsed.unique_constraints, columns, parsed,
                                       &sql::ParsedColumn::unique_name);
      metadata_.tables[where.first].unique_constraints.push_back({name, columns});
    }
  }

  static void sort_constraints(Table& table) {
    sort_by_name(table.unique_constraints);
    sort_by_name(table.foreign_keys);
    sort_by_name(table.check_constraints);
    sort_by_name(table.indexes);
  }

  const ReflectOptions& options_;
  NameFilter filter_;
  Catalog catalog_;
  MetaData metadata_;
  std::vector<sql::ParsedTable> parsed_;          // parallel to metadata_.tables
  std::map<std::string, std::size_t> table_at_;   // name -> index in metadata_.tables
  std::map<std::string, std::string> index_sql_;  // index name -> CREATE INDEX text
  std::map<std::string, std::vector<std::pair<std::int64_t, std::string>>> primary_keys_;
  std::map<std::pair<std::size_t, std::string>, std::vector<std::string>> unique_indexes_;
};

}  // namespace

ColumnType sqlite_declared_type(std::string_view declared) {
  static const std::map<std::string, ColumnType (*)(), std::less<>> plain{
      {"UUID", types::uuid},
      {"TEXT", types::text},
      {"SMALLINT", types::smallint},
      {"INTEGER", types::integer},
      {"BIGINT", types::bigint},
      {"REAL", types::real},
      {"DOUBLE", types::double_precision},
      {"BOOLEAN", types::boolean},
      {"BLOB", types::bytes},
      {"TIMESTAMPTZ", types::timestamptz},
      {"TIMESTAMP", types::timestamp},
      {"DATE", types::date},
      {"JSON", types::jsonb}};
  std::string spelled = upper_without_spaces(declared);
  if (auto found = plain.find(spelled); found != plain.end()) return found->second();
  if (spelled == "VARCHAR") return types::varchar(0);
  if (spelled == "NUMERIC") return types::numeric(0, 0);
  if (spelled.starts_with("VARCHAR(")) {
    std::vector<int> arguments = type_arguments(std::string_view(spelled).substr(7));
    if (arguments.size() == 1 && arguments[0] > 0) return types::varchar(arguments[0]);
  }
  if (spelled.starts_with("NUMERIC(")) {
    std::vector<int> arguments = type_arguments(std::string_view(spelled).substr(7));
    if (arguments.size() == 2 && arguments[0] > 0)
      return types::numeric(arguments[0], arguments[1]);
  }
  return types::custom("", std::string(declared));
}

MetaData reflect_sqlite(Connection& connection, const ReflectOptions& options,
                        QueryCounter& counter) {
  std::string schema = options.schema.empty() ? "main" : options.schema;
  return SqliteReader(options, read_catalog(connection, schema, counter)).read();
}

}  // namespace retort::schema::detail

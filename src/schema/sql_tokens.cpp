// The SQL tokenizer and the CREATE TABLE / CREATE INDEX parsers of SQLite reflection.
#include "schema/sql_tokens.hpp"

#include <algorithm>
#include <cctype>

#include "retort/connection.hpp"

namespace retort::schema::sql {
namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Reads a quoted run starting at sql[at] (the opening quote) up to its closing quote; a doubled
// closing quote stands for itself. Returns the offset after the closing quote.
std::size_t read_quoted(std::string_view sql, std::size_t at, char close, std::string& text) {
  std::size_t i = at + 1;
  while (i < sql.size()) {
    if (sql[i] == close) {
      if (i + 1 < sql.size() && sql[i + 1] == close && close != ']') {
        text += close;
        i += 2;
        continue;
      }
      return i + 1;
    }
    text += sql[i++];
  }
  return i;
}

// Skips whitespace and comments from at; returns the next offset holding a token (or the end).
std::size_t skip_blank(std::string_view sql, std::size_t at) {
  while (at < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[at])) != 0) {
      ++at;
    } else if (sql.substr(at, 2) == "--") {
      std::size_t eol = sql.find('\n', at);
      at = eol == std::string_view::npos ? sql.size() : eol + 1;
    } else if (sql.substr(at, 2) == "/*") {
      std::size_t close = sql.find("*/", at + 2);
      at = close == std::string_view::npos ? sql.size() : close + 2;
    } else {
      break;
    }
  }
  return at;
}

using Tokens = std::vector<Token>;

// Index of the token closing the parenthesis opened at tokens[open] (or tokens.size()).
std::size_t matching_paren(const Tokens& tokens, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < tokens.size(); ++i) {
    if (tokens[i].is('(')) ++depth;
    if (tokens[i].is(')') && --depth == 0) return i;
  }
  return tokens.size();
}

// The source text from tokens[first] through tokens[last - 1] (empty when first >= last).
std::string slice(std::string_view sql, const Tokens& tokens, std::size_t first, std::size_t last) {
  if (first >= last || last > tokens.size()) return "";
  return std::string(sql.substr(tokens[first].begin, tokens[last - 1].end - tokens[first].begin));
}

// Half-open token ranges [first, last) of the comma-separated items between tokens[open] = '('
// and its matching ')'.
std::vector<std::pair<std::size_t, std::size_t>> split_items(const Tokens& tokens,
                                                             std::size_t open) {
  std::vector<std::pair<std::size_t, std::size_t>> items;
  std::size_t close = matching_paren(tokens, open);
  std::size_t start = open + 1;
  int depth = 0;
  for (std::size_t i = open + 1; i < close; ++i) {
    if (tokens[i].is('(')) ++depth;
    if (tokens[i].is(')')) --depth;
    if (depth == 0 && tokens[i].is(',')) {
      items.emplace_back(start, i);
      start = i + 1;
    }
  }
  if (start < close) items.emplace_back(start, close);
  return items;
}

// The column names listed in the parentheses opening at tokens[open].
std::vector<std::string> column_list(const Tokens& tokens, std::size_t open) {
  std::vector<std::string> names;
  for (auto [first, last] : split_items(tokens, open)) {
    if (first < last && tokens[first].is_identifier()) names.push_back(tokens[first].text);
  }
  return names;
}

// The first '(' at or after from, before limit (or limit when none).
std::size_t next_paren(const Tokens& tokens, std::size_t from, std::size_t limit) {
  for (std::size_t i = from; i < limit; ++i) {
    if (tokens[i].is('(')) return i;
  }
  return limit;
}

bool starts_table_constraint(const Token& token) {
  return token.is_keyword("CONSTRAINT") || token.is_keyword("PRIMARY") ||
         token.is_keyword("UNIQUE") || token.is_keyword("CHECK") || token.is_keyword("FOREIGN");
}

// A table-level constraint in tokens[first, last): PRIMARY KEY / UNIQUE / FOREIGN KEY / CHECK.
void parse_table_constraint(std::string_view sql, const Tokens& tokens, std::size_t first,
                            std::size_t last, ParsedTable& table) {
  std::string name;
  std::size_t i = first;
  if (tokens[i].is_keyword("CONSTRAINT") && i + 1 < last) {
    name = tokens[i + 1].text;
    i += 2;
  }
  if (i >= last) return;
  const Token& kind = tokens[i];
  std::size_t open = next_paren(tokens, i, last);
  if (open == last) return;
  if (kind.is_keyword("CHECK")) {
    table.checks.push_back({name, slice(sql, tokens, open + 1, matching_paren(tokens, open))});
  } else if (kind.is_keyword("PRIMARY")) {
    table.primary_key = ParsedKey{name, column_list(tokens, open)};
  } else if (kind.is_keyword("UNIQUE")) {
    table.unique_constraints.push_back({name, column_list(tokens, open)});
  } else if (kind.is_keyword("FOREIGN")) {
    table.foreign_keys.push_back({name, column_list(tokens, open)});
  }
}

// The last token of the DEFAULT value starting at tokens[at]: a parenthesized expression, a
// signed number, or one literal or keyword.
std::size_t default_end(const Tokens& tokens, std::size_t at, std::size_t last) {
  if (tokens[at].is('(')) return std::min(matching_paren(tokens, at), last - 1);
  if ((tokens[at].is('-') || tokens[at].is('+')) && at + 1 < last) return at + 1;
  return at;
}

// The constraints of a column definition in tokens[first, last), after its name and type.
void parse_column_constraints(std::string_view sql, const Tokens& tokens, std::size_t first,
                              std::size_t last, ParsedColumn& column) {
  std::string name;  // of the constraint being read, from CONSTRAINT name
  for (std::size_t i = first; i < last; ++i) {
    const Token& token = tokens[i];
    if (token.is_keyword("CONSTRAINT") && i + 1 < last) {
      name = tokens[++i].text;
      continue;
    }
    if (token.is('(')) {  // an argument list of DEFAULT, COLLATE ...: not a constraint
      i = matching_paren(tokens, i);
      continue;
    }
    if (token.is_keyword("CHECK") || token.is_keyword("AS")) {
      std::size_t open = next_paren(tokens, i, last);
      if (open == last) continue;
      std::size_t close = matching_paren(tokens, open);
      std::string expression = slice(sql, tokens, open + 1, close);
      if (token.is_keyword("CHECK")) {
        column.checks.push_back({name, std::move(expression)});
      } else {
        column.generated = std::move(expression);
      }
      i = close;
    } else if (token.is_keyword("DEFAULT") && i + 1 < last) {
      std::size_t value = i + 1;
      i = default_end(tokens, value, last);
      column.default_expression = slice(sql, tokens, value, i + 1);
    } else if (token.is_keyword("PRIMARY")) {
      column.primary_key_name = name;
    } else if (token.is_keyword("AUTOINCREMENT")) {
      column.autoincrement = true;
      continue;  // part of PRIMARY KEY: keeps its name
    } else if (token.is_keyword("UNIQUE")) {
      column.unique_name = name;
    } else if (token.is_keyword("REFERENCES")) {
      column.foreign_key_name = name;
    } else {
      continue;  // a keyword inside a constraint (KEY, NOT, NULL, ASC, ON DELETE ...)
    }
    name.clear();
  }
}

bool is_column_constraint_start(const Token& token) {
  for (std::string_view keyword : {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK",
                                   "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS"}) {
    if (token.is_keyword(keyword)) return true;
  }
  return false;
}

void parse_column(std::string_view sql, const Tokens& tokens, std::size_t first, std::size_t last,
                  ParsedTable& table) {
  ParsedColumn column;
  column.name = tokens[first].text;
  std::size_t i = first + 1;
  while (i < last && !is_column_constraint_start(tokens[i])) {  // the type, e.g. VARCHAR(20)
    i = tokens[i].is('(') ? matching_paren(tokens, i) + 1 : i + 1;
  }
  parse_column_constraints(sql, tokens, i, last, column);
  table.columns.push_back(std::move(column));
}

}  // namespace

bool Token::is_keyword(std::string_view keyword) const {
  return kind == Kind::word && text.size() == keyword.size() &&
         std::equal(text.begin(), text.end(), keyword.begin(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) ==
                  std::toupper(static_cast<unsigned char>(b));
         });
}

std::vector<Token> tokenize(std::string_view sql) {
  Tokens tokens;
  std::size_t at = skip_blank(sql, 0);
  while (at < sql.size()) {
    Token token;
    token.begin = at;
    char c = sql[at];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      token.kind = c == '\'' ? Token::Kind::string : Token::Kind::quoted_identifier;
      at = read_quoted(sql, at, close, token.text);
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
               (c == '.' && at + 1 < sql.size() &&
                std::isdigit(static_cast<unsigned char>(sql[at + 1])) != 0)) {
      token.kind = Token::Kind::number;
      while (at < sql.size() && (is_word_char(sql[at]) || sql[at] == '.')) token.text += sql[at++];
    } else if (is_word_char(c)) {
      while (at < sql.size() && is_word_char(sql[at])) token.text += sql[at++];
    } else {
      token.kind = Token::Kind::punctuation;
      token.text = std::string(1, c);
      ++at;
    }
    token.end = at;
    tokens.push_back(std::move(token));
    at = skip_blank(sql, at);
  }
  return tokens;
}

const ParsedColumn* ParsedTable::find_column(std::string_view name) const {
  for (const ParsedColumn& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

ParsedTable parse_create_table(std::string_view sql) {
  Tokens tokens = tokenize(sql);
  ParsedTable table;
  std::size_t open = next_paren(tokens, 0, tokens.size());
  if (open == tokens.size()) return table;  // CREATE TABLE ... AS SELECT: nothing to read
  for (auto [first, last] : split_items(tokens, open)) {
    if (first >= last) continue;
    if (starts_table_constraint(tokens[first])) {
      parse_table_constraint(sql, tokens, first, last, table);
    } else if (tokens[first].is_identifier()) {
      parse_column(sql, tokens, first, last, table);
    }
  }
  return table;
}

ParsedIndex parse_create_index(std::string_view sql) {
  Tokens tokens = tokenize(sql);
  ParsedIndex index;
  std::size_t on = 0;
  while (on < tokens.size() && !tokens[on].is_keyword("ON")) ++on;
  std::size_t open = next_paren(tokens, on, tokens.size());
  if (open == tokens.size()) return index;
  for (auto [first, last] : split_items(tokens, open)) {
    // Drop a trailing ASC/DESC and COLLATE name: PRAGMA index_xinfo reports the direction.
    if (last > first &&
        (tokens[last - 1].is_keyword("ASC") || tokens[last - 1].is_keyword("DESC"))) {
      --last;
    }
    if (last >= first + 2 && tokens[last - 2].is_keyword("COLLATE")) last -= 2;
    ParsedIndexElement element;
    bool plain_column = last == first + 1 && tokens[first].is_identifier();
    if (!plain_column) {
      bool wrapped = tokens[first].is('(') && matching_paren(tokens, first) == last - 1;
      element.expression =
          wrapped ? slice(sql, tokens, first + 1, last - 1) : slice(sql, tokens, first, last);
    }
    index.elements.push_back(std::move(element));
  }
  std::size_t close = matching_paren(tokens, open);
  if (close + 1 < tokens.size() && tokens[close + 1].is_keyword("WHERE")) {
    index.where = slice(sql, tokens, close + 2, tokens.size());
  }
  return index;
}

std::vector<std::string> normalized_tokens(std::string_view expression) {
  std::vector<std::string> out;
  for (const Token& token : tokenize(expression)) {
    switch (token.kind) {
      case Token::Kind::string:
        out.push_back("'" + token.text);
        break;
      case Token::Kind::word:
      case Token::Kind::quoted_identifier:
        out.push_back(upper(token.text));
        break;
      default:
        out.push_back(token.text);
    }
  }
  return out;
}

bool is_json_validity_check(const ParsedCheck& check, std::string_view column) {
  // The column as a quoted identifier normalizes to its exact name, however the check spells it.
  const std::string name = normalized_tokens(Connection::quote_identifier(column)).at(0);
  const std::vector<std::string> tokens = normalized_tokens(check.expression);
  return tokens == std::vector<std::string>{"JSON_VALID", "(", name, ")"} ||
         tokens == std::vector<std::string>{name, "IS", "NULL", "OR", "JSON_VALID", "(", name, ")"};
}

std::optional<std::vector<std::string>> json_checked_columns_only(
    std::string_view create_table_sql) {
  const ParsedTable table = parse_create_table(create_table_sql);
  if (!table.checks.empty()) return std::nullopt;
  std::vector<std::string> columns;
  for (const ParsedColumn& column : table.columns) {
    for (const ParsedCheck& check : column.checks) {
      if (!is_json_validity_check(check, column.name)) return std::nullopt;
      columns.push_back(column.name);
    }
  }
  return columns;
}

}  // namespace retort::schema::sql

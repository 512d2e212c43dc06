// A small SQL tokenizer and the two parsers SQLite reflection needs: the CREATE TABLE and
// CREATE INDEX statements sqlite_master keeps. SQLite's PRAGMAs give columns, keys and index
// columns but not constraint names, CHECK expressions, generated expressions, index expressions
// or partial-index predicates; those are read from the statement text here.
//
// Hand-written rather than <regex>: GCC 12 with ASan reports false -Wmaybe-uninitialized in
// <regex>, and SQL's quoting rules (four identifier quotes, '' inside strings, nested
// parentheses, comments) are easier to get right with a scanner.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::schema::sql {

struct Token {
  enum class Kind { word, quoted_identifier, string, number, punctuation };
  Kind kind = Kind::word;
  std::string text;       // identifiers unquoted, strings without quotes (doubled quotes undone)
  std::size_t begin = 0;  // offsets into the source text, for slicing expressions verbatim
  std::size_t end = 0;

  // An unquoted word equal to keyword, ignoring case.
  bool is_keyword(std::string_view keyword) const;
  bool is(char punctuation) const {
    return kind == Kind::punctuation && text.size() == 1 && text[0] == punctuation;
  }
  bool is_identifier() const { return kind == Kind::word || kind == Kind::quoted_identifier; }
};

// Splits sql into tokens, skipping whitespace and comments. Unterminated quotes or comments end
// at the end of the text (the statements come from sqlite_master, which SQLite already parsed).
std::vector<Token> tokenize(std::string_view sql);

// A CHECK constraint as written: its name (empty if unnamed) and the expression inside CHECK ( ).
struct ParsedCheck {
  std::string name;
  std::string expression;
};

// What a column definition says beyond what PRAGMA table_xinfo reports.
struct ParsedColumn {
  std::string name;
  // DEFAULT as written: a literal, a keyword (CURRENT_TIMESTAMP) or (expression) with its
  // parentheses, which PRAGMA table_xinfo drops (and SQLite requires).
  std::optional<std::string> default_expression;
  std::vector<ParsedCheck> checks;
  std::optional<std::string>
      primary_key_name;  // set (maybe empty) when the column says PRIMARY KEY
  bool autoincrement = false;
  std::optional<std::string> generated;  // the expression of GENERATED ALWAYS AS (...) / AS (...)
  std::optional<std::string> unique_name;
  std::optional<std::string> foreign_key_name;  // set when the column says REFERENCES
};

// A table-level PRIMARY KEY / UNIQUE / FOREIGN KEY clause: its name and its own columns.
struct ParsedKey {
  std::string name;
  std::vector<std::string> columns;
};

struct ParsedTable {
  std::vector<ParsedColumn> columns;
  std::optional<ParsedKey> primary_key;
  std::vector<ParsedKey> unique_constraints;
  std::vector<ParsedKey> foreign_keys;
  std::vector<ParsedCheck> checks;  // table-level

  const ParsedColumn* find_column(std::string_view name) const;
};

// Parses CREATE TABLE text (as sqlite_master stores it). Clauses it does not recognise are
// skipped, never fatal: reflection then falls back to what the PRAGMAs say.
ParsedTable parse_create_table(std::string_view sql);

struct ParsedIndexElement {
  std::string expression;  // verbatim, outer parentheses removed; empty for a plain column
};

struct ParsedIndex {
  std::vector<ParsedIndexElement> elements;
  std::string where;  // partial-index predicate, verbatim; empty when none
};

// Parses CREATE [UNIQUE] INDEX text (as sqlite_master stores it).
ParsedIndex parse_create_index(std::string_view sql);

// The tokens of an expression with identifiers unquoted and words upper-cased, for comparing
// two spellings of the same expression ("x" IS NULL vs x is null). Strings keep their case.
std::vector<std::string> normalized_tokens(std::string_view expression);

// True when check is the CHECK ddl.cpp writes for a JSON column on SQLite: json_valid(column),
// or column IS NULL OR json_valid(column) for a nullable one.
bool is_json_validity_check(const ParsedCheck& check, std::string_view column);

// The columns of a CREATE TABLE (as sqlite_master stores it) that carry a JSON validity check,
// when those checks are every CHECK constraint the table has (column-level and table-level);
// nullopt when there is any other CHECK.
std::optional<std::vector<std::string>> json_checked_columns_only(
    std::string_view create_table_sql);

}  // namespace retort::schema::sql

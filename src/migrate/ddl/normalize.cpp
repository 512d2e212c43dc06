// Comparable forms of types, expressions, indexes and constraints (see normalize.hpp).
#include "migrate/ddl/normalize.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace retort::migrate::ddl {
namespace {

enum class TokenKind { word, quoted, string, number, punct };

struct Token {
  TokenKind kind;
  std::string text;
  bool wordish() const {
    return kind == TokenKind::word || kind == TokenKind::quoted || kind == TokenKind::number;
  }
  bool is(std::string_view s) const {
    return kind == TokenKind::punct || kind == TokenKind::word ? text == s : false;
  }
};

bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) {
  return is_word_start(c) || (c >= '0' && c <= '9') || c == '$';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || !is_word_start(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Reads a quoted run ('...' or "...", the quote doubled inside) starting at i; returns its end.
std::size_t quoted_end(std::string_view s, std::size_t i) {
  const char quote = s[i];
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] != quote) continue;
    if (j + 1 < s.size() && s[j + 1] == quote) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return s.size();
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '\'' || c == '"') {
      const std::size_t end = quoted_end(s, i);
      std::string text(s.substr(i, end - i));
      if (c == '"' && text.size() >= 2 && is_plain_identifier(text.substr(1, text.size() - 2))) {
        out.push_back({TokenKind::word, text.substr(1, text.size() - 2)});
      } else {
        out.push_back({c == '"' ? TokenKind::quoted : TokenKind::string, std::move(text)});
      }
      i = end;
    } else if (is_word_start(c)) {
      std::size_t end = i;
      std::string word;
      while (end < s.size() && is_word_char(s[end])) word.push_back(lower(s[end++]));
      out.push_back({TokenKind::word, std::move(word)});
      i = end;
    } else if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      std::size_t end = i;
      while (end < s.size() && (is_digit(s[end]) || s[end] == '.' || lower(s[end]) == 'e')) ++end;
      out.push_back({TokenKind::number, std::string(s.substr(i, end - i))});
      i = end;
    } else if (c == '(' || c == ')' || c == ',' || c == '[' || c == ']' || c == '.' || c == ';') {
      out.push_back({TokenKind::punct, std::string(1, c)});
      ++i;
    } else {
      std::size_t end = i;
      while (end < s.size() &&
             std::string_view("+-*/<>=~!@#%^&|`?:").find(s[end]) != std::string_view::npos)
        ++end;
      if (end == i) ++end;
      out.push_back({TokenKind::punct, std::string(s.substr(i, end - i))});
      i = end;
    }
  }
  return out;
}

bool is_type_word(const std::string& w) {
  static const std::vector<std::string> words{"character", "varying", "double", "precision",
                                              "timestamp", "time",    "with",   "without",
                                              "zone",      "bit"};
  return std::find(words.begin(), words.end(), w) != words.end();
}

// The end of the type name that starts at i (words, a schema prefix, (n[,m]), []).
std::size_t type_end(const std::vector<Token>& t, std::size_t i) {
  if (i >= t.size() || (t[i].kind != TokenKind::word && t[i].kind != TokenKind::quoted)) return i;
  std::size_t j = i + 1;
  if (j + 1 < t.size() && t[j].is(".") &&
      (t[j + 1].kind == TokenKind::word || t[j + 1].kind == TokenKind::quoted)) {
    j += 2;
  }
  if (is_type_word(t[i].text)) {
    while (j < t.size() && t[j].kind == TokenKind::word && is_type_word(t[j].text)) ++j;
  }
  if (j < t.size() && t[j].is("(")) {
    std::size_t k = j + 1;
    while (k < t.size() && (t[k].kind == TokenKind::number || t[k].is(","))) ++k;
    if (k < t.size() && t[k].is(")")) j = k + 1;
  }
  while (j + 1 < t.size() && t[j].is("[") && t[j + 1].is("]")) j += 2;
  return j;
}

bool numeric_text(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c) || c == '.'; });
}

// Drops `::type` after literals and names (not after a parenthesized expression, whose cast may
// matter); a cast string literal holding a number becomes the number ('-1'::integer -> -1).
bool drop_casts(std::vector<Token>& t) {
  bool changed = false;
  for (std::size_t i = 1; i < t.size(); ++i) {
    if (!t[i].is("::") || t[i - 1].is(")")) continue;
    const std::size_t end = type_end(t, i + 1);
    if (end == i + 1) continue;
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(i),
            t.begin() + static_cast<std::ptrdiff_t>(end));
    Token& literal = t[i - 1];
    if (literal.kind == TokenKind::string &&
        numeric_text(literal.text.substr(1, literal.text.size() - 2))) {
      std::string number = literal.text.substr(1, literal.text.size() - 2);
      if (number.front() == '-') {
        literal = {TokenKind::number, number.substr(1)};
        t.insert(t.begin() + static_cast<std::ptrdiff_t>(i - 1), Token{TokenKind::punct, "-"});
      } else {
        literal = {TokenKind::number, number};
      }
    }
    changed = true;
    --i;
  }
  return changed;
}

std::size_t matching_paren(const std::vector<Token>& t, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < t.size(); ++i) {
    if (t[i].is("(")) ++depth;
    if (t[i].is(")") && --depth == 0) return i;
  }
  return t.size();
}

// ( x ) around one token, not a call's parentheses, becomes x; so do parentheses around the
// whole expression and parentheses directly inside parentheses.
bool drop_parentheses(std::vector<Token>& t) {
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    const bool call =
        i > 0 && (t[i - 1].kind == TokenKind::word || t[i - 1].kind == TokenKind::quoted);
    if (!t[i].is("(") || call) continue;
    const std::size_t close = matching_paren(t, i);
    if (close == t.size()) continue;
    const bool single = close == i + 2;
    const bool doubled = t[i + 1].is("(") && matching_paren(t, i + 1) == close - 1;
    const bool whole = i == 0 && close == t.size() - 1;
    if (!single && !doubled && !whole) continue;
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(close));
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(i));
    return true;  // the caller repeats until nothing changes
  }
  return false;
}

// PostgreSQL stores `x IN ('a', 'b')` as `x = ANY (ARRAY['a', 'b'])` (and NOT IN as <> ALL):
// both become the IN form.
bool fold_any_array(std::vector<Token>& t) {
  bool changed = false;
  for (std::size_t i = 0; i + 4 < t.size(); ++i) {
    const bool any = t[i].is("=") && t[i + 1].is("any");
    const bool all = t[i].is("<>") && t[i + 1].is("all");
    if (!(any || all) || !t[i + 2].is("(") || !t[i + 3].is("array") || !t[i + 4].is("[")) continue;
    const std::size_t close = matching_paren(t, i + 2);
    if (close == t.size() || !t[close - 1].is("]")) continue;
    std::vector<Token> items(t.begin() + static_cast<std::ptrdiff_t>(i + 5),
                             t.begin() + static_cast<std::ptrdiff_t>(close - 1));
    std::vector<Token> replacement;
    if (all) replacement.push_back({TokenKind::word, "not"});
    replacement.push_back({TokenKind::word, "in"});
    replacement.push_back({TokenKind::punct, "("});
    replacement.insert(replacement.end(), items.begin(), items.end());
    replacement.push_back({TokenKind::punct, ")"});
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(i),
            t.begin() + static_cast<std::ptrdiff_t>(close + 1));
    t.insert(t.begin() + static_cast<std::ptrdiff_t>(i), replacement.begin(), replacement.end());
    changed = true;
  }
  return changed;
}

std::string joined(const std::vector<Token>& t) {
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i > 0 && t[i - 1].wordish() && t[i].wordish()) out.push_back(' ');
    out += t[i].text;
  }
  return out;
}

}  // namespace

std::string normalize_sql(std::string_view sql) {
  std::vector<Token> tokens = tokenize(sql);
  if (!tokens.empty() && tokens.front().is("check")) tokens.erase(tokens.begin());
  bool changed = true;
  while (changed) {
    changed = drop_parentheses(tokens);
    changed = drop_casts(tokens) || changed;
    changed = fold_any_array(tokens) || changed;
  }
  return joined(tokens);
}

std::string type_key(const schema::Column& column, Dialect dialect) {
  if (dialect == Dialect::sqlite) {
    if (column.identity) return "integer";
    return normalize_sql(column.type.sql(Dialect::sqlite));
  }
  return normalize_sql(column.type.sql(Dialect::postgresql));
}

std::string expression_key(const schema::DialectSql& sql, Dialect dialect) {
  // Reflection fills only its dialect's half; a model may leave the other one empty.
  const std::string& text = sql.for_dialect(dialect);
  std::string key = normalize_sql(text);
  return key == "null" ? "" : key;
}

std::string expression_key(const std::optional<schema::DialectSql>& sql, Dialect dialect) {
  return sql ? expression_key(*sql, dialect) : "";
}

std::string index_key(const schema::Index& index, Dialect dialect) {
  std::string out = index.unique ? "unique " : "";
  if (dialect == Dialect::postgresql) {
    out += index.method.empty() ? "btree" : index.method;
  }
  out += "(";
  for (const schema::IndexElement& e : index.elements) {
    out += e.column.empty() ? "(" + expression_key(e.expression, dialect) + ")" : e.column;
    if (dialect == Dialect::postgresql && !e.operator_class.empty()) out += " " + e.operator_class;
    if (e.descending) out += " desc";
    out += ",";
  }
  out += ")";
  const std::string where = expression_key(index.where, dialect);
  if (!where.empty()) out += " where " + where;
  return out;
}

std::string foreign_key_key(const schema::ForeignKey& fk) {
  std::string out = "(";
  for (const std::string& c : fk.columns) out += c + ",";
  out += ")->" + fk.referred_table + "(";
  for (const std::string& c : fk.referred_columns) out += c + ",";
  return out + fmt::format(") {} {}", schema::referential_action_sql(fk.on_delete),
                           schema::referential_action_sql(fk.on_update));
}

bool exists_on(const schema::Index& index, Dialect dialect) {
  if (dialect == Dialect::postgresql) return true;
  if (index.postgresql_only) return false;
  if (!index.where.empty() && index.where.sqlite.empty()) return false;
  return std::all_of(index.elements.begin(), index.elements.end(), [](const auto& element) {
    return !element.column.empty() || !element.expression.sqlite.empty();
  });
}

bool exists_on(const schema::CheckConstraint& check, Dialect dialect) {
  return !check.expression.for_dialect(dialect).empty();
}

}  // namespace retort::migrate::ddl

#include "migrate/runtime/invalid_indexes.hpp"

#include <cctype>

#include "schema/sql_tokens.hpp"

namespace retort::migrate {
namespace {

using schema::sql::Token;

std::string folded(const Token& t) {
  if (t.kind == Token::Kind::quoted_identifier) return t.text;
  std::string out = t.text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The source text of tokens [first, last], quotes and dots kept.
std::string_view slice(std::string_view sql, const std::vector<Token>& tokens, std::size_t first,
                       std::size_t last) {
  return sql.substr(tokens[first].begin, tokens[last].end - tokens[first].begin);
}

constexpr const char* kQualifiedName =
    "format('%I.%I', n.nspname, c.relname) FROM pg_index i JOIN pg_class c ON c.oid = "
    "i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid";

}  // namespace

std::optional<ConcurrentIndex> concurrent_index_of(std::string_view statement) {
  const std::vector<Token> t = schema::sql::tokenize(statement);
  std::size_t i = 0;
  auto keyword = [&](std::string_view word) {
    if (i < t.size() && t[i].is_keyword(word)) {
      ++i;
      return true;
    }
    return false;
  };
  if (!keyword("create")) return std::nullopt;
  keyword("unique");
  if (!keyword("index") || !keyword("concurrently")) return std::nullopt;
  if (keyword("if") && !(keyword("not") && keyword("exists"))) return std::nullopt;
  if (i >= t.size() || !t[i].is_identifier() || t[i].is_keyword("on")) return std::nullopt;
  ConcurrentIndex index;
  index.name = folded(t[i++]);
  if (!keyword("on")) return std::nullopt;
  keyword("only");
  const std::size_t first = i;
  // name or schema.name; what follows (USING gin (...), the columns) is not part of it.
  if (i >= t.size() || !t[i].is_identifier()) return std::nullopt;
  ++i;
  while (i + 1 < t.size() && t[i].is('.') && t[i + 1].is_identifier()) i += 2;
  index.table = std::string(slice(statement, t, first, i - 1));
  return index;
}

std::optional<std::string> find_invalid_index(Connection& c, const ConcurrentIndex& index) {
  const Result r = c.execute(std::string("SELECT ") + kQualifiedName +
                                 " AND c.relname = $1 AND c.relnamespace = "
                                 "(SELECT relnamespace FROM pg_class WHERE oid = to_regclass($2))",
                             {index.name, index.table});
  if (r.empty()) return std::nullopt;
  return r[0][0].as_text();
}

std::vector<std::string> invalid_indexes(Connection& c) {
  std::vector<std::string> out;
  const std::string sql = std::string("SELECT ") + kQualifiedName +
                          " AND n.nspname = ANY (current_schemas(false)) ORDER BY 1";
  for (const Row& row : c.execute(sql)) {
    out.push_back(row[0].as_text());
  }
  return out;
}

}  // namespace retort::migrate

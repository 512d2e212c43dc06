// Fuzz target: the SQL splitter (retort::migrate::split_sql).
//
// The first byte picks the dialect (even: postgresql, odd: sqlite); the rest is the text.
// Contract checked:
// - split_sql throws nothing but ScriptError;
// - every statement is non-empty and trimmed, is the input's text at the offset it reports, and
//   starts on the line it reports;
// - the statements cover the input: they occur in it in order, and every gap between them
//   (and before the first, after the last) splits to no statement at all — only whitespace,
//   ';' and comments are dropped;
// - splitting is idempotent: a statement split again is that one statement.
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "migrate/runtime/sql_splitter.hpp"
#include "retort/migrate.hpp"

namespace {

using retort::fuzz::require;
using retort::migrate::ScriptError;
using retort::migrate::split_sql;
using retort::migrate::SqlDialect;
using retort::migrate::SqlStatement;

constexpr int kFirstLine = 7;  // not 1, so an offset error in line counting shows

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int line_at(std::string_view text, std::size_t pos) {
  int line = kFirstLine;
  for (std::size_t i = 0; i < pos; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

// True when text holds no statement (whitespace, ';' and complete comments only).
bool splits_to_nothing(std::string_view text, SqlDialect dialect) {
  try {
    return split_sql(text, dialect).empty();
  } catch (const ScriptError&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const SqlDialect dialect = data[0] % 2 == 0 ? SqlDialect::postgresql : SqlDialect::sqlite;
  const std::string_view text = retort::fuzz::as_text(data + 1, size - 1);

  std::vector<SqlStatement> statements;
  try {
    statements = split_sql(text, dialect, kFirstLine, "fuzz.sql");
  } catch (const ScriptError& e) {
    require(e.file() == "fuzz.sql", "a splitter error names the file", e.what());
    require(e.line() >= kFirstLine && e.line() <= line_at(text, text.size()),
            "a splitter error names a line of the text", e.what());
    return 0;
  }

  std::size_t covered = 0;
  for (const SqlStatement& statement : statements) {
    require(!statement.sql.empty(), "no empty statement");
    require(!is_space(statement.sql.front()) && !is_space(statement.sql.back()),
            "statements are trimmed", statement.sql);
    // Where the splitter says it is (searching for the text instead can match an earlier copy,
    // inside a comment, whose gap also splits to nothing: found by fuzzing).
    const std::size_t at = statement.offset;
    require(at >= covered && text.substr(at, statement.sql.size()) == statement.sql,
            "the statement is the input's text at its offset, after the previous one",
            statement.sql);
    require(line_at(text, at) == statement.line, "the statement starts on the line it reports",
            statement.sql);
    require(splits_to_nothing(text.substr(covered, at - covered), dialect),
            "the text before the statement holds no statement", statement.sql);
    covered = at + statement.sql.size();

    std::vector<SqlStatement> again;
    try {
      again = split_sql(statement.sql, dialect);
    } catch (const ScriptError& e) {
      require(false, "a statement splits again without error", e.what());
    }
    require(again.size() == 1 && again[0].sql == statement.sql && again[0].line == 1,
            "a statement splits again into itself", statement.sql);
  }
  require(splits_to_nothing(text.substr(covered), dialect),
          "the text after the last statement holds no statement");
  return 0;
}

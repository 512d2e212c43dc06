// Splits a revision section into statements, so the runner can execute (and report) them one by
// one with the line each starts on.
//
// A ';' ends a statement unless it is inside: a '...' string ('' escapes a quote), an E'...'
// string (backslash escapes; PostgreSQL), a "..." identifier, a $$...$$ or $tag$...$tag$ body
// (PostgreSQL), a -- comment, a /* */ comment (nested), a [...] or `...` identifier (SQLite),
// a BEGIN ... END block of CREATE TRIGGER (SQLite) or of BEGIN ATOMIC (PostgreSQL; CASE ... END
// inside such blocks is understood). Comments between statements are dropped; statements that
// are only comments or whitespace are dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace retort::migrate {

enum class SqlDialect { postgresql, sqlite };

struct SqlStatement {
  std::string sql;         // without the terminating ';' and surrounding whitespace
  int line = 0;            // 1-based line (in the file) of the statement's first token
  std::size_t offset = 0;  // byte offset of the statement's first token in the text split
};

// `first_line`: the file line of `text`'s first line; `file`: for error messages.
// Throws ScriptError (file, line where the construct started) on an unterminated string,
// identifier, dollar-quoted body or block comment.
std::vector<SqlStatement> split_sql(std::string_view text, SqlDialect dialect, int first_line = 1,
                                    const std::string& file = "<sql>");

}  // namespace retort::migrate

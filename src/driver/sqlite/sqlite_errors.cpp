#include "driver/sqlite/sqlite_errors.hpp"

#include <sqlite3.h>

#include <array>
#include <string>
#include <utility>

#include "core/redact.hpp"

namespace retort::driver::sqlite {
namespace {

// SQLITE_ERROR is SQLite's catch-all; the message is the only thing that tells a missing table
// from a typo, so these fragments (stable across SQLite 3.x releases) pick the SQLSTATE.
constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kMessageStates{{
    {"no such table", "42P01"},
    {"no such view", "42P01"},
    {"no such column", "42703"},
    {"has no column named", "42703"},
    {"ambiguous column name", "42702"},
    {"syntax error", "42601"},
    {"incomplete input", "42601"},
    {"unrecognized token", "42601"},
    {"values were supplied", "42601"},
    {"values for", "42601"},  // "2 values for 3 columns"
    {"already exists", "42P07"},
    {"no such function", "42883"},
    {"wrong number of arguments to function", "42883"},
    {"no such index", "42704"},
    {"no such trigger", "42704"},
    {"no such savepoint", "3B001"},
    {"cannot start a transaction within a transaction", "25001"},
    {"no transaction is active", "25P01"},
    {"malformed JSON", "22P02"},
    {"JSON cannot hold BLOB values", "22P02"},
    {"integer overflow", "22003"},
    {"too many SQL variables", "54023"},
}};

std::string_view state_from_message(std::string_view message) noexcept {
  for (const auto& [fragment, state] : kMessageStates) {
    if (message.find(fragment) != std::string_view::npos) return state;
  }
  // Unclassified SQLITE_ERRORs are almost always a statement SQLite could not compile or run
  // as written, which PostgreSQL files under class 42.
  return "42000";
}

std::string_view constraint_state(int extended_code) noexcept {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return "23505";
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return "23503";
    case SQLITE_CONSTRAINT_CHECK:
      return "23514";
    case SQLITE_CONSTRAINT_NOTNULL:
      return "23502";
    case SQLITE_CONSTRAINT_DATATYPE:
      return "22P02";  // STRICT table: what PostgreSQL says for 'abc' into an integer column
    case SQLITE_CONSTRAINT_TRIGGER:
      return "P0001";  // RAISE(ABORT, ...) in a trigger, like RAISE EXCEPTION in PL/pgSQL
    default:
      return "23000";
  }
}

// Fills constraint/table/column from "UNIQUE constraint failed: t.a, t.b",
// "NOT NULL constraint failed: t.c", "CHECK constraint failed: name" or
// "UNIQUE constraint failed: index 'name'" (unique index on an expression).
void add_constraint_details(std::string_view message, ErrorInfo& info) {
  constexpr std::string_view kMarker = "constraint failed: ";
  std::size_t at = message.find(kMarker);
  if (at == std::string_view::npos) return;
  std::string_view what = message.substr(at + kMarker.size());
  constexpr std::string_view kIndex = "index '";
  if (what.starts_with(kIndex) && what.ends_with('\'')) {
    info.constraint = std::string(what.substr(kIndex.size(), what.size() - kIndex.size() - 1));
    return;
  }
  info.constraint = std::string(what);
  std::size_t dot = what.find('.');
  bool has_columns = dot != std::string_view::npos && what.find(' ') > dot;
  if (!has_columns) return;  // a CHECK constraint's name or expression
  info.table = std::string(what.substr(0, dot));
  if (what.find(',') == std::string_view::npos) info.column = std::string(what.substr(dot + 1));
}

}  // namespace

std::string_view sqlstate_for(int extended_code, std::string_view message) noexcept {
  if (extended_code == SQLITE_BUSY_SNAPSHOT) {
    // A WAL read transaction tried to write after another connection committed: waiting cannot
    // help, only rerunning the transaction can, which is what PostgreSQL's 40001 asks for.
    return "40001";
  }
  switch (extended_code & 0xff) {
    case SQLITE_CONSTRAINT:
      return constraint_state(extended_code);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
      return "55P03";
    case SQLITE_INTERRUPT:
      return "57014";
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_PERM:
      return "42501";
    case SQLITE_TOOBIG:
      return "22001";
    case SQLITE_MISMATCH:
      return "22P02";
    case SQLITE_RANGE:
      return "22023";
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
      return "58030";
    case SQLITE_FULL:
      return "53100";
    case SQLITE_NOMEM:
      return "53200";
    case SQLITE_ABORT:
      return "40000";  // the statement was aborted by a ROLLBACK
    case SQLITE_ERROR:
      return state_from_message(message);
    default:
      return "XX000";
  }
}

ErrorInfo describe_error(int extended_code, std::string_view message, std::string_view statement) {
  ErrorInfo info;
  info.sqlstate = std::string(sqlstate_for(extended_code, message));
  // SQLite quotes pieces of the SQL text in its messages ("near \"...\": syntax error"), which
  // may hold a literal secret; scrub like every other driver message.
  info.message = redact::scrub(message);
  info.statement = redact::scrub(statement);
  if ((extended_code & 0xff) == SQLITE_CONSTRAINT) add_constraint_details(message, info);
  return info;
}

bool is_fatal_error(int extended_code) noexcept {
  switch (extended_code & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

}  // namespace retort::driver::sqlite

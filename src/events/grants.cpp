#include "events/grants.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "core/text.hpp"
#include "retort/error.hpp"

namespace retort::events {
namespace {

// PostgreSQL's reserved key words: as role, schema or table names they must be quoted.
constexpr std::array<std::string_view, 77> kReserved = {"all",          "analyse",
                                                        "analyze",      "and",
                                                        "any",          "array",
                                                        "as",           "asc",
                                                        "asymmetric",   "both",
                                                        "case",         "cast",
                                                        "check",        "collate",
                                                        "column",       "constraint",
                                                        "create",       "current_catalog",
                                                        "current_date", "current_role",
                                                        "current_time", "current_timestamp",
                                                        "current_user", "default",
                                                        "deferrable",   "desc",
                                                        "distinct",     "do",
                                                        "else",         "end",
                                                        "except",       "false",
                                                        "fetch",        "for",
                                                        "foreign",      "from",
                                                        "grant",        "group",
                                                        "having",       "in",
                                                        "initially",    "intersect",
                                                        "into",         "lateral",
                                                        "leading",      "limit",
                                                        "localtime",    "localtimestamp",
                                                        "not",          "null",
                                                        "offset",       "on",
                                                        "only",         "or",
                                                        "order",        "placing",
                                                        "primary",      "references",
                                                        "returning",    "select",
                                                        "session_user", "some",
                                                        "symmetric",    "table",
                                                        "then",         "to",
                                                        "trailing",     "true",
                                                        "union",        "unique",
                                                        "user",         "using",
                                                        "variadic",     "when",
                                                        "where",        "window",
                                                        "with"};

bool is_plain(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  const bool simple = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  return simple && std::find(kReserved.begin(), kReserved.end(), name) == kReserved.end();
}

std::string ident(std::string_view name) {
  return is_plain(name) ? std::string(name) : Connection::quote_identifier(name);
}

std::string qualified(const GrantOptions& o, std::string_view name) {
  return ident(o.schema) + "." + ident(name);
}

bool uses_events(const GrantOptions& o) {
  return std::find(o.tables.begin(), o.tables.end(), "events") != o.tables.end();
}

// PostgreSQL keeps the first NAMEDATALEN - 1 bytes of a longer name (with only a NOTICE), so a
// GRANT would silently name another role or table.
constexpr std::size_t kMaxNameBytes = 63;

// A name printed into the script must not be able to end a line or a quoted identifier, nor
// drive the terminal that shows it: refused before anything is printed, without echoing it.
void check_name(std::string_view what, std::string_view name) {
  if (name.empty()) throw UsageError(fmt::format("retort grants: {} is empty", what));
  if (auto bad = text::find_unprintable(name)) {
    throw UsageError(fmt::format(
        "retort grants: {} has {} at byte {}: names with control characters, NUL bytes or "
        "invalid UTF-8 are refused",
        what, bad->description, bad->offset));
  }
  if (name.size() > kMaxNameBytes) {
    throw UsageError(fmt::format(
        "retort grants: {} is {} bytes long; PostgreSQL cuts names to {} bytes, so the GRANT "
        "would name another object",
        what, name.size(), kMaxNameBytes));
  }
}

void check(const GrantOptions& o) {
  if (o.role.empty()) throw UsageError("retort grants: name the application role");
  check_name("the role (ROLE)", o.role);
  check_name("the schema (--schema)", o.schema);
  for (const std::string& table : o.tables) check_name("a table (--table)", table);
  check_name("the version table", o.version_table);
  std::string lowered = o.role;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered == "public") {
    throw UsageError(
        "retort grants: PUBLIC is every role: name the application role that should get the "
        "privileges");
  }
  if (o.tables.empty()) throw UsageError("retort grants: no tables given");
  if (o.read_only && o.worker) {
    throw UsageError("retort grants: --read-only and --worker exclude each other");
  }
}

std::string table_rights(const GrantOptions& o) {
  if (o.read_only) return "SELECT";
  return o.worker ? "SELECT, UPDATE" : "SELECT, INSERT, UPDATE, DELETE";
}

// The table's oid in options.schema; UsageError naming it when it does not exist.
std::int64_t table_oid(Connection& c, const GrantOptions& o, const std::string& table) {
  const Result found = c.execute(
      "SELECT c.oid::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
      {o.schema, table});
  if (found.empty()) {
    throw UsageError(fmt::format(
        "retort grants: there is no table {} (run `retort upgrade head` first, choose the "
        "schema with --schema, or print without looking with --offline)",
        qualified(o, table)));
  }
  return found.at(0)[0].as_int64();
}

}  // namespace

std::string grant_script(const GrantOptions& o) {
  check(o);
  const std::string role = ident(o.role);
  const std::string rights = table_rights(o);
  std::string out = fmt::format(
      "-- Privileges of the {} role {} (retort grants). Run as the role that owns\n"
      "-- schema {} (the migration role): it keeps CREATE, ALTER, DROP and TRUNCATE.\n",
      o.worker ? "worker" : "application", role, ident(o.schema));
  out += fmt::format("GRANT USAGE ON SCHEMA {} TO {};\n", ident(o.schema), role);
  for (const std::string& table : o.tables) {
    out += fmt::format("GRANT {} ON TABLE {} TO {};\n", rights, qualified(o, table), role);
  }
  if (o.worker) {
    out += "-- claim, complete, fail, heartbeat: no INSERT or DELETE on events; its live row:\n";
    out += fmt::format("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {} TO {};\n",
                       qualified(o, o.workers_table), role);
  }
  if (o.version_read) {
    out += "-- to check at start-up that the schema is at the expected revision:\n";
    out += fmt::format("GRANT SELECT ON TABLE {} TO {};\n", qualified(o, o.version_table), role);
  }
  if (!o.read_only && uses_events(o) && o.merge_patch_function) {
    out += "-- EventRepository::merge_task_context calls it:\n";
    out += fmt::format("GRANT EXECUTE ON FUNCTION {}(jsonb, jsonb) TO {};\n",
                       qualified(o, "retort_json_merge_patch"), role);
  }
  if (o.read_only || o.worker) {
    out += fmt::format("-- {}: no sequence privileges needed\n",
                       o.read_only ? "read-only" : "a worker inserts no rows into the tables");
  } else if (!o.inspected) {
    out += "-- sequences: not inspected (--offline); events ids are UUIDs and need none\n";
  } else if (o.sequences.empty()) {
    out += "-- sequences: none (the tables have no serial or identity columns)\n";
  } else {
    for (const std::string& sequence : o.sequences) {
      out +=
          fmt::format("GRANT USAGE, SELECT ON SEQUENCE {} TO {};\n", qualified(o, sequence), role);
    }
  }
  return out;
}

void inspect_grants(Connection& c, GrantOptions& o) {
  check(o);
  if (o.worker) table_oid(c, o, o.workers_table);
  for (const std::string& table : o.tables) {
    const std::int64_t oid = table_oid(c, o, table);
    // Sequences the table's columns own: serial (dependency 'a') and identity ('i').
    const Result sequences = c.execute(
        "SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
        "WHERE d.classid = 'pg_class'::regclass AND d.refobjid = $1::bigint::oid "
        "AND s.relkind = 'S' AND d.deptype IN ('a', 'i') ORDER BY s.relname",
        {oid});
    for (const Row& row : sequences) o.sequences.push_back(row[0].as_text());
  }
  const Result function = c.execute("SELECT to_regprocedure($1) IS NOT NULL",
                                    {qualified(o, "retort_json_merge_patch") + "(jsonb, jsonb)"});
  o.merge_patch_function = function.at(0)[0].as_bool();
  o.inspected = true;
}

}  // namespace retort::events

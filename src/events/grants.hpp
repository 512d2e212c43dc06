// Least privilege for the event store (`retort grants ROLE`, docs/security.md): the GRANT
// statements an application role needs to work through EventRepository and the generic
// repository, and nothing more. The migration role owns the schema and keeps every DDL right;
// the application role gets USAGE on the schema and row privileges on the tables, so CREATE,
// ALTER, DROP and TRUNCATE from it fail with "permission denied" / "must be owner".
#pragma once

#include <string>
#include <vector>

#include "retort/connection.hpp"

namespace retort::events {

struct GrantOptions {
  std::string role;                              // the application role (not PUBLIC)
  std::string schema = "public";                 // where the tables are
  std::vector<std::string> tables = {"events"};  // the tables the application uses
  bool read_only = false;                        // SELECT only (a reporting role)
  // A worker role (`retort events work`, docs/processing.md): claim, complete, fail and
  // heartbeat (SELECT and UPDATE on the tables), its row in retort_workers; no INSERT or DELETE
  // on events, no DDL. Excludes read_only.
  bool worker = false;
  std::string workers_table = "retort_workers";
  // SELECT on the version table, for an application that checks at start-up that the schema
  // is at the revision it expects (retort::migrate::current).
  bool version_read = false;
  std::string version_table = "retort_version";
  // Filled by inspect_grants: sequences behind the tables' serial/identity columns, and whether
  // the merge-patch function exists. Without inspection the script says what it did not check.
  std::vector<std::string> sequences;
  bool merge_patch_function = true;
  bool inspected = false;
};

// The statements, one per line, with `--` comments saying what each is for. Throws UsageError
// for an empty or PUBLIC role, no tables, or a name (role, schema, table) holding a control
// character, a NUL byte or invalid UTF-8, or longer than PostgreSQL's 63 bytes. Names are
// printed only as identifiers, quoted when they need it, in comments too.
std::string grant_script(const GrantOptions& options);

// Looks the tables up in options.schema (PostgreSQL): throws UsageError naming a table that
// does not exist; fills options.sequences and options.merge_patch_function; sets inspected.
void inspect_grants(Connection& connection, GrantOptions& options);

}  // namespace retort::events

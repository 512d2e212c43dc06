// The events schema in a test database, made the one way retort makes it: the built-in
// migrations (migrations/versions), upgraded to head.
#pragma once

#include <string>
#include <string_view>

#include "retort/database.hpp"
#include "retort/migrate.hpp"

namespace retort::testing {

// Options naming this source tree's migrations/ (the built-in migrations), with no log output.
// The directory is named from the test build's source path rather than found the way
// migrate::builtin_settings() finds it, so the tests do not depend on where the binaries are.
migrate::MigrateOptions builtin_migrations();

// migrate::upgrade(db, target) with builtin_migrations().
void upgrade_events_schema(Database& db, std::string_view target = "head");

// An events table whose data is nullable, as the original service's SQLAlchemy model declares
// it. PostgreSQL: the table as Alembic renders that model (json, timestamps without time zone).
// SQLite: retort's spellings (what its repository reads) with data nullable.
std::string nullable_data_events_table(Dialect dialect);

}  // namespace retort::testing

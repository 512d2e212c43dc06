#include "support/events_schema.hpp"

#include <filesystem>

namespace retort::testing {

migrate::MigrateOptions builtin_migrations() {
  migrate::Settings settings;
  settings.script_location =
      std::filesystem::path(RETORT_TEST_SUPPORT_DIR).parent_path().parent_path() / "migrations";
  settings.origin = "built-in (" + settings.script_location.string() + ")";
  migrate::MigrateOptions options;
  options.settings = std::move(settings);
  options.on_log = [](std::string_view) {};
  return options;
}

void upgrade_events_schema(Database& db, std::string_view target) {
  migrate::upgrade(db, target, builtin_migrations());
}

std::string nullable_data_events_table(Dialect dialect) {
  if (dialect == Dialect::postgresql) {
    return R"(CREATE TABLE events (
    id UUID NOT NULL,
    data JSON,
    task_context JSON,
    created_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITHOUT TIME ZONE DEFAULT now() NOT NULL,
    PRIMARY KEY (id)
))";
  }
  return R"(CREATE TABLE events (
    id UUID NOT NULL PRIMARY KEY,
    data JSON CHECK (data IS NULL OR json_valid(data)),
    task_context JSON,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
))";
}

}  // namespace retort::testing

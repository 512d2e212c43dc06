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

}  // namespace retort::testing

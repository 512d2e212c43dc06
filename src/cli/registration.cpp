// Static registration of models and C++ revisions, for tools whose main() CMake writes
// (retort_add_migrate_executable).
#include <fmt/format.h>

#include <iostream>

#include "core/redact.hpp"
#include "retort/cli.hpp"
#include "retort/error.hpp"

namespace retort::cli {
namespace {

struct Registry {
  std::vector<std::function<schema::MetaData()>> models;
  std::vector<migrate::CppRevision> revisions;
};

// Function-local, so registrations from other files' static initialisers find it constructed.
Registry& registry() {
  static Registry instance;
  return instance;
}

// Adds `more` to `into`; the same table or enum type twice must be the same definition.
void merge(schema::MetaData& into, const schema::MetaData& more) {
  for (const schema::Table& table : more.tables) {
    if (const schema::Table* known = into.find_table(table.name)) {
      if (*known == table) continue;
      throw UsageError(
          fmt::format("table {} is registered twice, with different definitions", table.name));
    }
    into.tables.push_back(table);
  }
  for (const schema::EnumType& type : more.enums) {
    if (const schema::EnumType* known = into.find_enum(type.name)) {
      if (*known == type) continue;
      throw UsageError(
          fmt::format("enum type {} is registered twice, with different values", type.name));
    }
    into.enums.push_back(type);
  }
}

}  // namespace

Registration register_models(std::function<schema::MetaData()> models) {
  registry().models.push_back(std::move(models));
  return {};
}

Registration register_revision(migrate::CppRevision revision) {
  registry().revisions.push_back(std::move(revision));
  return {};
}

Tool registered_tool() {
  Tool tool;
  for (const auto& models : registry().models) merge(tool.models, models());
  tool.revisions = registry().revisions;
  return tool;
}

int run_registered(int argc, char** argv, const std::filesystem::path& data_dir) {
  Tool tool;
  try {
    tool = registered_tool();
  } catch (const std::exception& e) {
    std::cerr << "retort: error: " << redact::scrub(e.what()) << '\n';
    return 1;
  }
  tool.data_dir = data_dir;
  return main(argc, argv, tool);
}

}  // namespace retort::cli

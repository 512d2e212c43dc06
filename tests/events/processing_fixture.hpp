// Shared by the processing tests: the built-in migrations by path, and a database of either
// dialect with them applied plus the `retort` command line pointed at it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "support/process.hpp"
#include "support/test_db.hpp"

namespace retort::events {

using Json = nlohmann::json;
using retort::testing::TempDir;

// Waits until pred() holds or the bound passes; returns pred(). For the processing tests' bounds
// on waiting (they never assert how long anything took).
template <class Pred>
bool eventually(Pred pred, std::chrono::seconds bound = std::chrono::seconds(60)) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (!pred() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

inline migrate::MigrateOptions quiet_builtin() {
  migrate::MigrateOptions o;
  // The source tree's migrations/ by path: builtin_settings() finds it through __FILE__, which
  // ccache's base_dir makes relative in this build.
  migrate::Settings settings;
  settings.script_location = std::filesystem::path(RETORT_SOURCE_DIR) / "migrations";
  settings.origin = "built-in";
  o.settings = settings;
  o.on_log = [](std::string_view) {};
  return o;
}

// The built-in migrations plus the opt-in partitioned revision (migrations/partitioned/): head
// is then e2c7b9a4f610, the events table range-partitioned by created_at.
inline migrate::MigrateOptions quiet_partitioned() {
  migrate::MigrateOptions o = quiet_builtin();
  const std::filesystem::path root = std::filesystem::path(RETORT_SOURCE_DIR) / "migrations";
  o.settings->version_locations = {root / "versions", root / "partitioned"};
  return o;
}

// The three shapes of the events table the processing tests run on.
enum class TableShape { sqlite, postgresql, partitioned };

inline Dialect dialect_of(TableShape shape) {
  return shape == TableShape::sqlite ? Dialect::sqlite : Dialect::postgresql;
}

inline void upgrade_to(Database& db, TableShape shape) {
  migrate::upgrade(db, "head",
                   shape == TableShape::partitioned ? quiet_partitioned() : quiet_builtin());
}

struct TableShapeName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    switch (info.param) {
      case TableShape::sqlite:
        return "sqlite";
      case TableShape::postgresql:
        return "postgresql";
      case TableShape::partitioned:
        return "partitioned";
    }
    return "unknown";
  }
};

inline std::string json_text(const Value& v) {
  return v.kind() == Value::Kind::json ? v.as_json().text() : v.as_text();
}

// A database of either dialect with the built-in migrations applied, and its URL as text for
// the command line.
class ProcessingDb : public ::testing::TestWithParam<Dialect> {
 protected:
  ProcessingDb() {
    if (GetParam() == Dialect::postgresql) {
      schema_ = std::make_unique<retort::testing::PgSchema>();
      url_ = schema_->url_text();
    } else {
      url_ = "sqlite:///" + (dir_ / "events.db").string();
    }
    db_ = std::make_unique<Database>(parse_database_url(url_));
    migrate::upgrade(*db_, "head", quiet_builtin());
  }

  std::vector<Uuid> store(const std::vector<Json>& docs) {
    std::vector<std::string> texts;
    for (const Json& d : docs) texts.push_back(d.dump());
    return db_->transaction([&](Session& s) {
      std::vector<Uuid> ids;
      for (const Event& e : EventRepository(s).record_many(texts)) ids.push_back(e.id);
      return ids;
    });
  }
  Result rows(const std::string& sql) {
    return db_->transaction([&](Session& s) { return s.execute(sql); });
  }
  std::int64_t scalar(const std::string& sql) { return rows(sql).at(0)[0].as_int64(); }

  // Runs `retort --url URL ARGS` in dir_, stdout and stderr together.
  retort::testing::CommandResult cli(const std::string& args) {
    return retort::testing::run_shell(
        "cd " + retort::testing::shell_quote(dir_.path().string()) +
        " && env -u RETORT_DATABASE_URL -u DATABASE_URL -u RETORT_CONFIG '" RETORT_BINARY_DIR
        "/retort' --url " +
        retort::testing::shell_quote(url_) + " " + args + " 2>&1");
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  TempDir dir_;
  std::unique_ptr<retort::testing::PgSchema> schema_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

}  // namespace retort::events

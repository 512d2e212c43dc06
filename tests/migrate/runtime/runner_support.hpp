// Helpers for the runner tests: revision files in a temporary environment, settings pointing
// at it, and a database of either dialect.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "retort/database.hpp"
#include "retort/migrate.hpp"
#include "support/test_db.hpp"

namespace retort::migrate::runner_testing {

struct RevisionFile {
  std::string id{};
  std::vector<std::string> down{};
  std::string message{};
  std::string upgrade{};         // SQL of the common upgrade section
  std::string downgrade{};       // and of the downgrade section
  std::string extra_headers{};   // e.g. "-- Transactional: false\n"
  std::string extra_sections{};  // e.g. "-- +upgrade postgresql\n...\n"
};

inline std::string file_text(const RevisionFile& r) {
  std::string down = r.down.empty() ? "none" : fmt::format("{}", fmt::join(r.down, ", "));
  return fmt::format(
      "-- retort revision\n-- Revision: {}\n-- Down revision: {}\n-- Message: {}\n-- Create date: "
      "2026-11-21 "
      "06:00:00.000000\n{}\n-- +upgrade\n{}\n\n-- +downgrade\n{}\n{}",
      r.id, down, r.message.empty() ? "revision " + r.id : r.message, r.extra_headers, r.upgrade,
      r.downgrade, r.extra_sections);
}

// A migration environment in a temporary directory.
class Environment {
 public:
  Environment() { std::filesystem::create_directories(versions()); }
  std::filesystem::path dir() const { return tmp_.path(); }
  std::filesystem::path versions() const { return tmp_.path() / "versions"; }
  std::filesystem::path path_of(const std::string& id) const {
    return versions() / (id + "_rev.sql");
  }

  std::filesystem::path write(const RevisionFile& r) const {
    return write_raw(r.id + "_rev.sql", file_text(r));
  }
  std::filesystem::path write_raw(const std::string& name, const std::string& text) const {
    std::ofstream(versions() / name, std::ios::binary) << text;
    return versions() / name;
  }
  // A linear chain r0 <- r1 <- ... each creating table t<i>.
  std::vector<std::string> chain(int n, const std::string& prefix = "r") const {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      std::string id = fmt::format("{}{:03}", prefix, i);
      RevisionFile f;
      f.id = id;
      if (i > 0) f.down = {ids.back()};
      f.upgrade = fmt::format("CREATE TABLE t_{0} (id INTEGER PRIMARY KEY, name TEXT);", id);
      f.downgrade = fmt::format("DROP TABLE t_{0};", id);
      write(f);
      ids.push_back(id);
    }
    return ids;
  }

  Settings settings() const {
    Settings s;
    s.script_location = dir();
    s.origin = "test";
    s.lock_wait_timeout = std::chrono::seconds(60);
    return s;
  }
  MigrateOptions options() const {
    MigrateOptions o;
    o.settings = settings();
    o.on_log = [this](std::string_view line) { log_.emplace_back(line); };
    return o;
  }
  std::vector<std::string>& log() const { return log_; }

 private:
  retort::testing::TempDir tmp_;
  mutable std::vector<std::string> log_;
};

inline bool table_exists(Database& db, const std::string& name) {
  PooledConnection c = db.connection();
  if (db.dialect() == Dialect::postgresql) {
    return c->execute("SELECT to_regclass($1) IS NOT NULL", {name}).at(0)[0].as_bool();
  }
  return !c->execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {name})
              .empty();
}

inline std::vector<std::string> column(Database& db, const std::string& sql) {
  std::vector<std::string> out;
  PooledConnection c = db.connection();
  for (const Row& row : c->execute(sql))
    out.push_back(row[0].is_null() ? "NULL" : row[0].to_display());
  return out;
}

template <class E, class F>
E error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  }
  ADD_FAILURE() << "expected an exception";
  throw std::runtime_error("no exception");
}

class OnBothDialects : public ::testing::TestWithParam<Dialect> {
 protected:
  OnBothDialects() : test_db_(GetParam()), db_(test_db_.url()) {}
  retort::testing::TestDatabase test_db_;
  Database db_;
  Environment env_;
};

}  // namespace retort::migrate::runner_testing

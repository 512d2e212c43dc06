// The databases tests run against.
//
// PostgreSQL: `./dev test` starts a throwaway PostgreSQL 15 cluster and exports its URL as
// RETORT_TEST_PG_URL. A test that needs PostgreSQL fails (never skips) when it is missing.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "retort/settings.hpp"

namespace retort::testing {

// The server URL from RETORT_TEST_PG_URL; throws (failing the test) when unset.
std::string pg_server_url();

// A fresh schema on the test server, dropped (CASCADE) when this object dies. url() connects
// with search_path set to it, so tests never see each other's tables.
class PgSchema {
 public:
  PgSchema();
  ~PgSchema();
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;
  const std::string& name() const { return name_; }
  DatabaseUrl url() const;
  std::string url_text() const;

 private:
  std::string name_;
};

// A temporary directory removed when this object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A throwaway database of either dialect: a schema on the test server, or a SQLite file in a
// temporary directory. For tests that must behave the same on both backends.
class TestDatabase {
 public:
  explicit TestDatabase(Dialect dialect);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const DatabaseUrl& url() const { return url_; }
  Dialect dialect() const { return url_.dialect(); }

 private:
  std::unique_ptr<PgSchema> schema_;
  std::unique_ptr<TempDir> dir_;
  DatabaseUrl url_;
};

// For INSTANTIATE_TEST_SUITE_P(..., ::testing::Values(Dialect::sqlite, Dialect::postgresql),
//                              DialectName).
struct DialectName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return std::string(dialect_name(info.param));
  }
};

}  // namespace retort::testing

#include "support/test_db.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <unistd.h>

namespace retort::testing {
namespace {

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return fmt::format("{}_{}_{:x}", getpid(), counter++, rd() & 0xffffff);
}

// Runs admin SQL over plain libpq so the fixtures do not depend on the driver under test.
void admin_exec(const std::string& sql) {
  PGconn* conn = PQconnectdb(pg_server_url().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("test support: cannot connect to RETORT_TEST_PG_URL: " + msg);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
  std::string msg = ok ? "" : PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("test support: " + sql + ": " + msg);
}

}  // namespace

std::string pg_server_url() {
  const char* url = std::getenv("RETORT_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "RETORT_TEST_PG_URL is not set: PostgreSQL tests need the server that `./dev test` "
        "starts (they fail rather than skip)");
  }
  return url;
}

PgSchema::PgSchema() : name_("t_" + unique_suffix()) {
  admin_exec("CREATE SCHEMA " + name_);
}

PgSchema::~PgSchema() {
  try {
    // Without the NOTICE listing every table the drop cascades to (noise in test logs).
    admin_exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  } catch (...) {
    // A test that broke the server must not also crash in teardown.
  }
}

DatabaseUrl PgSchema::url() const {
  DatabaseUrl url = parse_database_url(pg_server_url());
  url.set_param("options", "-c search_path=" + name_);
  return url;
}

std::string PgSchema::url_text() const {
  return pg_server_url() + (pg_server_url().find('?') == std::string::npos ? "?" : "&") +
         "options=-c%20search_path%3D" + name_;
}

TempDir::TempDir() {
  path_ = std::filesystem::temp_directory_path() / ("retort_test_" + unique_suffix());
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestDatabase::TestDatabase(Dialect dialect) {
  if (dialect == Dialect::postgresql) {
    schema_ = std::make_unique<PgSchema>();
    url_ = schema_->url();
  } else {
    dir_ = std::make_unique<TempDir>();
    url_ = DatabaseUrl::sqlite((dir_->path() / "test.db").string());
  }
}

TestDatabase::~TestDatabase() = default;

}  // namespace retort::testing

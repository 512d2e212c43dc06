// Shared by the PostgreSQL driver tests: a fresh schema and a connection to it per test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "retort/connection.hpp"
#include "retort/error.hpp"
#include "support/test_db.hpp"

namespace retort::testing {

class PgTest : public ::testing::Test {
 protected:
  std::unique_ptr<Connection> open(const ConnectionOptions& options = {}) {
    return connect(schema_.url(), options);
  }
  // count(*) of a table, through a separate connection so the test's own state cannot matter.
  std::int64_t count_rows(const std::string& table) {
    return open()->execute("SELECT count(*) FROM " + table).at(0)[0].as_int64();
  }
  std::int64_t backend_pid(Connection& c) {
    return c.execute("SELECT pg_backend_pid()").at(0)[0].as_int64();
  }

  PgSchema schema_;
  std::unique_ptr<Connection> db_ = open();
};

}  // namespace retort::testing

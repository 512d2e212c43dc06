// Shared by the asynchronous API's tests: a one-thread io_context, a fresh PostgreSQL schema or
// SQLite file, and run(), which runs a coroutine to completion and rethrows what it threw.
#pragma once

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <exception>
#include <memory>
#include <utility>

#include "retort/async.hpp"
#include "retort/connection.hpp"
#include "support/test_db.hpp"

namespace retort::testing {

class AsyncTest : public ::testing::Test {
 protected:
  // Runs body on io_ until everything spawned has finished; rethrows body's exception.
  template <class Body>
  void run(Body body) {
    std::exception_ptr failure;
    // body lives here until the coroutine it starts has finished.
    asio::awaitable<void> work = body();
    asio::co_spawn(io_, std::move(work), [&](std::exception_ptr e) { failure = e; });
    io_.run();
    io_.restart();
    if (failure) std::rethrow_exception(failure);
  }

  asio::io_context io_;
};

class AsyncPgTest : public AsyncTest {
 protected:
  asio::awaitable<std::unique_ptr<async::Connection>> open() {
    return async::connect(schema_.url());
  }
  // A blocking connection to the same schema, for checks from outside.
  std::unique_ptr<Connection> blocking() { return connect(schema_.url()); }

  PgSchema schema_;
};

class AsyncSqliteTest : public AsyncTest {
 protected:
  asio::awaitable<std::unique_ptr<async::Connection>> open() { return async::connect(url_); }
  // A blocking connection to the same file, for checks from outside.
  std::unique_ptr<Connection> blocking() { return connect(url_); }

  TempDir dir_;
  DatabaseUrl url_ = DatabaseUrl::sqlite((dir_.path() / "async.db").string());
};

}  // namespace retort::testing

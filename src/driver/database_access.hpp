// What the library (and its tests) may do with a Database that its users may not: open it with
// a wrapper around every connection, and open connections of its own outside its pool.
//
// The seam for the fault-injecting connection of the tests (tests/support/fault_injection.hpp):
// the code under test (upgrade, ingest, processing) takes a Database, so a Database whose
// connections are all wrapped reaches every statement it sends, with no global hook.
#pragma once

#include <functional>
#include <memory>

#include "retort/database.hpp"

namespace retort::driver {

// Decorates a connection just opened; returns the connection to use in its place.
using ConnectionWrapper = std::function<std::unique_ptr<Connection>(std::unique_ptr<Connection>)>;

struct DatabaseAccess {
  // A Database like Database(url, options) whose every connection, the pool's and those of
  // open_connection, passes through wrap before its first use.
  static Database open_wrapped(DatabaseUrl url, DatabaseOptions options, ConnectionWrapper wrap);

  // A connection to db's database outside its pool, with options instead of the pool's (the
  // migration connection, whose session settings must not leak into the pool), through db's
  // wrapper. Throws ConnectionError as retort::connect does.
  static std::unique_ptr<Connection> open_connection(const Database& db,
                                                     const ConnectionOptions& options);
};

}  // namespace retort::driver

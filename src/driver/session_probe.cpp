#include "driver/session_probe.hpp"

#include <cstdint>
#include <memory>

namespace retort::driver {
namespace {

constexpr int kRounds = 3;

std::int64_t backend_pid(Connection& c) {
  return c.execute("SELECT pg_backend_pid()").at(0)[0].as_int64();
}

// One round; true when it caught the pooler.
bool round_shows_pooling(Connection& first, Connection& second) {
  const std::int64_t mine = backend_pid(first);
  second.begin({});
  try {
    const std::int64_t other = backend_pid(second);
    const std::int64_t again = backend_pid(first);
    second.rollback();
    return other == mine || again != mine;
  } catch (...) {
    if (second.in_transaction() && !second.is_broken()) second.rollback();
    throw;
  }
}

}  // namespace

bool transaction_pooled(Connection& first, const DatabaseUrl& url) {
  if (first.dialect() != Dialect::postgresql) return false;
  ConnectionOptions options;
  options.application_name = "retort session probe";
  options.prepared_statements = false;  // a named statement would outlive its pooled session
  std::unique_ptr<Connection> second = connect(url, options);
  for (int round = 0; round < kRounds; ++round) {
    if (round_shows_pooling(first, *second)) return true;
  }
  return false;
}

}  // namespace retort::driver

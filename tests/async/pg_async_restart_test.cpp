// A server restart while statements are in flight, on a cluster of the test's own: what was in
// flight fails with a clear error, the pool discards the dead connections, later work succeeds.
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "async_fixture.hpp"
#include "retort/error.hpp"
#include "support/scratch_cluster.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;
using testing::AsyncTest;

class AsyncPgRestartTest : public AsyncTest {};

TEST_F(AsyncPgRestartTest, ServerRestartMidFlightFailsClearlyAndThePoolRecovers) {
  testing::ScratchClusterOptions options;
  options.hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n";
  testing::ScratchCluster cluster(options);
  const DatabaseUrl url = parse_database_url(
      "postgresql://postgres@127.0.0.1:" + std::to_string(cluster.port()) + "/postgres");
  PoolOptions pool;
  pool.max_size = 3;
  async::Database db(io_.get_executor(), url, pool);
  std::vector<std::string> errors;
  int in_flight = 0;
  auto sleeper = [&]() -> asio::awaitable<void> {
    try {
      ++in_flight;
      co_await db.execute("SELECT pg_sleep(60)");
      errors.push_back("(no error)");
    } catch (const DatabaseError& e) {
      errors.push_back(e.what());
    }
    --in_flight;
  };
  run([&]() -> asio::awaitable<void> {
    const async::Executor executor = co_await asio::this_coro::executor;
    for (int i = 0; i < 3; ++i) asio::co_spawn(executor, sleeper(), asio::detached);
    // Restart once all three statements run on the server (seen from another session).
    auto watcher = connect(url);
    asio::steady_timer pause(executor);
    while (watcher
               ->execute("SELECT count(*) FROM pg_stat_activity WHERE query = "
                         "'SELECT pg_sleep(60)' AND state = 'active'")
               .at(0)[0]
               .as_int64() < 3) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    watcher.reset();
    co_await async::offload([&] { cluster.restart(); });
    while (in_flight > 0) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    EXPECT_EQ(db.pool().stats().open, 0u);  // all three discarded
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ((co_await db.execute("SELECT $1::int", Value(i))).at(0)[0].as_int64(), i);
    }
    EXPECT_EQ(db.pool().stats().discarded, 3u);
  });
  ASSERT_EQ(errors.size(), 3u);
  for (const std::string& e : errors) {
    // The server's own words for a fast shutdown, or the lost link libpq saw.
    const bool clear =
        e.find("terminating connection due to administrator command") != std::string::npos ||
        e.find("server closed the connection") != std::string::npos;
    EXPECT_TRUE(clear) << e;
  }
}

}  // namespace
}  // namespace retort

// async::offload: blocking work (here `upgrade head` at a service's start-up) runs on a worker
// while the caller's one thread goes on; its value comes back, and so does its exception.
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "async_fixture.hpp"
#include "retort/database.hpp"
#include "retort/error.hpp"
#include "retort/migrate.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;
using testing::AsyncPgTest;

// retort's own migrations (the events table), from the source tree.
migrate::MigrateOptions builtin_migrations() {
  migrate::MigrateOptions options;
  options.settings.emplace();
  options.settings->script_location = std::filesystem::path(RETORT_SOURCE_DIR) / "migrations";
  options.settings->origin = "built-in (source tree)";
  return options;
}

// The migration waits until the loop has ticked three times (only a running loop ticks), so
// it cannot finish unless the caller's thread went on meanwhile.
TEST_F(AsyncPgTest, UpgradeHeadRunsOnAWorkerWhileTheLoopGoesOn) {
  Database db(schema_.url());
  const migrate::MigrateOptions options = builtin_migrations();
  std::promise<void> ticked;
  std::future<void> loop_ran = ticked.get_future();
  int ticks = 0;
  bool done = false;
  auto ticker = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!done) {
      timer.expires_after(10ms);
      co_await timer.async_wait(asio::use_awaitable);
      if (++ticks == 3) ticked.set_value();
    }
  };
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  migrate::RunReport report;
  run([&]() -> asio::awaitable<void> {
    asio::co_spawn(co_await asio::this_coro::executor, ticker(), asio::detached);
    report = co_await async::offload([&] {
      work_thread = std::this_thread::get_id();
      loop_ran.wait();
      return migrate::upgrade(db, "head", options);
    });
    done = true;
  });
  EXPECT_NE(work_thread, loop_thread);
  EXPECT_GE(ticks, 3);
  EXPECT_TRUE(report.before.empty());
  ASSERT_FALSE(report.after.empty());
  EXPECT_EQ(migrate::current(db, options), report.after);
  EXPECT_EQ(blocking()->execute("SELECT count(*) FROM events").at(0)[0].as_int64(), 0);
}

TEST_F(AsyncPgTest, OffloadRethrowsWhatTheWorkThrew) {
  Database db(schema_.url());
  const migrate::MigrateOptions options = builtin_migrations();
  std::string message;
  bool ran_void = false;
  run([&]() -> asio::awaitable<void> {
    try {
      co_await async::offload([&] { return migrate::upgrade(db, "no_such_revision", options); });
    } catch (const Error& e) {
      message = e.what();
    }
    co_await async::offload([&] { ran_void = true; });
  });
  EXPECT_NE(message.find("no_such_revision"), std::string::npos) << message;
  EXPECT_TRUE(ran_void);
  EXPECT_TRUE(migrate::current(db, options).empty());
}

}  // namespace
}  // namespace retort

// next_notification(): LISTEN/NOTIFY as an awaitable, on the real server; cancellation of the
// wait; SQLite's clear refusal.
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "async_fixture.hpp"
#include "retort/error.hpp"

namespace retort {
namespace {

using namespace std::chrono_literals;
using testing::AsyncPgTest;
using testing::AsyncSqliteTest;

// Two notifications sent before the wait (one while another statement ran) come first, in
// order; a third, sent while the coroutine waits, wakes it; a timer kept ticking meanwhile.
TEST_F(AsyncPgTest, NotificationsArriveInOrderAndWakeAWaitingCoroutine) {
  std::vector<async::Notification> got;
  int ticks_while_waiting = 0;
  auto notifier = blocking();
  // Sends the third notification after three ticks (spawned coroutines are lambdas that outlive
  // them: GCC 12 mishandles coroutine lambdas nested in coroutines).
  auto sender = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < 3; ++i) {
      timer.expires_after(20ms);
      co_await timer.async_wait(asio::use_awaitable);
      ++ticks_while_waiting;
    }
    notifier->execute("NOTIFY events_channel, 'third'");
  };
  run([&]() -> asio::awaitable<void> {
    auto listener = co_await open();
    co_await listener->execute("LISTEN events_channel");
    notifier->execute("NOTIFY events_channel, 'first'");
    co_await listener->execute("SELECT pg_sleep(0.05)");  // 'first' arrives during this one
    notifier->execute("NOTIFY events_channel, 'second'");
    got.push_back(co_await listener->next_notification());
    got.push_back(co_await listener->next_notification());
    // Nothing is pending now: the third is sent from this thread while the wait runs.
    asio::co_spawn(co_await asio::this_coro::executor, sender(), asio::detached);
    got.push_back(co_await listener->next_notification());
    EXPECT_EQ((co_await listener->execute("SELECT 7")).at(0)[0].as_int64(), 7);
  });
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].payload, "first");
  EXPECT_EQ(got[1].payload, "second");
  EXPECT_EQ(got[2].payload, "third");
  EXPECT_EQ(got[2].channel, "events_channel");
  EXPECT_GT(got[2].backend_pid, 0);
  EXPECT_EQ(ticks_while_waiting, 3);
}

TEST_F(AsyncPgTest, CancellingTheWaitLeavesTheConnectionUsable) {
  std::unique_ptr<async::Connection> listener;
  bool aborted = false;
  bool finished = false;
  auto waiter = [&]() -> asio::awaitable<void> {
    try {
      co_await listener->next_notification();
    } catch (const std::system_error& e) {
      aborted = e.code() == asio::error::operation_aborted;
    }
    finished = true;
  };
  run([&]() -> asio::awaitable<void> {
    listener = co_await open();
    co_await listener->execute("LISTEN quiet_channel");
    const async::Executor executor = co_await asio::this_coro::executor;
    asio::cancellation_signal cancel;
    asio::co_spawn(executor, waiter(), asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    asio::steady_timer pause(executor);
    pause.expires_after(30ms);
    co_await pause.async_wait(asio::use_awaitable);
    EXPECT_FALSE(finished);
    cancel.emit(asio::cancellation_type::terminal);
    while (!finished) {
      pause.expires_after(5ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    EXPECT_FALSE(listener->is_broken());
    blocking()->execute("NOTIFY quiet_channel, 'later'");
    EXPECT_EQ((co_await listener->next_notification()).payload, "later");
  });
  EXPECT_TRUE(aborted);
}

TEST_F(AsyncSqliteTest, NotificationsAreRefusedClearly) {
  std::string message;
  run([&]() -> asio::awaitable<void> {
    auto c = co_await open();
    try {
      co_await c->next_notification();
    } catch (const UsageError& e) {
      message = e.what();
    }
  });
  EXPECT_NE(message.find("SQLite has no notifications"), std::string::npos) << message;
}

}  // namespace
}  // namespace retort

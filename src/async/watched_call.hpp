// Blocking work on one of retort's threads (helper_thread.hpp), awaited without tying the worker
// to the caller's io_context: what opening a connection needs, since a pool may be destroyed,
// with its io_context, while a connection is still opening.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

namespace retort::async::detail {

// One call's state, shared by the worker and the awaiting coroutine.
template <class T>
struct WatchedCall {
  std::mutex mutex;
  bool done = false;
  bool unwatched = false;  // the awaiting coroutine is gone, or has its result: post nothing
  std::optional<T> value;
  std::exception_ptr failure;
};

// Runs work() on `where` and resumes the awaiting coroutine on its own executor with its value,
// or rethrows what it threw. Unlike co_spawn onto `where`, the worker holds nothing that counts
// as work of the caller's io_context: co_spawn's completion did, and a worker still finishing
// when the caller's io_context was destroyed then touched it (ASan, in
// AsyncSqliteTest.ShutdownWithCallsInFlightLeaksNothing). Here the caller waits on a timer of its
// own, which the worker cancels only while the caller still waits; the caller's frame marks the
// call unwatched when it goes, finished or destroyed. Not cancellable: work runs to its end.
template <class T, class Work>
asio::awaitable<T> watched_call(asio::thread_pool& where, Work work) {
  const auto executor = co_await asio::this_coro::executor;
  auto call = std::make_shared<WatchedCall<T>>();
  asio::steady_timer wake(executor, asio::steady_timer::time_point::max());
  struct StopWatching {  // destroyed before wake: no wake-up reaches a dead timer
    std::shared_ptr<WatchedCall<T>> call;
    ~StopWatching() {
      std::lock_guard lock(call->mutex);
      call->unwatched = true;
    }
  } const watching{call};
  asio::post(where, [call, work = std::move(work), executor, timer = &wake]() mutable {
    std::optional<T> value;
    std::exception_ptr failure;
    try {
      value.emplace(work());
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard lock(call->mutex);
    call->value = std::move(value);
    call->failure = failure;
    call->done = true;
    if (call->unwatched) return;
    asio::post(executor, [call, timer] {
      std::lock_guard relock(call->mutex);
      if (!call->unwatched) timer->cancel();
    });
  });
  for (;;) {
    {
      std::lock_guard lock(call->mutex);
      if (call->done) break;
    }
    std::error_code ec;
    bool cancelled = false;
    try {
      co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    } catch (const std::system_error&) {
      cancelled = true;  // before the wait began
    }
    if (cancelled || ec == asio::error::operation_aborted) {
      co_await asio::this_coro::reset_cancellation_state();
    }
  }
  if (call->failure != nullptr) std::rethrow_exception(call->failure);
  co_return std::move(*call->value);
}

}  // namespace retort::async::detail

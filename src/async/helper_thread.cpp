#include "async/helper_thread.hpp"

#include "retort/async.hpp"

namespace retort::async::detail {

asio::thread_pool& helper_thread() {
  static asio::thread_pool pool(1);
  return pool;
}

asio::thread_pool& sqlite_workers() {
  static asio::thread_pool pool(kSqliteWorkers);
  return pool;
}

Executor worker_executor() {
  return sqlite_workers().get_executor();
}

}  // namespace retort::async::detail

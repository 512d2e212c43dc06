#include "async/helper_thread.hpp"

namespace retort::async::detail {

asio::thread_pool& helper_thread() {
  static asio::thread_pool pool(1);
  return pool;
}

asio::thread_pool& sqlite_workers() {
  static asio::thread_pool pool(kSqliteWorkers);
  return pool;
}

}  // namespace retort::async::detail

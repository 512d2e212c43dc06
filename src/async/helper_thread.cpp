#include "async/helper_thread.hpp"

namespace retort::async::detail {

asio::thread_pool& helper_thread() {
  static asio::thread_pool pool(1);
  return pool;
}

}  // namespace retort::async::detail

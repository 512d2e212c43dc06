// async::Database and async::Transaction: what is not a template in retort/async.hpp.
#include <string>

#include "retort/async.hpp"

namespace retort::async {

Database::Database(Executor executor, DatabaseUrl url, PoolOptions pool,
                   ConnectionOptions connection)
    : pool_(std::move(executor), std::move(url), pool, connection) {}

asio::awaitable<Result> Database::execute(std::string sql, std::vector<Value> params,
                                          StatementOptions options) {
  PooledConnection connection = co_await pool_.acquire();
  // Started outside the co_await: GCC 12 keeps a co_await expression's temporaries (here the
  // moved arguments) in the frame, which each coroutine waiting in acquire() carries.
  asio::awaitable<Result> run = connection->execute(std::move(sql), std::move(params), options);
  co_return co_await std::move(run);
}

std::string Transaction::savepoint_name() const {
  return "retort_async_sp" + std::to_string(depth_);
}

asio::awaitable<void> Transaction::run_control(std::string sql) {
  co_await connection_->execute(std::move(sql), std::vector<Value>(), StatementOptions{});
}

}  // namespace retort::async

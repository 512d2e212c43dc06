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
  co_return co_await connection->execute(std::move(sql), std::move(params), options);
}

std::string Transaction::savepoint_name() const {
  return "retort_async_sp" + std::to_string(depth_);
}

asio::awaitable<void> Transaction::run_control(std::string sql) {
  co_await connection_->execute(std::move(sql), std::vector<Value>(), StatementOptions{});
}

}  // namespace retort::async

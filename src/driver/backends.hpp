// The two backends behind retort::connect().
#pragma once

#include <memory>

#include "retort/connection.hpp"

namespace retort::driver {

std::unique_ptr<Connection> connect_postgresql(const DatabaseUrl& url,
                                               const ConnectionOptions& options);
std::unique_ptr<Connection> connect_sqlite(const DatabaseUrl& url, const ConnectionOptions& options);

}  // namespace retort::driver

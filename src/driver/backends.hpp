// The two backends behind retort::connect().
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "retort/connection.hpp"

namespace retort::driver {

std::unique_ptr<Connection> connect_postgresql(const DatabaseUrl& url,
                                               const ConnectionOptions& options);
std::unique_ptr<Connection> connect_sqlite(const DatabaseUrl& url,
                                           const ConnectionOptions& options);

// Copies the SQLite database file at source to destination (which must not exist, or be empty:
// the caller may create it first with the permissions it wants) with SQLite's
// online backup API: a consistent snapshot taken in one read transaction, while other
// connections go on reading and writing. The copy is a self-contained file (rollback journal
// mode, no -wal). Throws Error naming the file and SQLite's reason; a failed copy is removed.
void backup_sqlite(const std::string& source, const std::filesystem::path& destination);

}  // namespace retort::driver

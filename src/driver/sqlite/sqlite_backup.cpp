// driver::backup_sqlite: SQLite's online backup API (sqlite3_backup_*).
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "driver/backends.hpp"
#include "retort/error.hpp"

namespace retort::driver {
namespace {

namespace fs = std::filesystem;

struct Closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

constexpr int kBusyRetries = 200;  // x 50 ms: up to 10 s waiting for a writer to finish

Handle open(const std::string& path, int flags, std::string_view what) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Handle handle(raw);
  if (rc != SQLITE_OK) {
    throw Error(fmt::format("cannot open the {} {}: {}", what, path,
                            raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 5000);
  return handle;
}

// One sqlite3_backup_step(-1) copies every page in a single read transaction, so the copy is a
// snapshot; BUSY/LOCKED (a writer holds the lock) are retried.
void copy_pages(sqlite3* from, sqlite3* to, const std::string& source) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) {
    throw Error(fmt::format("cannot start the backup of {}: {}", source, sqlite3_errmsg(to)));
  }
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < kBusyRetries; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    sqlite3_sleep(50);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    throw Error(fmt::format("the backup of {} failed: {}", source, sqlite3_errstr(rc)));
  }
}

}  // namespace

void backup_sqlite(const std::string& source, const fs::path& destination) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    throw Error(fmt::format("the SQLite database {} does not exist", source));
  }
  if (fs::exists(destination, ec) && fs::file_size(destination, ec) > 0) {
    throw Error(fmt::format("the backup file {} exists already", destination.string()));
  }
  try {
    Handle from = open(source, SQLITE_OPEN_READWRITE, "SQLite database");
    Handle to =
        open(destination.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "backup file");
    copy_pages(from.get(), to.get(), source);
    // The pages carry the source's WAL mode; a backup is one self-contained file.
    char* error = nullptr;
    if (sqlite3_exec(to.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &error) !=
        SQLITE_OK) {
      const std::string reason = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      throw Error(
          fmt::format("cannot finish the backup file {}: {}", destination.string(), reason));
    }
  } catch (...) {
    fs::remove(destination, ec);
    throw;
  }
}

}  // namespace retort::driver

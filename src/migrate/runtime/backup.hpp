// Backups before migrating (`retort upgrade --backup DIR`, MigrateOptions::backup_dir).
//
// PostgreSQL: pg_dump --format=custom (restore with pg_restore), the whole database, connecting
// with the URL's parameters through a temporary libpq service file (mode 0600, removed after),
// so no password appears on a command line or in the environment of the child. SQLite: SQLite's
// online backup API into a self-contained file. Either way the file is created with mode 0600
// (it holds all the data) and named DATABASE-YYYYMMDDTHHMMSSZ-from-REVISIONS.dump|.db.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/settings.hpp"

namespace retort::migrate {

// Writes a backup of url's database into dir (created with mode 0700 when missing) and returns
// the file's absolute path. `current_rows` are the version rows before the run (for the name).
// Throws BackupError saying what failed (pg_dump's own message, scrubbed of secrets); a partly
// written file is removed.
std::filesystem::path take_backup(const DatabaseUrl& url, const std::filesystem::path& dir,
                                  const std::vector<std::string>& current_rows,
                                  const std::function<void(std::string_view)>& log);

// DATABASE-YYYYMMDDTHHMMSSZ-from-REVISIONS + extension; characters unsafe in file names become
// '_'. Exposed for tests.
std::string backup_file_name(std::string_view database, const std::vector<std::string>& rows,
                             std::string_view extension);

}  // namespace retort::migrate

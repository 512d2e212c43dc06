// The tables retort keeps in the migrated database, per dialect:
//
//   retort_version  (version_num VARCHAR(32) NOT NULL, CONSTRAINT retort_version_pkc PRIMARY KEY
//                    (version_num))       -- Alembic's layout: one row per current head
//   retort_history  (id, revision, direction, checksum, script, applied_at, duration_ms,
//                    applied_by, retort_version, backup)               -- append-only
//                    backup: the file `--backup DIR` wrote before the run, NULL otherwise;
//                    history tables made before the column existed get it (ALTER TABLE ADD
//                    COLUMN) the first time a run records a backup.
//   retort_progress (revision, direction, statement_index, checksum, updated_at)
//                    -- how far a non-transactional revision got (deleted when it completes)
//
// Every statement exists in two forms: with bound parameters for online runs, and with literal
// values for `--sql` output.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/plan.hpp"
#include "retort/connection.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {

// history.direction values.
inline constexpr std::string_view kUpgrade = "upgrade";
inline constexpr std::string_view kDowngrade = "downgrade";
inline constexpr std::string_view kStamp = "stamp";      // the revision was stamped as applied
inline constexpr std::string_view kUnstamp = "unstamp";  // stamped away (no SQL ran)
inline constexpr std::string_view kAccept = "accept";    // a changed checksum was accepted

struct HistoryRecord {
  std::string revision;
  std::string direction;
  std::string checksum;  // empty when NULL
  std::string script;    // the file, as given when recorded
};

struct Progress {
  int statement_index = 0;  // statements completed
  std::string checksum;     // of those statements' text
};

// SQL string literal: 'text' with quotes doubled.
std::string sql_literal(std::string_view text);

class VersionStore {
 public:
  VersionStore(const Settings& settings, Dialect dialect);

  Dialect dialect() const noexcept { return dialect_; }
  const std::string& version_table() const noexcept { return version_; }

  // DDL.
  std::string create_version_table() const;
  std::string create_history_table(bool if_not_exists) const;
  std::string create_progress_table() const;
  std::string drop_version_table() const;

  // Literal forms for --sql output (no terminating ';').
  std::string op_literal(const VersionOp& op) const;
  std::string history_literal(std::string_view revision, std::string_view direction,
                              std::string_view checksum, std::string_view script) const;

  // Online: what exists, creating what is missing (version and history tables; the progress
  // table only when `with_progress`).
  void ensure_tables(Connection& c, bool with_progress);
  bool has_version_table(Connection& c);
  std::vector<std::string> read_rows(Connection& c);  // empty when the table does not exist
  // Every history record, oldest first (empty when the table does not exist).
  std::vector<HistoryRecord> read_history(Connection& c);

  // Adds the backup column to a history table created before it existed (no-op otherwise).
  void ensure_backup_column(Connection& c);
  // History rows written from now on name this backup file (empty: none).
  void set_backup(std::string path) { backup_ = std::move(path); }

  // Online statements (bound parameters).
  Statement op_statement(const VersionOp& op) const;
  Statement history_statement(std::string_view revision, std::string_view direction,
                              std::string_view checksum, std::string_view script,
                              std::optional<double> duration_ms) const;
  Statement purge_statement() const;

  std::optional<Progress> read_progress(Connection& c, std::string_view revision,
                                        std::string_view direction);
  Statement save_progress(std::string_view revision, std::string_view direction,
                          const Progress& progress) const;
  Statement clear_progress(std::string_view revision, std::string_view direction) const;

 private:
  struct Existing {
    bool version = false, history = false, progress = false;
  };
  Existing existing(Connection& c);

  Dialect dialect_;
  std::string version_raw_, history_raw_, progress_raw_;  // names as configured
  std::string version_, history_, progress_;              // as they go into SQL
  std::string pkc_;                                       // the primary key constraint's name
  std::string os_user_;                                   // applied_by on SQLite
  std::string backup_;                                    // see set_backup
  std::optional<Existing> known_;                         // cached by existing()
};

}  // namespace retort::migrate

// copy_in on SQLite: one prepared INSERT run per row inside a savepoint.
//
// The savepoint does two jobs: outside a transaction it makes the whole copy one transaction
// (one fsync instead of one per row, which is what makes bulk loads fast), and in every case it
// lets an abandoned or failed copy undo exactly its own rows, as a failed COPY does on
// PostgreSQL.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/text.hpp"
#include "driver/sqlite/sqlite_connection.hpp"
#include "driver/sqlite/sqlite_values.hpp"
#include "retort/error.hpp"

namespace retort::driver::sqlite {
namespace {

std::string insert_sql(const QualifiedName& table, std::span<const std::string> columns) {
  std::string sql = fmt::format("INSERT INTO {} (", table.quoted());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += Connection::quote_identifier(columns[i]);
  }
  sql += ") VALUES (";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    sql += fmt::format("{}${}", i > 0 ? ", " : "", i + 1);
  }
  sql += ')';
  return sql;
}

class SqliteCopyWriter final : public CopyWriter {
 public:
  SqliteCopyWriter(std::shared_ptr<SqliteDb> db, const QualifiedName& table,
                   std::span<const std::string> columns, const CopyOptions& options)
      : db_(std::move(db)),
        table_(table.display()),
        columns_(columns.begin(), columns.end()),
        sql_(insert_sql(table, columns)) {
    if (columns_.empty()) throw UsageError("copy_in needs at least one column");
    // SQLite decides whether an INSERT evaluates CHECKs when it compiles it, and changing the
    // pragma recompiles every statement: so it stays on until the copy ends.
    if (options.checks_verified) skip_checks();
    try {
      // Prepared before the savepoint opens, so a missing table or column leaves nothing behind.
      insert_ = prepare_single(*db_, sql_, true);
      savepoint_ = db_->next_savepoint_name("retort_copy");
      db_->exec_script("SAVEPOINT " + savepoint_);
    } catch (...) {
      insert_.reset();
      restore_checks();
      throw;
    }
  }

  ~SqliteCopyWriter() override {
    insert_.reset();
    restore_checks();
    if (state_ == State::open) abandon_savepoint(*db_, savepoint_);
  }

  void write_row(std::span<const Value> row) override {
    require_open("write_row");
    check_row(row);
    sqlite3_stmt* stmt = insert_->get();
    try {
      bind_params(*db_, *insert_, row, sql_);
      int rc = sqlite3_step(stmt);
      if (rc != SQLITE_DONE) db_->fail(rc, sql_);  // reads the message before the reset
    } catch (const DatabaseError&) {
      sqlite3_reset(stmt);
      // Like a failed COPY: the whole copy is void, not just this row.
      fail_copy();
      throw;
    } catch (...) {
      sqlite3_reset(stmt);
      throw;
    }
    // Bindings are not cleared: the next row rebinds every slot, and finish() finalizes.
    sqlite3_reset(stmt);
    ++rows_;
  }

  std::int64_t finish() override {
    require_open("finish");
    insert_.reset();
    restore_checks();
    try {
      db_->exec_script("RELEASE " + savepoint_);
    } catch (...) {
      // E.g. a deferred foreign key failing as the outermost savepoint commits.
      fail_copy();
      throw;
    }
    state_ = State::finished;
    return rows_;
  }

 private:
  enum class State { open, finished, failed };

  void require_open(const char* what) const {
    if (state_ == State::finished) {
      throw UsageError(fmt::format("copy into {}: {}() after finish()", table_, what));
    }
    if (state_ == State::failed) {
      throw UsageError(fmt::format(
          "copy into {}: {}() after the copy failed (nothing of it was stored)", table_, what));
    }
  }

  // Text checks name the column and row: "parameter $3" means little to a bulk loader.
  void check_row(std::span<const Value> row) const {
    if (row.size() != columns_.size()) {
      throw UsageError(fmt::format("copy into {}: row {} has {} values, expected {}", table_,
                                   rows_ + 1, row.size(), columns_.size()));
    }
    try {
      check_text_params(row);
    } catch (const InvalidInput& e) {
      std::size_t column = parameter_index(e.field());
      std::string field = column < columns_.size() ? columns_[column] : e.field();
      throw InvalidInput(field, fmt::format("{} (row {})", e.reason(), rows_ + 1), e.offset());
    }
  }

  // Which column an InvalidInput from check_text_params is about: its field is
  // text::parameter_name(index), so find the index whose name matches.
  std::size_t parameter_index(const std::string& field) const {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (text::parameter_name(i) == field) return i;
    }
    return columns_.size();
  }

  void fail_copy() noexcept {
    state_ = State::failed;
    insert_.reset();
    restore_checks();
    abandon_savepoint(*db_, savepoint_);
  }

  void skip_checks() {
    db_->exec_script("PRAGMA ignore_check_constraints = ON");
    db_->set_checks_skipped(true);
    skipping_checks_ = true;
  }

  // Idempotent. If the pragma cannot be turned off, the handle is unusable: every later
  // statement would skip its CHECKs, so the connection must not be reused.
  void restore_checks() noexcept {
    if (!skipping_checks_) return;
    skipping_checks_ = false;
    if (db_->exec_quietly("PRAGMA ignore_check_constraints = OFF")) {
      db_->set_checks_skipped(false);
    } else {
      db_->mark_broken();
    }
  }

  std::shared_ptr<SqliteDb> db_;
  std::string table_;
  std::vector<std::string> columns_;
  std::string sql_;
  std::unique_ptr<PreparedStatement> insert_;
  std::string savepoint_;
  std::int64_t rows_ = 0;
  State state_ = State::open;
  bool skipping_checks_ = false;
};

}  // namespace

std::unique_ptr<CopyWriter> make_copy_writer(std::shared_ptr<SqliteDb> db,
                                             const QualifiedName& table,
                                             std::span<const std::string> columns,
                                             const CopyOptions& options) {
  return std::make_unique<SqliteCopyWriter>(std::move(db), table, columns, options);
}

}  // namespace retort::driver::sqlite

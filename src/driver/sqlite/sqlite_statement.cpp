#include "driver/sqlite/sqlite_statement.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

#include <fmt/format.h>

#include "retort/error.hpp"

namespace retort::driver::sqlite {
namespace {

// "$12" or "?12" -> 12; 0 when the name is not a number after its sigil.
std::size_t parameter_number(std::string_view name) {
  std::size_t number = 0;
  std::string_view digits = name.substr(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
  return number;
}

bool only_blanks_left(SqliteDb& db, std::string_view rest) {
  // Whitespace, ';' and comments compile to no statement; anything else is a second statement.
  if (rest.find_first_not_of(" \t\r\n\f\v;") == std::string_view::npos) return true;
  return db.prepare(rest, 0) == nullptr;
}

}  // namespace

ParamLayout ParamLayout::of(sqlite3_stmt* stmt) {
  ParamLayout layout;
  int count = sqlite3_bind_parameter_count(stmt);
  layout.param_of_slot.reserve(static_cast<std::size_t>(count));
  for (int slot = 1; slot <= count; ++slot) {
    const char* raw_name = sqlite3_bind_parameter_name(stmt, slot);
    std::size_t param = static_cast<std::size_t>(slot) - 1;  // anonymous "?": positional
    if (raw_name != nullptr) {
      std::string_view name(raw_name);
      std::size_t number = name.front() == '$' || name.front() == '?' ? parameter_number(name) : 0;
      if (number == 0) {
        throw UsageError(fmt::format(
            "parameter '{}' is not supported: use $1, $2, ... (or ?) placeholders", name));
      }
      param = number - 1;
    }
    layout.param_of_slot.push_back(param);
    layout.expected = std::max(layout.expected, param + 1);
  }
  return layout;
}

std::unique_ptr<PreparedStatement> prepare_single(SqliteDb& db, std::string_view sql,
                                                  bool persistent) {
  // PERSISTENT tells SQLite the statement will be reused many times, so it allocates from the
  // heap instead of its small lookaside pool, which one-shot statements should keep.
  const char* tail = nullptr;
  StmtPtr stmt = db.prepare(sql, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &tail);
  if (!stmt) return nullptr;
  std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (!only_blanks_left(db, rest)) {
    throw UsageError(
        "execute() runs a single statement; this SQL holds several (use execute_script for "
        "scripts without parameters)");
  }
  ParamLayout layout = ParamLayout::of(stmt.get());
  return std::make_unique<PreparedStatement>(std::move(stmt), std::move(layout));
}

PreparedStatement* StatementCache::find(std::string_view sql) {
  auto it = index_.find(sql);
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->statement.get();
}

PreparedStatement* StatementCache::insert(std::string sql,
                                          std::unique_ptr<PreparedStatement> statement) {
  PreparedStatement* stored = statement.get();
  entries_.push_front(Entry{std::move(sql), std::move(statement)});
  // A statement with the same text may already be cached (a stream() callback re-running the
  // query it is streaming gets a fresh one); the newer one replaces it in the index only, and
  // the older one ages out of the list.
  index_.insert_or_assign(entries_.front().sql, entries_.begin());
  evict_to_capacity();
  return stored;
}

void StatementCache::evict_to_capacity() {
  // Walks from the least recently used end and stops short of the front: the newest entry is
  // about to be leased by the caller that inserted it.
  auto newest = entries_.begin();
  auto it = entries_.end();
  while (entries_.size() > capacity_ && std::prev(it) != newest) {
    --it;
    if (it->statement->in_use) continue;  // a running stream: evict it later
    auto found = index_.find(it->sql);
    if (found != index_.end() && found->second == it) index_.erase(found);
    it = entries_.erase(it);
  }
}

void StatementCache::clear() noexcept {
  index_.clear();
  entries_.clear();
}

StatementLease::~StatementLease() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_->get());
  sqlite3_clear_bindings(statement_->get());
  statement_->in_use = false;
}

}  // namespace retort::driver::sqlite

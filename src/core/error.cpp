#include "retort/error.hpp"

#include <fmt/format.h>

#include <string_view>

#include "core/redact.hpp"

namespace retort {
namespace {

std::string describe_input(const std::string& field, const std::string& reason,
                           std::size_t offset) {
  if (offset == InvalidInput::npos) return fmt::format("invalid {}: {}", field, reason);
  return fmt::format("invalid {}: {} at byte {}", field, reason, offset);
}

// "ERROR 23505: duplicate key ... DETAIL: ... HINT: ... (statement: INSERT ...)"
std::string describe_database_error(const ErrorInfo& info) {
  std::string text = fmt::format("{}: {}", info.sqlstate, info.message);
  if (!info.detail.empty()) text += fmt::format("; DETAIL: {}", info.detail);
  if (!info.hint.empty()) text += fmt::format("; HINT: {}", info.hint);
  if (!info.statement.empty()) {
    constexpr std::size_t kMaxStatement = 200;
    std::string_view sql = info.statement;
    bool cut = sql.size() > kMaxStatement;
    text += fmt::format(" (statement: {}{})", sql.substr(0, kMaxStatement), cut ? "..." : "");
  }
  return redact::scrub(text);
}

}  // namespace

InvalidInput::InvalidInput(std::string field, std::string reason, std::size_t offset)
    : Error(describe_input(field, reason, offset)),
      field_(std::move(field)),
      reason_(std::move(reason)),
      offset_(offset) {}

DatabaseError::DatabaseError(ErrorInfo info)
    : Error(describe_database_error(info)), info_(std::move(info)) {}

void throw_database_error(ErrorInfo info) {
  const std::string state = info.sqlstate;
  const std::string_view cls = std::string_view(state).substr(0, 2);
  if (state == "23505") throw UniqueViolation(std::move(info));
  if (state == "23503") throw ForeignKeyViolation(std::move(info));
  if (state == "23514") throw CheckViolation(std::move(info));
  if (state == "23502") throw NotNullViolation(std::move(info));
  if (cls == "23") throw IntegrityError(std::move(info));
  if (state == "40001") throw SerializationFailure(std::move(info));
  if (state == "40P01") throw DeadlockDetected(std::move(info));
  if (cls == "40") throw TransactionRollback(std::move(info));
  if (state == "55P03") throw LockNotAvailable(std::move(info));
  if (state == "57014") throw QueryCanceled(std::move(info));
  // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now — the link is gone.
  if (cls == "08" || state == "57P01" || state == "57P02" || state == "57P03")
    throw ConnectionError(std::move(info));
  if (cls == "22") throw DataException(std::move(info));
  if (state == "42601") throw SyntaxError(std::move(info));
  if (state == "42P01") throw UndefinedTable(std::move(info));
  if (state == "42703") throw UndefinedColumn(std::move(info));
  if (state == "42P07" || state == "42710") throw DuplicateObject(std::move(info));
  if (state == "42501") throw InsufficientPrivilege(std::move(info));
  if (cls == "42") throw SyntaxOrAccessError(std::move(info));
  throw DatabaseError(std::move(info));
}

}  // namespace retort

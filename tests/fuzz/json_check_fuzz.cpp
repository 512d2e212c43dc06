// Fuzz target: the event JSON check (retort::events::check_json / validate_json).
//
// Contract checked, against two independent parsers:
// - check_json never throws; a problem's offset lies within the text;
// - it accepts exactly the texts nlohmann::json accepts that are valid UTF-8 without NUL bytes,
//   nest at most text::kMaxJsonDepth levels and hold no \u0000 escape;
// - every accepted text passes SQLite's json_valid(), the CHECK of the events table, so no event
//   retort lets through can fail at the database instead;
// - validate_json throws InvalidInput exactly when check_json reports a problem.
#include <sqlite3.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/text.hpp"
#include "fuzz_check.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace {

using retort::fuzz::require;

// The reference verdict, from nlohmann::json and the documented extra rules.
bool acceptable(std::string_view text) {
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) return false;
  if (retort::text::find_invalid_utf8(text)) return false;
  // The callback sees each array or object start with the number of levels around it.
  bool too_deep = false;
  const auto depth_guard = [&too_deep](int depth, nlohmann::json::parse_event_t event,
                                       nlohmann::json&) {
    using Event = nlohmann::json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) &&
        static_cast<std::size_t>(depth) + 1 > retort::text::kMaxJsonDepth) {
      too_deep = true;
    }
    return !too_deep;
  };
  const nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), depth_guard,
                                                      /*allow_exceptions=*/false);
  if (too_deep || parsed.is_discarded()) return false;
  return !retort::text::find_json_nul_escape(text).has_value();
}

sqlite3* sqlite() {
  static sqlite3* db = [] {
    sqlite3* handle = nullptr;
    require(sqlite3_open(":memory:", &handle) == SQLITE_OK, "sqlite3_open");
    return handle;
  }();
  return db;
}

bool sqlite_json_valid(std::string_view text) {
  static sqlite3_stmt* statement = [] {
    sqlite3_stmt* s = nullptr;
    require(sqlite3_prepare_v2(sqlite(), "SELECT json_valid(?1)", -1, &s, nullptr) == SQLITE_OK,
            "prepare json_valid");
    return s;
  }();
  sqlite3_reset(statement);
  sqlite3_bind_text(statement, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  require(sqlite3_step(statement) == SQLITE_ROW, "json_valid step");
  bool valid = sqlite3_column_int(statement, 0) == 1;
  sqlite3_reset(statement);
  return valid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = retort::fuzz::as_text(data, size);
  const std::optional<retort::events::JsonProblem> problem = retort::events::check_json(text);
  if (problem) {
    require(!problem->reason.empty(), "a refusal names its reason");
    require(problem->offset <= text.size(), "the offset lies within the text", problem->reason);
  }
  const bool expected = acceptable(text);
  require(expected == !problem.has_value(),
          expected ? "check_json refused a valid document" : "check_json accepted an invalid text",
          problem ? problem->reason : std::string(text));
  if (!problem) require(sqlite_json_valid(text), "SQLite's json_valid refuses an accepted event");

  // The size limit comes first and reports the limit as the offset.
  if (!text.empty()) {
    std::optional<retort::events::JsonProblem> over = retort::events::check_json(text, size - 1);
    require(over.has_value() && over->offset == size - 1, "the size limit is enforced");
  }

  bool threw = false;
  try {
    retort::events::validate_json(text);
  } catch (const retort::InvalidInput&) {
    threw = true;
  }
  require(threw == problem.has_value(), "validate_json throws exactly when check_json refuses");
  return 0;
}

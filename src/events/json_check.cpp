// Validation of event JSON before it reaches a database: size, NUL, UTF-8, depth, syntax,
// \u0000.
#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

// Where nlohmann's parser stops on text (0-based byte offset), and its message.
std::optional<JsonProblem> locate_syntax_error(std::string_view text) {
  try {
    const nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end());
    (void)parsed;
    return std::nullopt;
  } catch (const nlohmann::json::parse_error& e) {
    std::size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    if (offset > text.size()) offset = text.size();
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while
    // parsing value - invalid literal; last read: 'tru,'" -> keep the part after the position.
    const std::size_t colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    return JsonProblem{"malformed JSON: " + what, offset};
  } catch (const std::exception& e) {
    return JsonProblem{std::string("malformed JSON: ") + e.what(), 0};
  }
}

}  // namespace

std::optional<JsonProblem> check_json(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return JsonProblem{
        fmt::format("event is {} bytes, over the maximum of {} bytes", text.size(), max_bytes),
        max_bytes};
  }
  if (const void* nul = std::memchr(text.data(), '\0', text.size()); nul != nullptr) {
    return JsonProblem{"NUL byte in JSON text",
                       static_cast<std::size_t>(static_cast<const char*>(nul) - text.data())};
  }
  if (std::optional<std::size_t> bad = text::find_invalid_utf8(text)) {
    return JsonProblem{"invalid UTF-8", *bad};
  }
  // The depth first, by a byte scan, before any parser builds anything: a line of 50 million
  // '[' must cost its own bytes, not a tree of 50 million arrays. A text shorter than the limit
  // cannot be nested deeper (one byte per level), so most events skip the scan.
  if (text.size() > text::kMaxJsonDepth) {
    if (std::optional<std::size_t> at = text::find_excess_json_nesting(text)) {
      return JsonProblem{fmt::format("JSON nested deeper than {} levels", text::kMaxJsonDepth),
                         *at};
    }
  }
  {
    thread_local simdjson::dom::parser parser;
    simdjson::simdjson_result<simdjson::dom::element> parsed =
        parser.parse(text.data(), text.size());
    if (parsed.error() != simdjson::SUCCESS) {
      // simdjson says what, not where: a second parse finds the byte. If that one accepts the
      // text (a number simdjson cannot represent, say), the document is valid JSON.
      // (simdjson also stops at 1024 levels: deeper text within the limit is accepted here.)
      std::optional<JsonProblem> located = locate_syntax_error(text);
      if (located) return located;
    }
  }
  if (std::optional<std::size_t> at = text::find_json_nul_escape(text)) {
    return JsonProblem{"\\u0000 escape in JSON text (PostgreSQL's jsonb cannot store it)", *at};
  }
  return std::nullopt;
}

void validate_json(std::string_view text, std::string_view field, std::size_t max_bytes) {
  if (std::optional<JsonProblem> problem = check_json(text, max_bytes)) {
    throw InvalidInput(std::string(field), problem->reason, problem->offset);
  }
}

}  // namespace retort::events

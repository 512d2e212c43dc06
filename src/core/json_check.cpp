// The JSON check: simdjson settles a valid document in one pass (UTF-8, control characters and
// syntax at once); only a refused one is examined again, reason by reason in the documented
// order, to say what is wrong and at which byte.
#include "core/json_check.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "retort/error.hpp"

namespace retort {
namespace detail {

// The one place that marks a JsonText checked (a friend of JsonText).
struct JsonCheck {
  static JsonText checked(std::string text) noexcept {
    JsonText document(std::move(text));
    document.checked_ = true;
    return document;
  }
};

}  // namespace detail

namespace json {
namespace {

// Where nlohmann's parser stops on text (0-based byte offset), and its message; nullopt if it
// accepts the text (a number simdjson cannot represent, which PostgreSQL's numeric can).
std::optional<Problem> locate_syntax_error(std::string_view text) {
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
    return Problem{"malformed JSON: " + what, offset};
  } catch (const std::exception& e) {
    return Problem{std::string("malformed JSON: ") + e.what(), 0};
  }
}

// True when simdjson accepts text. Its DOM parser also validates UTF-8, refuses control
// characters (NUL among them) and stops at 1024 levels, so success settles every check but the
// \u0000 escape.
bool simdjson_accepts(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  return parser.parse(text.data(), text.size()).error() == simdjson::SUCCESS;
}

// The reasons of a text simdjson refused, in the order of the contract (each check assumes the
// earlier ones passed); nullopt when nlohmann accepts it after all.
std::optional<Problem> explain_refusal(std::string_view text) {
  if (const void* nul = std::memchr(text.data(), '\0', text.size()); nul != nullptr) {
    return Problem{"NUL byte in JSON text",
                   static_cast<std::size_t>(static_cast<const char*>(nul) - text.data())};
  }
  if (std::optional<std::size_t> bad = text::find_invalid_utf8(text)) {
    return Problem{"invalid UTF-8", *bad};
  }
  // The depth by a byte scan before nlohmann builds anything: a line of 50 million '[' must cost
  // its own bytes, not a tree of 50 million arrays. Shorter text cannot be nested deeper.
  if (text.size() > text::kMaxJsonDepth) {
    if (std::optional<std::size_t> at = text::find_excess_json_nesting(text)) {
      return Problem{fmt::format("JSON nested deeper than {} levels", text::kMaxJsonDepth), *at};
    }
  }
  return locate_syntax_error(text);
}

}  // namespace

std::optional<Problem> find_problem(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Problem{
        fmt::format("event is {} bytes, over the maximum of {} bytes", text.size(), max_bytes),
        max_bytes};
  }
  // Too deep is settled by a byte scan before simdjson sees the text: its buffers grow with the
  // text (a line of 20 million '[' would take hundreds of megabytes to refuse). Shorter text
  // than the limit cannot be nested deeper, so most events skip the scan.
  const bool too_deep =
      text.size() > text::kMaxJsonDepth && text::find_excess_json_nesting(text).has_value();
  if (too_deep || !simdjson_accepts(text)) {
    if (std::optional<Problem> problem = explain_refusal(text)) return problem;
  }
  if (std::optional<std::size_t> at = text::find_json_nul_escape(text)) {
    return Problem{"\\u0000 escape in JSON text (PostgreSQL's jsonb cannot store it)", *at};
  }
  return std::nullopt;
}

std::variant<JsonText, Problem> check(std::string text, std::size_t max_bytes) {
  if (std::optional<Problem> problem = find_problem(text, max_bytes)) return std::move(*problem);
  return detail::JsonCheck::checked(std::move(text));
}

}  // namespace json

JsonText JsonText::checked(std::string text, std::string_view field) {
  std::variant<JsonText, json::Problem> result = json::check(std::move(text));
  if (json::Problem* problem = std::get_if<json::Problem>(&result)) {
    throw InvalidInput(std::string(field), problem->reason, problem->offset);
  }
  return std::get<JsonText>(std::move(result));
}

}  // namespace retort

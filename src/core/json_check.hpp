// The one check of a JSON document before it reaches a database, and the only maker of a
// checked JsonText (JsonText::is_checked): the layers below bind a checked document as it is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "retort/value.hpp"

namespace retort::json {

inline constexpr std::size_t kNoSizeLimit = static_cast<std::size_t>(-1);

// Why a document was refused and the 0-based byte offset the reason refers to.
struct Problem {
  std::string reason;
  std::size_t offset = 0;
};

// The first reason text is not a document both backends store, or nullopt: over max_bytes
// (offset = max_bytes), a NUL byte, invalid UTF-8, nesting deeper than text::kMaxJsonDepth,
// malformed JSON (nlohmann's message and position), a \u0000 escape (jsonb cannot hold one).
// A valid document costs one simdjson parse and one scan for a backslash.
std::optional<Problem> find_problem(std::string_view text, std::size_t max_bytes = kNoSizeLimit);

// text as a checked JsonText, or the problem find_problem reports.
std::variant<JsonText, Problem> check(std::string text, std::size_t max_bytes = kNoSizeLimit);

}  // namespace retort::json

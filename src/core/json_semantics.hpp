// JSON comparisons with PostgreSQL jsonb semantics, for SQLite (application-defined functions).
// (Checking a document before it is sent is core/json_check.hpp's.)
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace retort::json {

using Json = nlohmann::json;

// Parses text; on failure returns nullopt and sets *error (when given) to why.
std::optional<Json> parse(std::string_view text, std::string* error = nullptr);

// jsonb's `doc @> pattern`: objects contain objects whose keys they have with contained
// values; arrays contain arrays whose every element some element of theirs contains; scalars
// contain equal scalars; at the top level an array also contains a scalar element.
bool contains(const Json& doc, const Json& pattern);

// jsonb equality: numbers by value (1 == 1.0), objects by content, arrays in order.
bool equal(const Json& a, const Json& b);

}  // namespace retort::json

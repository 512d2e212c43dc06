// The small pieces of Python behaviour the identifier language depends on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace retort::migrate::syntax {

// Python's int(text) for base 10: surrounding whitespace, an optional sign, digits with single
// underscores between them. nullopt where Python raises ValueError. Saturates at +-2^63-1
// (walks that long stop at the graph's end anyway).
std::optional<long long> python_int(std::string_view text);

// Alembic's _relative_destination = r"(?:(.+?)@)?(\w+)?((?:\+|-)\d+)" applied with re.match:
// anchored at the start only, so "abc-2xyz" matches as (None, "abc", "-2"). \w and \d are taken
// as ASCII (plus any non-ASCII byte for \w, which covers letters of UTF-8 identifiers).
struct RelativeTarget {
  std::optional<std::string> branch_label;  // group 1
  std::optional<std::string> symbol;        // group 2
  std::string relative;                     // group 3, e.g. "+2" or "-1"
};
std::optional<RelativeTarget> match_relative(std::string_view text);

// Python's truthiness of an optional string (None and "" are false).
inline bool truthy(const std::optional<std::string>& s) {
  return s.has_value() && !s->empty();
}

}  // namespace retort::migrate::syntax

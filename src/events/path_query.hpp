// `retort events find --path PATH[=VALUE]`: the text form of a JSON path filter.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "retort/query.hpp"
#include "retort/value.hpp"

namespace retort::events {

struct PathQuery {
  std::vector<PathStep> path;
  // With "=VALUE": a JSON value ("pro" in quotes, 3, true, {...}) as JSON, anything else as a
  // string. nullopt: the filter asks only that something is at the path.
  std::optional<Value> equals;
};

// "ticket.customer.tier=pro" -> steps ticket, customer, tier and the string "pro". Segments are
// separated by '.', all-digit ones of up to 9 digits are array indexes, the first '=' starts
// the value. Throws ConfigError naming the text when a segment is empty.
PathQuery parse_path_query(std::string_view text);

}  // namespace retort::events

#include "events/path_query.hpp"

#include <string>

#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

std::vector<PathStep> parse_steps(std::string_view text) {
  std::vector<PathStep> steps;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view segment =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (segment.empty()) {
      throw ConfigError("--path: empty segment at byte " + std::to_string(start));
    }
    // Up to 9 digits fit an index of any width; longer digit strings stay keys.
    if (segment.find_first_not_of("0123456789") == std::string_view::npos && segment.size() < 10) {
      steps.emplace_back(std::stoll(std::string(segment)));
    } else {
      steps.emplace_back(segment);
    }
    if (dot == std::string_view::npos) return steps;
    start = dot + 1;
  }
}

}  // namespace

PathQuery parse_path_query(std::string_view text) {
  const std::size_t eq = text.find('=');
  PathQuery query{parse_steps(text.substr(0, eq)), std::nullopt};
  if (eq != std::string_view::npos) {
    const std::string value(text.substr(eq + 1));
    if (!check_json(value)) {
      query.equals = Value(JsonText{value});
    } else {
      query.equals = Value(value);
    }
  }
  return query;
}

}  // namespace retort::events

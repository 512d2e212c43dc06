// The event store's face of the JSON check (core/json_check.cpp): the same rules, with the
// event size limit.
#include "core/json_check.hpp"

#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {

std::optional<JsonProblem> check_json(std::string_view text, std::size_t max_bytes) {
  std::optional<json::Problem> problem = json::find_problem(text, max_bytes);
  if (!problem) return std::nullopt;
  return JsonProblem{std::move(problem->reason), problem->offset};
}

void validate_json(std::string_view text, std::string_view field, std::size_t max_bytes) {
  if (std::optional<json::Problem> problem = json::find_problem(text, max_bytes)) {
    throw InvalidInput(std::string(field), problem->reason, problem->offset);
  }
}

}  // namespace retort::events

// JSON comparison for tests: PostgreSQL's jsonb normalises text (key order, spacing), SQLite
// keeps it verbatim, so stored documents are compared as values.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace retort::orm_test {

inline bool same_json(std::string_view a, std::string_view b) {
  return nlohmann::json::parse(a) == nlohmann::json::parse(b);
}

}  // namespace retort::orm_test

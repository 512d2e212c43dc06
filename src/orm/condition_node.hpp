// The tree behind retort::Condition (query.hpp), compiled to SQL by sql_builder.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "retort/query.hpp"
#include "retort/value.hpp"

namespace retort::detail {

enum class CompareOp { eq, ne, lt, le, gt, ge };

struct ConditionNode {
  enum class Kind {
    all_of,            // children AND-ed
    any_of,            // children OR-ed
    negation,          // NOT children[0]
    compare,           // column <op> values[0]
    in,                // column IN values (negated: NOT IN)
    is_null,           // column IS NULL (negated: IS NOT NULL)
    like,              // column LIKE values[0]
    json_contains,     // column @> values[0] (JSON text)
    json_path_equals,  // column at path = values[0] (a Value turned into JSON by the builder)
    json_path_exists,  // something at path
    never,             // matches no row
  };
  Kind kind = Kind::all_of;
  CompareOp op = CompareOp::eq;
  bool negated = false;
  std::string column;
  std::vector<Value> values;
  std::vector<PathStep> path;
  std::vector<std::shared_ptr<const ConditionNode>> children;
};

}  // namespace retort::detail

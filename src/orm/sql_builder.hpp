// Compiling conditions, ordering and windows for a model into SQL with bound parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "orm/condition_node.hpp"
#include "orm/model_data.hpp"
#include "retort/query.hpp"

namespace retort::detail {

// Accumulates one statement's text and parameters ($1, $2, ... on both dialects).
class SqlBuilder {
 public:
  SqlBuilder(const ModelData& data, Dialect dialect) : data_(data), dialect_(dialect) {}

  std::string sql;
  std::vector<Value> params;

  // Adds a parameter and returns its placeholder.
  std::string bind(Value value);
  // The quoted name of column `index`.
  std::string column(std::size_t index) const;

  // " WHERE ..." for where AND the keyset bound of spec.after (nothing when neither applies).
  void where_clause(const Condition& where, const std::vector<OrderTerm>& order,
                    const std::vector<Value>& after);
  // " WHERE pk1 = $n AND ..." for a primary key value (UsageError on a wrong arity).
  void key_clause(const std::vector<Value>& key);
  // " ORDER BY ..." with NULLs last ascending / first descending on both backends.
  void order_clause(const std::vector<OrderTerm>& order);
  // " LIMIT $n OFFSET $m" (UsageError for negative values).
  void window_clause(const std::optional<std::int64_t>& limit,
                     const std::optional<std::int64_t>& offset);

 private:
  std::string condition(const ConditionNode& node);
  std::string compare(const ConditionNode& node);
  std::string in_list(const ConditionNode& node);
  std::string like(const ConditionNode& node);
  std::string json_contains(const ConditionNode& node);
  std::string json_path(const ConditionNode& node);
  std::string json_target(std::size_t index, const std::vector<PathStep>& path);
  std::string keyset(const std::vector<OrderTerm>& order, const std::vector<Value>& after);
  // The column as compared and ordered: bytewise for text on PostgreSQL, like SQLite.
  std::string ordered_column(std::size_t index) const;
  std::string compare_to(std::size_t index, CompareOp op, const Value& value);

  const ModelData& data_;
  Dialect dialect_;
};

// order plus the primary key columns not already in it (ascending): a total, deterministic
// order, the same on both backends. UsageError for an unknown or JSON column.
std::vector<OrderTerm> total_order(const ModelData& data, const std::vector<OrderTerm>& order);

}  // namespace retort::detail

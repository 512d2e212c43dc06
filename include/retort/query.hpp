// Typed conditions for Repository<T>::find and friends.
//
//   using retort::col;
//   col("status") == "open"                         // = ; NULL compares as IS NULL
//   col("attempts") >= 3 && col("attempts") < 10    // <> < <= > >= ; && || ! combine
//   col("kind").in({"a", "b"})                      // IN (empty list: matches nothing)
//   col("closed_at").is_null()
//   col("title").like("100\\%%")                    // LIKE: % and _ wildcards, \ escapes;
//   case-sensitive col("created_at").in_range(from, until)         // from <= created_at < until
//   col("data").contains(R"({"type": "ticket"})")   // JSON containment (PostgreSQL @> semantics)
//   col("data").path({"customer", "address", "city"}) == "Paris"   // JSON path equality
//   col("data").path({"items", 0, "sku"}).exists()                // JSON path existence
//
// Column names are checked against the model when the query runs (UsageError "unknown column
// t.c"); values are checked and converted for the column's type (InvalidInput naming the column)
// and always bound as parameters. The same condition gives the same rows on PostgreSQL and
// SQLite; docs/models.md spells out the semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/value.hpp"

namespace retort {

namespace detail {
struct ConditionNode;  // defined in src/orm
}

// A boolean condition over a model's columns. The default one matches every row.
class Condition {
 public:
  Condition() = default;
  explicit Condition(std::shared_ptr<const detail::ConditionNode> node) : node_(std::move(node)) {}
  // True for the match-everything condition.
  bool empty() const noexcept { return node_ == nullptr; }
  const detail::ConditionNode* node() const noexcept { return node_.get(); }
  const std::shared_ptr<const detail::ConditionNode>& shared_node() const noexcept { return node_; }

 private:
  std::shared_ptr<const detail::ConditionNode> node_;
};

// Both must hold (an empty side is ignored).
Condition operator&&(const Condition& a, const Condition& b);
// Either holds (an empty side matches everything, so the result does too).
Condition operator||(const Condition& a, const Condition& b);
// Negation (SQL NOT: a row where the condition is NULL matches neither it nor its negation).
Condition operator!(const Condition& a);

// One step of a JSON path: an object key (text) or an array index (integer; negative counts
// from the end). A key is never taken as an index, nor an index as a key: {"0"} looks up the
// key "0" of an object, {0} the first element of an array.
class PathStep {
 public:
  PathStep(const char* key) : key_(key) {}                       // NOLINT: implicit by design
  PathStep(std::string key) : key_(std::move(key)) {}            // NOLINT
  PathStep(std::string_view key) : key_(key) {}                  // NOLINT
  PathStep(int index) : index_(index), is_index_(true) {}        // NOLINT
  PathStep(long index) : index_(index), is_index_(true) {}       // NOLINT
  PathStep(long long index) : index_(index), is_index_(true) {}  // NOLINT
  bool is_index() const noexcept { return is_index_; }
  const std::string& key() const noexcept { return key_; }
  std::int64_t index() const noexcept { return index_; }

 private:
  std::string key_;
  std::int64_t index_ = 0;
  bool is_index_ = false;
};

// The most steps a JSON path may have, the same on both backends (SQLite passes each step as
// a function argument and allows 127 of them; PostgreSQL has no such limit).
inline constexpr std::size_t kMaxJsonPathSteps = 100;

// A JSON column followed along a path; see ColumnRef::path.
class JsonPathRef {
 public:
  JsonPathRef(std::string column, std::vector<PathStep> steps)
      : column_(std::move(column)), steps_(std::move(steps)) {}
  // The value at the path equals value as JSON: a string matches the JSON string, a number any
  // equal JSON number (1 == 1.0), a bool true/false, JsonText any JSON document (objects by
  // content, key order ignored), NULL the JSON null. False where the path does not exist.
  // A query holding a path longer than kMaxJsonPathSteps throws InvalidInput when compiled.
  Condition operator==(const Value& value) const;
  // Something (JSON null included) exists at the path.
  Condition exists() const;

 private:
  std::string column_;
  std::vector<PathStep> steps_;
};

// A column of the queried model, by name.
class ColumnRef {
 public:
  explicit ColumnRef(std::string name) : name_(std::move(name)) {}
  const std::string& name() const noexcept { return name_; }

  // Comparisons with a value of the column's type. == NULL is IS NULL, != NULL IS NOT NULL;
  // ordering a NULL is a UsageError. Text compares and orders by bytes (code points) on both
  // backends.
  Condition operator==(const Value& value) const;
  Condition operator!=(const Value& value) const;
  Condition operator<(const Value& value) const;
  Condition operator<=(const Value& value) const;
  Condition operator>(const Value& value) const;
  Condition operator>=(const Value& value) const;
  Condition in(std::vector<Value> values) const;
  Condition not_in(std::vector<Value> values) const;
  Condition is_null() const;
  Condition is_not_null() const;
  // SQL LIKE on a text column: % any run, _ one character, \ makes the next character literal;
  // case-sensitive on both backends. A pattern ending in a lone \ is InvalidInput.
  Condition like(std::string pattern) const;
  // low <= column <= high; a NULL bound leaves that side open.
  Condition between(const Value& low, const Value& high) const;
  // from <= column < until (a half-open time range); a NULL bound leaves that side open.
  Condition in_range(const Value& from, const Value& until) const;
  // JSON containment with PostgreSQL's jsonb @> semantics: an object contains an object whose
  // keys it has with contained values, an array contains an array whose every element some
  // element of it contains, scalars contain equal scalars, and (at the top level only) an
  // array contains a scalar it has as an element. InvalidInput if document is not JSON.
  Condition contains(std::string_view document) const;
  Condition contains(const JsonText& document) const { return contains(document.text()); }
  // Follows path into a JSON column (each key and index bound as a parameter).
  JsonPathRef path(std::vector<PathStep> steps) const {
    return JsonPathRef(name_, std::move(steps));
  }

 private:
  std::string name_;
};

// col("name"): a column reference by name (see field() in repository.hpp for member pointers).
inline ColumnRef col(std::string name) {
  return ColumnRef(std::move(name));
}

enum class Direction { asc, desc };
inline constexpr Direction asc = Direction::asc;
inline constexpr Direction desc = Direction::desc;

struct OrderTerm {
  std::string column;
  Direction direction = Direction::asc;
};

// What to select: conditions, order, window. The repository always adds the primary key as the
// last ordering term, so results (and pages) are in the same deterministic order on both
// backends. NULLs sort last ascending and first descending, on both backends.
struct QuerySpec {
  Condition where;
  std::vector<OrderTerm> order;
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> offset;
  // Keyset pagination: the values of every column (model order) of the last row of the
  // previous page; rows after it in the query's order are returned. Empty: from the start.
  std::vector<Value> after;
};

}  // namespace retort

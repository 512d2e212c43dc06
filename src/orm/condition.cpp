// Building conditions (query.hpp). Nothing is checked here: the column and the values are
// checked against the model when the query is compiled, where the model is known.
#include "orm/condition_node.hpp"

namespace retort {
namespace {

using detail::CompareOp;
using detail::ConditionNode;
using Kind = ConditionNode::Kind;

Condition make(ConditionNode node) {
  return Condition(std::make_shared<const ConditionNode>(std::move(node)));
}

Condition on_column(Kind kind, const std::string& column, std::vector<Value> values,
                    bool negated = false) {
  ConditionNode node;
  node.kind = kind;
  node.column = column;
  node.values = std::move(values);
  node.negated = negated;
  return make(std::move(node));
}

Condition compare(const std::string& column, CompareOp op, const Value& value) {
  ConditionNode node;
  node.kind = Kind::compare;
  node.op = op;
  node.column = column;
  node.values = {value};
  return make(std::move(node));
}

// a AND/OR b, flattening nested nodes of the same kind so the SQL stays shallow.
Condition combine(Kind kind, const Condition& a, const Condition& b) {
  ConditionNode node;
  node.kind = kind;
  for (const Condition* side : {&a, &b}) {
    const ConditionNode* child = side->node();
    if (child->kind == kind) {
      node.children.insert(node.children.end(), child->children.begin(), child->children.end());
    } else {
      node.children.push_back(side->shared_node());
    }
  }
  return make(std::move(node));
}

}  // namespace

Condition operator&&(const Condition& a, const Condition& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return combine(Kind::all_of, a, b);
}

Condition operator||(const Condition& a, const Condition& b) {
  if (a.empty() || b.empty()) return Condition();  // "everything or x" is everything
  return combine(Kind::any_of, a, b);
}

Condition operator!(const Condition& a) {
  if (a.empty()) {
    ConditionNode never;  // NOT everything: nothing
    never.kind = Kind::never;
    return make(std::move(never));
  }
  ConditionNode node;
  node.kind = Kind::negation;
  node.children.push_back(a.shared_node());
  return make(std::move(node));
}

Condition ColumnRef::operator==(const Value& value) const {
  return compare(name_, CompareOp::eq, value);
}
Condition ColumnRef::operator!=(const Value& value) const {
  return compare(name_, CompareOp::ne, value);
}
Condition ColumnRef::operator<(const Value& value) const {
  return compare(name_, CompareOp::lt, value);
}
Condition ColumnRef::operator<=(const Value& value) const {
  return compare(name_, CompareOp::le, value);
}
Condition ColumnRef::operator>(const Value& value) const {
  return compare(name_, CompareOp::gt, value);
}
Condition ColumnRef::operator>=(const Value& value) const {
  return compare(name_, CompareOp::ge, value);
}

Condition ColumnRef::in(std::vector<Value> values) const {
  return on_column(Kind::in, name_, std::move(values));
}

Condition ColumnRef::not_in(std::vector<Value> values) const {
  return on_column(Kind::in, name_, std::move(values), true);
}

Condition ColumnRef::is_null() const {
  return on_column(Kind::is_null, name_, {});
}
Condition ColumnRef::is_not_null() const {
  return on_column(Kind::is_null, name_, {}, true);
}

Condition ColumnRef::like(std::string pattern) const {
  return on_column(Kind::like, name_, {Value(std::move(pattern))});
}

Condition ColumnRef::between(const Value& low, const Value& high) const {
  Condition out;
  if (!low.is_null()) out = out && compare(name_, CompareOp::ge, low);
  if (!high.is_null()) out = out && compare(name_, CompareOp::le, high);
  return out.empty() ? is_not_null() : out;
}

Condition ColumnRef::in_range(const Value& from, const Value& until) const {
  Condition out;
  if (!from.is_null()) out = out && compare(name_, CompareOp::ge, from);
  if (!until.is_null()) out = out && compare(name_, CompareOp::lt, until);
  return out.empty() ? is_not_null() : out;
}

Condition ColumnRef::contains(std::string_view document) const {
  return on_column(Kind::json_contains, name_, {Value(JsonText{std::string(document)})});
}

Condition JsonPathRef::operator==(const Value& value) const {
  ConditionNode node;
  node.kind = Kind::json_path_equals;
  node.column = column_;
  node.path = steps_;
  node.values = {value};
  return make(std::move(node));
}

Condition JsonPathRef::exists() const {
  ConditionNode node;
  node.kind = Kind::json_path_exists;
  node.column = column_;
  node.path = steps_;
  return make(std::move(node));
}

}  // namespace retort

#include "migrate/graph/reachability.hpp"

#include <algorithm>

namespace retort::migrate {

namespace {
std::size_t at(std::int32_t i) {
  return static_cast<std::size_t>(i);
}
}  // namespace

// Rows are built in topological order. A revision's row is the element-wise maximum of its
// parents' rows; it then joins a chain whose tail it reaches (the tail is then one of its
// ancestors, so the chain stays ordered by ancestry): preferably a parent's chain, else any
// chain whose branch has ended below it, else a new chain. Reusing ended chains keeps their
// number near the graph's width (the most branches open at once), not its branch count.
Reachability::Reachability(const Adjacency& parents, const std::vector<std::int32_t>& topo_order) {
  const std::size_t n = parents.size();
  chain_.assign(n, -1);
  position_.assign(n, 0);
  topo_.assign(n, 0);
  offset_.assign(n, 0);
  length_.assign(n, 0);
  for (std::size_t i = 0; i < topo_order.size(); ++i) {
    topo_[at(topo_order[i])] = static_cast<std::int32_t>(i);
  }
  std::vector<std::int32_t> tails;  // per chain: its last revision
  std::vector<std::int32_t> row;
  for (const std::int32_t v : topo_order) {
    row.clear();
    for (std::int32_t p : parents[at(v)]) {
      const std::int32_t* prow = table_.data() + offset_[at(p)];
      if (row.size() < length_[at(p)]) {
        row.resize(length_[at(p)], -1);
      }
      for (std::size_t c = 0; c < length_[at(p)]; ++c) {
        row[c] = std::max(row[c], prow[c]);
      }
    }
    std::int32_t chosen = -1;
    for (std::int32_t p : parents[at(v)]) {
      if (tails[at(chain_[at(p)])] == p) {
        chosen = chain_[at(p)];
        break;
      }
    }
    for (std::size_t c = 0; chosen < 0 && c < row.size(); ++c) {
      if (row[c] == position_[at(tails[c])]) {
        chosen = static_cast<std::int32_t>(c);  // v reaches this chain's tail
      }
    }
    if (chosen < 0) {
      chosen = static_cast<std::int32_t>(tails.size());
      tails.push_back(v);
      position_[at(v)] = 0;
    } else {
      position_[at(v)] = position_[at(tails[at(chosen)])] + 1;
      tails[at(chosen)] = v;
    }
    chain_[at(v)] = chosen;
    if (row.size() <= at(chosen)) {
      row.resize(at(chosen) + 1, -1);
    }
    row[at(chosen)] = position_[at(v)];
    if (table_.size() + row.size() > kBudget) {
      table_.clear();  // too wide for a table: reaches() searches instead
      table_.shrink_to_fit();
      parents_ = parents;
      break;
    }
    offset_[at(v)] = table_.size();
    length_[at(v)] = row.size();
    table_.insert(table_.end(), row.begin(), row.end());
  }
}

bool Reachability::reaches(std::int32_t ancestor, std::int32_t descendant) const {
  if (ancestor == descendant) {
    return true;
  }
  if (parents_.size() == 0) {
    const std::size_t c = at(chain_[at(ancestor)]);
    return c < length_[at(descendant)] &&
           table_[offset_[at(descendant)] + c] >= position_[at(ancestor)];
  }
  return search(ancestor, descendant);
}

bool Reachability::search(std::int32_t ancestor, std::int32_t descendant) const {
  const std::int32_t floor = topo_[at(ancestor)];
  if (floor > topo_[at(descendant)]) {
    return false;  // ancestors come earlier in every topological order
  }
  std::vector<char> seen(parents_.size(), 0);
  std::vector<std::int32_t> stack{descendant};
  seen[at(descendant)] = 1;
  while (!stack.empty()) {
    const std::int32_t v = stack.back();
    stack.pop_back();
    for (std::int32_t p : parents_[at(v)]) {
      if (p == ancestor) {
        return true;
      }
      if (!seen[at(p)] && topo_[at(p)] > floor) {
        seen[at(p)] = 1;
        stack.push_back(p);
      }
    }
  }
  return false;
}

}  // namespace retort::migrate

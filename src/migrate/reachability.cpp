#include "migrate/reachability.hpp"

#include <algorithm>

namespace retort::migrate {

namespace {
std::size_t at(std::int32_t i) { return static_cast<std::size_t>(i); }
}  // namespace

Reachability::Reachability(std::vector<std::vector<std::int32_t>> parents, const std::vector<std::int32_t>& topo_order)
    : parents_(std::move(parents)) {
  const std::size_t n = parents_.size();
  chain_.assign(n, -1);
  position_.assign(n, 0);
  topo_.assign(n, 0);
  // Greedy decomposition in topological order: a revision extends the chain of the first
  // parent that is still that chain's tail, else it starts a chain. A straight history is one
  // chain; every extra child of a branch point starts one more.
  std::vector<std::int32_t> tails;
  for (std::size_t i = 0; i < topo_order.size(); ++i) {
    const std::int32_t v = topo_order[i];
    topo_[at(v)] = static_cast<std::int32_t>(i);
    std::int32_t chosen = -1;
    for (std::int32_t p : parents_[at(v)]) {
      if (tails[at(chain_[at(p)])] == p) {
        chosen = p;
        break;
      }
    }
    if (chosen >= 0) {
      chain_[at(v)] = chain_[at(chosen)];
      position_[at(v)] = position_[at(chosen)] + 1;
      tails[at(chain_[at(v)])] = v;
    } else {
      chain_[at(v)] = static_cast<std::int32_t>(tails.size());
      tails.push_back(v);
    }
  }
  chains_ = tails.size();
  if (n == 0 || n * chains_ > kBudget) {
    return;  // too wide for a table: reaches() searches instead
  }
  table_.assign(n * chains_, -1);
  for (std::int32_t v : topo_order) {
    std::int32_t* row = &table_[at(v) * chains_];
    for (std::int32_t p : parents_[at(v)]) {
      const std::int32_t* prow = &table_[at(p) * chains_];
      for (std::size_t c = 0; c < chains_; ++c) {
        row[c] = std::max(row[c], prow[c]);
      }
    }
    row[at(chain_[at(v)])] = position_[at(v)];
  }
  parents_.clear();  // only the fallback search needs them
  parents_.shrink_to_fit();
}

bool Reachability::reaches(std::int32_t ancestor, std::int32_t descendant) const {
  if (ancestor == descendant) {
    return true;
  }
  if (!table_.empty()) {
    return table_[at(descendant) * chains_ + at(chain_[at(ancestor)])] >= position_[at(ancestor)];
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

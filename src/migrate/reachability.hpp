// Constant-time ancestor tests on a revision DAG.
//
// Chain decomposition: the revisions are split into chains (paths going up the graph); for each
// revision we store, per chain, the highest position of that chain it can reach going down.
// Then "is a an ancestor of d" is one lookup: reach[d][chain(a)] >= position(a). Migration
// histories are mostly long lines with few branches, so there are few chains and the table is
// small (n x chains). When a graph is so wide that the table would exceed its budget, queries
// fall back to a depth-first search pruned by topological position.
#pragma once

#include <cstdint>
#include <vector>

namespace retort::migrate {

class Reachability {
 public:
  // parents[i]: the direct ancestors of i; topo_order: every index, parents before children.
  Reachability(std::vector<std::vector<std::int32_t>> parents, const std::vector<std::int32_t>& topo_order);

  // True when `ancestor` is `descendant` or one of its ancestors.
  bool reaches(std::int32_t ancestor, std::int32_t descendant) const;

  std::size_t chain_count() const noexcept { return chains_; }
  bool indexed() const noexcept { return !table_.empty() || parents_.empty(); }

  // Table entries allowed before falling back to searches (16 MiB of int32).
  static constexpr std::size_t kBudget = std::size_t{1} << 22;

 private:
  bool search(std::int32_t ancestor, std::int32_t descendant) const;

  std::vector<std::vector<std::int32_t>> parents_;
  std::vector<std::int32_t> chain_;     // chain of each revision
  std::vector<std::int32_t> position_;  // position within its chain (0 = lowest)
  std::vector<std::int32_t> topo_;      // position in the topological order
  std::vector<std::int32_t> table_;     // n x chains_, -1 = chain not reached
  std::size_t chains_ = 0;
};

}  // namespace retort::migrate

// Random revision graphs for the differential test, written both as an Alembic project and as a
// retort versions directory, plus the cases to run against each.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace retort::migrate::differential {

struct GenRevision {
  std::string id;
  std::vector<std::string> down;
  std::vector<std::string> labels;
  std::vector<std::string> deps;  // revision ids or labels
};

struct GenGraph {
  std::uint64_t seed = 0;
  std::vector<GenRevision> revs;  // creation order (not load order: files sort by id)
  std::string corruption;         // empty, or what was broken on purpose
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) { graph_.seed = seed; }

  GenGraph make() {
    const int n = 1 + pick(40);
    for (int i = 0; i < n; ++i) {
      add(i);
    }
    if (n >= 2 && chance(0.08)) {
      corrupt();
    }
    return std::move(graph_);
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  const GenRevision& any() {
    return graph_.revs[static_cast<std::size_t>(pick(static_cast<int>(graph_.revs.size())))];
  }

  std::string new_id() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    if (!graph_.revs.empty() && chance(0.25)) {
      id = any().id.substr(0, static_cast<std::size_t>(3 + pick(4)));  // shares a prefix
    }
    while (id.size() < 12) {
      id.push_back(kHex[pick(16)]);
    }
    return ids_.insert(id).second ? id : new_id();
  }

  std::vector<std::string> heads() const {
    std::set<std::string> parents;
    for (const auto& r : graph_.revs) {
      parents.insert(r.down.begin(), r.down.end());
    }
    std::vector<std::string> out;
    for (const auto& r : graph_.revs) {
      if (!parents.count(r.id)) {
        out.push_back(r.id);
      }
    }
    return out;
  }

  std::vector<std::string> ancestors_of(const std::string& id) const {
    std::vector<std::string> out, todo{id};
    while (!todo.empty()) {
      std::string cur = todo.back();
      todo.pop_back();
      for (const auto& r : graph_.revs) {
        if (r.id == cur) {
          for (const auto& d : r.down) {
            if (std::find(out.begin(), out.end(), d) == out.end()) {
              out.push_back(d);
              todo.push_back(d);
            }
          }
        }
      }
    }
    return out;
  }

  void add(int i) {
    GenRevision r;
    r.id = new_id();
    std::vector<std::string> hs = heads();
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (i == 0 || roll < 0.08) {
      // a root
    } else if (roll < 0.22 && hs.size() >= 2) {
      std::shuffle(hs.begin(), hs.end(), rng_);
      r.down.assign(hs.begin(), hs.begin() + (hs.size() >= 3 && chance(0.25) ? 3 : 2));
    } else if (roll < 0.26) {
      // a redundant merge: a revision and one of its ancestors
      const std::string top = any().id;
      std::vector<std::string> below = ancestors_of(top);
      r.down = {top};
      if (!below.empty()) {
        r.down.push_back(below[static_cast<std::size_t>(pick(static_cast<int>(below.size())))]);
        if (chance(0.5)) {
          std::swap(r.down[0], r.down[1]);
        }
      }
    } else {
      r.down = {chance(0.7) ? hs[static_cast<std::size_t>(pick(static_cast<int>(hs.size())))]
                            : any().id};
    }
    if (i > 0 && chance(0.17)) {
      const int count = chance(0.25) ? 2 : 1;
      for (int k = 0; k < count; ++k) {
        const GenRevision& target = any();
        std::string dep = !target.labels.empty() && chance(0.4) ? target.labels.front() : target.id;
        if (std::find(r.down.begin(), r.down.end(), dep) == r.down.end() || chance(0.3)) {
          r.deps.push_back(dep);
        }
      }
    }
    if (chance(0.15)) {
      r.labels.push_back(fmt::format("lbl{}", i));
      if (chance(0.1)) {
        r.labels.push_back(fmt::format("alt{}", i));
      }
    }
    graph_.revs.push_back(std::move(r));
  }

  // Breaks the graph in one of the ways the loader must refuse.
  void corrupt() {
    auto& revs = graph_.revs;
    const std::size_t a = static_cast<std::size_t>(pick(static_cast<int>(revs.size())));
    const std::size_t b = static_cast<std::size_t>(pick(static_cast<int>(revs.size())));
    switch (pick(5)) {
      case 0:
        revs[a].down.push_back(revs[a].id);
        graph_.corruption = "self-loop";
        break;
      case 1:
        if (a < b) {  // b was created later, so it may descend from a: a down-revision cycle
          revs[a].down = {revs[b].id};
          graph_.corruption = "cycle";
        }
        break;
      case 2:
        if (a < b) {
          revs[a].deps.push_back(revs[b].id);
          graph_.corruption = "dependency cycle";
        }
        break;
      case 3:
        if (a != b) {
          revs[a].labels.push_back("dup");
          revs[b].labels.push_back("dup");
          graph_.corruption = "duplicate label";
        }
        break;
      default:
        revs[a].labels.push_back(revs[b].id);
        graph_.corruption = "label equal to a revision id";
        break;
    }
  }

  std::mt19937_64 rng_;
  GenGraph graph_;
  std::set<std::string> ids_;
};

inline std::string py_tuple(const std::vector<std::string>& items) {
  if (items.empty()) {
    return "None";
  }
  std::string out = "(";
  for (const auto& s : items) {
    out += "'" + s + "', ";
  }
  return out + ")";
}

inline std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out.empty() ? "none" : out;
}

// The graph attributes of revision `r`, as an Alembic module's globals and as the header of a
// retort file (`i`: its creation index, for the message).
inline std::string alembic_header(const GenRevision& r) {
  return fmt::format("revision = '{}'\ndown_revision = {}\nbranch_labels = {}\ndepends_on = {}\n",
                     r.id, py_tuple(r.down), py_tuple(r.labels), py_tuple(r.deps));
}

inline std::string retort_header(const GenRevision& r, std::size_t i) {
  return fmt::format(
      "-- retort revision\n-- Revision: {}\n-- Down revision: {}\n-- Branch labels: {}\n"
      "-- Depends on: {}\n-- Message: revision {}\n",
      r.id, join_list(r.down), join_list(r.labels), join_list(r.deps), i);
}

// Both projects name revision i's file "<id>_rev<i>": file-name order is load order on both.
inline std::string file_stem(const GenRevision& r, std::size_t i) {
  return fmt::format("{}_rev{}", r.id, i);
}

// <dir>/alembic.ini, env.py, versions/*.py and <dir>/retort/*.sql for the same graph.
inline void write_projects(const GenGraph& g, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::create_directories(dir / "versions");
  fs::create_directories(dir / "retort");
  std::ofstream(dir / "alembic.ini") << "[alembic]\nscript_location = %(here)s\n";
  std::ofstream(dir / "env.py") << "# plans are computed without running env.py\n";
  for (std::size_t i = 0; i < g.revs.size(); ++i) {
    const GenRevision& r = g.revs[i];
    std::ofstream(dir / "versions" / (file_stem(r, i) + ".py"))
        << alembic_header(r) << "\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n";
    std::ofstream(dir / "retort" / (file_stem(r, i) + ".sql"))
        << retort_header(r, i)
        << fmt::format("\n-- +upgrade\nSELECT {};\n\n-- +downgrade\nSELECT -{};\n", i, i);
  }
}

}  // namespace retort::migrate::differential

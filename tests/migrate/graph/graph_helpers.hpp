// Compact builders and printers for hand-written revision graphs in tests.
#pragma once

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "migrate/graph/plan.hpp"
#include "migrate/graph/revision_map.hpp"

namespace retort::migrate::testing {

inline Revision rev(std::string id, std::vector<std::string> down = {},
                    std::vector<std::string> labels = {}, std::vector<std::string> deps = {}) {
  Revision r;
  r.id = std::move(id);
  r.down_revisions = std::move(down);
  r.branch_labels = std::move(labels);
  r.depends_on = std::move(deps);
  return r;
}

// Loads in id order, as a versions directory of "<id>_<slug>.sql" files would.
inline RevisionMap make_map(std::vector<Revision> revs) {
  std::sort(revs.begin(), revs.end(),
            [](const Revision& a, const Revision& b) { return a.id < b.id; });
  return RevisionMap(std::move(revs));
}

inline std::string names(const RevisionMap& map, std::span<const RevIndex> revs) {
  std::string out;
  for (RevIndex r : revs) {
    out += (out.empty() ? "" : " ") + (r >= 0             ? map.id(r)
                                       : r == kBaseMarker ? std::string("<base>")
                                                          : "<none>");
  }
  return out;
}

// "+a +b -c" for revision steps, "stamp x,y>m" for stamps.
inline std::string steps(const RevisionMap& map, const Plan& plan) {
  std::string out;
  for (const Step& s : plan.steps) {
    out += out.empty() ? "" : " ";
    if (s.kind == StepKind::stamp) {
      out += fmt::format("stamp {}>{}", fmt::join(s.from, ","), fmt::join(s.to, ","));
    } else {
      out += (s.kind == StepKind::upgrade ? "+" : "-") + map.id(s.revision);
    }
  }
  return out;
}

// "INSERT a; UPDATE a>b; DELETE b" over the whole plan.
inline std::string ops(const Plan& plan) {
  std::string out;
  for (const Step& s : plan.steps) {
    for (const VersionOp& op : s.ops) {
      out += out.empty() ? "" : "; ";
      switch (op.kind) {
        case VersionOp::Kind::insert:
          out += "INSERT " + op.to;
          break;
        case VersionOp::Kind::remove:
          out += "DELETE " + op.from;
          break;
        case VersionOp::Kind::update:
          out += "UPDATE " + op.from + ">" + op.to;
          break;
      }
    }
  }
  return out;
}

inline std::string rows(const std::vector<std::string>& r) {
  return fmt::format("{}", fmt::join(r, " "));
}

// A directory under the system temp dir, removed with its content.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("retort_migrate_{}_{}", ::getpid(), counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace retort::migrate::testing

// Large histories: the map and the plans of `downgrade base` / `upgrade heads` of 4,000 and
// 16,000 revisions (linear and branchy) are built and checked step by step. The times are
// printed, not asserted (no timing assertions in tests): linear growth is what the benchmark
// measures (bench/migrate: downgrade base at 1,000 / 2,500 / 5,000 revisions, docs/benchmarks.md),
// where Alembic's downgrade, which recomputes ancestor sets at every merge, is quadratic.
//
// RETORT_PERF_ALEMBIC=1 also times Alembic 1.8.1 (`heads`, and the downgrade plan) on the same
// 5,000-revision project and prints the ratios.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>

#include "migrate/graph/graph_helpers.hpp"
#include "migrate/script/revision_cache.hpp"
#include "migrate/script/script_file.hpp"

namespace retort::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// A main line with feature branches (some labelled, some with depends_on) merging back.
std::vector<Revision> history(std::size_t n, bool branchy) {
  std::mt19937_64 rng(7);
  std::vector<Revision> out;
  auto next_id = [&] { return fmt::format("{:012x}", rng() & 0xffffffffffffULL); };
  std::string tip;
  while (out.size() < n) {
    if (!branchy || tip.empty() || rng() % 25 != 0 || out.size() + 12 > n) {
      out.push_back(testing::rev(
          next_id(), tip.empty() ? std::vector<std::string>{} : std::vector<std::string>{tip}));
      tip = out.back().id;
      continue;
    }
    std::string branch = tip;
    const std::size_t length = 2 + rng() % 7;
    for (std::size_t k = 0; k < length; ++k) {
      out.push_back(testing::rev(next_id(), {branch}));
      if (k == 0 && rng() % 3 == 0) {
        out.back().branch_labels = {fmt::format("feature{}", out.size())};
      }
      if (rng() % 20 == 0) {
        out.back().depends_on = {out[rng() % out.size()].id};
      }
      branch = out.back().id;
    }
    out.push_back(testing::rev(next_id(), {tip}));
    out.push_back(testing::rev(next_id(), {out.back().id, branch}));
    tip = out.back().id;
  }
  return out;
}

struct Timing {
  double map_ms = 1e9, down_ms = 1e9, up_ms = 1e9;
};

Timing measure(std::size_t n, bool branchy) {
  const std::vector<Revision> revs = history(n, branchy);
  Timing t;
  for (int run = 0; run < 3; ++run) {
    std::vector<Revision> copy = revs;
    const auto t0 = Clock::now();
    RevisionMap map(std::move(copy));
    const auto t1 = Clock::now();
    Plan down = plan_downgrade(map, map.ids(map.real_heads()), "base");
    const auto t2 = Clock::now();
    Plan up = plan_upgrade(map, {}, "heads");
    const auto t3 = Clock::now();
    EXPECT_EQ(down.steps.size(), n);
    EXPECT_EQ(up.steps.size(), n);
    EXPECT_TRUE(down.final_rows.empty());
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    t.map_ms = std::min(t.map_ms, ms(t0, t1));
    t.down_ms = std::min(t.down_ms, ms(t1, t2));
    t.up_ms = std::min(t.up_ms, ms(t2, t3));
  }
  return t;
}

void plan_both_sizes(bool branchy) {
  const Timing small = measure(4000, branchy), large = measure(16000, branchy);
  std::cout << fmt::format(
      "{}: map {:.1f} -> {:.1f} ms, downgrade base {:.1f} -> {:.1f} ms, upgrade heads {:.1f} -> "
      "{:.1f} ms (4,000 -> 16,000 revisions)\n",
      branchy ? "branchy" : "linear", small.map_ms, large.map_ms, small.down_ms, large.down_ms,
      small.up_ms, large.up_ms);
}

TEST(Performance, LinearHistoriesOf4000And16000RevisionsPlanEveryStep) {
  plan_both_sizes(false);
}
TEST(Performance, BranchyHistoriesOf4000And16000RevisionsPlanEveryStep) {
  plan_both_sizes(true);
}

void write_project(const std::vector<Revision>& revs, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "retort");
  std::filesystem::create_directories(dir / "versions");
  std::ofstream(dir / "alembic.ini") << "[alembic]\nscript_location = %(here)s\n";
  auto join = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, ", "));
  };
  auto tuple = [](const std::vector<std::string>& v) {
    std::string out = v.empty() ? "None" : "(";
    for (const auto& s : v) {
      out += "'" + s + "', ";
    }
    return v.empty() ? out : out + ")";
  };
  for (std::size_t i = 0; i < revs.size(); ++i) {
    const Revision& r = revs[i];
    std::ofstream(dir / "retort" / fmt::format("{}_r{}.sql", r.id, i)) << fmt::format(
        "-- retort revision\n-- Revision: {}\n-- Down revision: {}\n-- Branch labels: {}\n-- "
        "Depends on: {}\n"
        "\n-- +upgrade\nSELECT {};\n-- +downgrade\nSELECT -{};\n",
        r.id, join(r.down_revisions), join(r.branch_labels), join(r.depends_on), i, i);
    std::ofstream(dir / "versions" / fmt::format("{}_r{}.py", r.id, i)) << fmt::format(
        "revision = '{}'\ndown_revision = {}\nbranch_labels = {}\ndepends_on = {}\n"
        "def upgrade(): pass\ndef downgrade(): pass\n",
        r.id, tuple(r.down_revisions), tuple(r.branch_labels), tuple(r.depends_on));
  }
}

TEST(Performance, HeadsOf5000RevisionsFromFiles) {
  testing::ScratchDir dir;
  write_project(history(5000, true), dir.path());
  const LoadOptions cached{.sections = false, .cache = dir / "retort" / HeaderCache::kDefaultName};
  auto time_heads = [&](const LoadOptions& o) {
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
      const auto t0 = Clock::now();
      RevisionMap map = load_revision_map(dir / "retort", o);
      EXPECT_EQ(map.heads().size(), 1u);
      best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return best;
  };
  const double full = time_heads({}), headers = time_heads({.sections = false}),
               from_cache = time_heads(cached);
  std::cout << fmt::format(
      "heads of 5,000 revisions: full load {:.1f} ms, headers only {:.1f} ms, cached {:.1f} ms\n",
      full, headers, from_cache);
  if (std::getenv("RETORT_PERF_ALEMBIC") != nullptr) {
    const std::string script = fmt::format(
        "import sys, time; t0 = time.time()\n"
        "from alembic.config import Config\nfrom alembic.script import ScriptDirectory\n"
        "s = ScriptDirectory.from_config(Config('{0}/alembic.ini')); h = s.get_heads(); t1 = "
        "time.time()\n"
        "s._downgrade_revs('base', tuple(h)); t2 = time.time()\n"
        "print('%.1f %.1f' % ((t1 - t0) * 1000, (t2 - t1) * 1000))\n",
        dir.path().string());
    std::ofstream(dir / "time_alembic.py") << script;
    FILE* p = ::popen(
        fmt::format("/usr/bin/python3 {}", (dir / "time_alembic.py").string()).c_str(), "r");
    double heads_ms = 0, down_ms = 0;
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(std::fscanf(p, "%lf %lf", &heads_ms, &down_ms), 2);
    ::pclose(p);
    std::cout << fmt::format(
        "Alembic 1.8.1 in-process: heads {:.0f} ms ({:.0f}x the cached load), downgrade base plan "
        "{:.0f} ms\n",
        heads_ms, heads_ms / from_cache, down_ms);
  }
}

}  // namespace
}  // namespace retort::migrate

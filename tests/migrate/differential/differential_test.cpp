// Differential test against Alembic 1.8.1: random revision graphs (branches, merges, redundant
// merges, depends_on, branch labels, shared id prefixes, and some deliberately broken graphs)
// are written as an Alembic project and as a retort versions directory; for upgrade, downgrade,
// stamp, show and history with every identifier form, from several version-table states, the
// plans (steps in order), the version-table operations, the final rows and the errors must be
// the same. The oracle (differential/alembic_oracle.py) runs Alembic's own code without a
// database; it documents the few places where Alembic is made deterministic, and where retort
// follows a later Alembic fix instead of 1.8.1:
//   * version files load in file-name order (1.8.1: unsorted os.listdir; later releases sort);
//   * unmerging a merge whose parents include an ancestor of another parent does not re-insert
//     that ancestor (Alembic issue #1373, fixed in 1.13; 1.8.1 leaves an invalid table).
//
// differential_db_test.cpp is the other half: the same graphs, real commands, real databases.
//
// Knobs: RETORT_DIFFERENTIAL_GRAPHS (default 300), RETORT_DIFFERENTIAL_SEED (default 1),
// RETORT_DIFFERENTIAL_KEEP=1 keeps the generated projects.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "migrate/differential/differential_compare.hpp"
#include "migrate/differential/differential_support.hpp"
#include "migrate/graph/plan.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate::differential {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::size_t env_number(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

// --- the cases ---------------------------------------------------------------------------------

// Ancestors (down revisions and dependencies, labels resolved) of each revision, itself included.
std::map<std::string, std::set<std::string>> lineage(const GenGraph& g) {
  std::map<std::string, std::string> label_owner;
  for (const auto& r : g.revs) {
    for (const auto& l : r.labels) {
      label_owner.emplace(l, r.id);
    }
  }
  std::map<std::string, std::vector<std::string>> parents;
  for (const auto& r : g.revs) {
    parents[r.id] = r.down;
    for (const auto& d : r.deps) {
      parents[r.id].push_back(label_owner.count(d) ? label_owner[d] : d);
    }
  }
  std::map<std::string, std::set<std::string>> out;
  for (const auto& r : g.revs) {
    std::vector<std::string> todo{r.id};
    auto& seen = out[r.id];
    while (!todo.empty()) {
      std::string cur = todo.back();
      todo.pop_back();
      if (seen.insert(cur).second && seen.size() <= g.revs.size()) {
        todo.insert(todo.end(), parents[cur].begin(), parents[cur].end());
      }
    }
  }
  return out;
}

// Version-table states to start from: empty, single revisions, the tips of random subsets.
std::vector<std::vector<std::string>> states(const GenGraph& g, std::mt19937_64& rng) {
  auto anc = lineage(g);
  auto tips = [&](std::vector<std::string> pick) {
    std::vector<std::string> out;
    for (const auto& a : pick) {
      bool below = std::any_of(pick.begin(), pick.end(),
                               [&](const std::string& b) { return b != a && anc[b].count(a); });
      if (!below && std::find(out.begin(), out.end(), a) == out.end()) {
        out.push_back(a);
      }
    }
    return out;
  };
  std::vector<std::vector<std::string>> out{{}};
  std::vector<std::string> all;
  for (const auto& r : g.revs) {
    all.push_back(r.id);
  }
  for (int k = 0; k < 2; ++k) {
    out.push_back({all[rng() % all.size()]});
  }
  out.push_back(tips(all));  // every branch at its tip
  for (int k = 0; k < 2; ++k) {
    std::vector<std::string> pick;
    for (const auto& id : all) {
      if (rng() % 3 == 0) {
        pick.push_back(id);
      }
    }
    std::shuffle(pick.begin(), pick.end(), rng);
    out.push_back(tips(pick));
  }
  return out;
}

// Every identifier form, instantiated on this graph.
std::vector<std::string> identifiers(const GenGraph& g, std::mt19937_64& rng) {
  auto rev = [&]() { return g.revs[rng() % g.revs.size()].id; };
  std::vector<std::string> out = {"head",     "heads",  "base",   "+1",     "+2",
                                  "-1",       "-2",     "+0",     "head-1", "head-2",
                                  "heads-1",  "head+1", "base+1", "base+2", "base-1",
                                  "zzzz9999", "zz",     "1",      "@head",  "nolabel@head"};
  for (int k = 0; k < 2; ++k) {
    const std::string r = rev();
    out.insert(out.end(),
               {r, r.substr(0, 4 + rng() % 4), r.substr(0, 3), r + "+1", r + "-1", r + "+2",
                r + "-2", r + "@head", r + "@heads", r + "@base", r + "@-1", r + "@+1"});
  }
  std::vector<std::string> labels;
  for (const auto& r : g.revs) {
    labels.insert(labels.end(), r.labels.begin(), r.labels.end());
  }
  for (int k = 0; k < 2 && !labels.empty(); ++k) {
    const std::string l = labels[rng() % labels.size()];
    const std::string r = rev();
    out.insert(out.end(), {l, l + "@head", l + "@heads", l + "@base", l + "@+1", l + "@+2",
                           l + "@-1", l + "@-2", l + "@" + r, l + "@" + r.substr(0, 5),
                           l + "@" + r + "+1", l + "@" + r + "-1", l + "@base+1", l + "@head-1"});
  }
  return out;
}

json make_cases(const GenGraph& g, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 17);
  const auto st = states(g, rng);
  const auto ids = identifiers(g, rng);
  auto state = [&]() { return st[rng() % st.size()]; };
  json cases = json::array();
  for (const std::string& target : ids) {
    for (const char* cmd : {"upgrade", "downgrade"}) {
      cases.push_back({{"cmd", cmd}, {"current", state()}, {"target", target}});
    }
    cases.push_back({{"cmd", "stamp"}, {"current", state()}, {"target", json::array({target})}});
    cases.push_back({{"cmd", "show"}, {"current", state()}, {"target", target}});
  }
  cases.push_back({{"cmd", "show"}, {"current", state()}, {"target", "current"}});
  for (const char* cmd : {"upgrade", "downgrade", "show"}) {  // a row no revision file knows
    cases.push_back(
        {{"cmd", cmd}, {"current", {"deadbeef0000"}}, {"target", ids[rng() % ids.size()]}});
  }
  cases.push_back({{"cmd", "stamp"},
                   {"current", state()},
                   {"target", json::array({ids[rng() % ids.size()], ids[rng() % ids.size()]})}});
  cases.push_back({{"cmd", "stamp"}, {"current", state()}, {"target", json::array()}});
  for (auto [base, head] :
       std::vector<std::pair<std::string, std::string>>{{"", ""},
                                                        {"current", ""},
                                                        {"", "current"},
                                                        {ids[rng() % ids.size()], ""},
                                                        {"", ids[rng() % ids.size()]}}) {
    cases.push_back({{"cmd", "history"}, {"current", state()}, {"base", base}, {"head", head}});
  }
  return cases;
}

// --- retort's answers, in the oracle's format ----------------------------------------------------

json plan_json(const RevisionMap& map, const Plan& plan) {
  json steps = json::array(), ops = json::array(), per_step = json::array();
  for (const Step& s : plan.steps) {
    per_step.push_back(s.ops.size());
    if (s.kind == StepKind::stamp) {
      steps.push_back({{"kind", "stamp"},
                       {"from", s.from},
                       {"to", s.to},
                       {"upgrade", s.stamp_upgrade},
                       {"branch_move", s.branch_move}});
    } else {
      steps.push_back({{"kind", s.kind == StepKind::upgrade ? "upgrade" : "downgrade"},
                       {"rev", map.id(s.revision)}});
    }
    for (const VersionOp& op : s.ops) {
      switch (op.kind) {
        case VersionOp::Kind::insert:
          ops.push_back({"INSERT", op.to});
          break;
        case VersionOp::Kind::remove:
          ops.push_back({"DELETE", op.from});
          break;
        case VersionOp::Kind::update:
          ops.push_back({"UPDATE", op.from, op.to});
          break;
      }
    }
  }
  return {{"steps", steps}, {"ops", ops}, {"ops_per_step", per_step}, {"final", plan.final_rows}};
}

json revisions_json(const RevisionMap& map, const std::vector<RevIndex>& revs) {
  json out = json::array();
  for (RevIndex r : revs) {
    out.push_back(r >= 0 ? json(map.id(r)) : (r == kBaseMarker ? json("base") : json(nullptr)));
  }
  return {{"revisions", out}};
}

json run_case(const RevisionMap& map, const json& c) {
  try {
    const auto current = c["current"].get<std::vector<std::string>>();
    const std::string cmd = c["cmd"];
    if (cmd == "upgrade") {
      return plan_json(map, plan_upgrade(map, current, c["target"].get<std::string>()));
    }
    if (cmd == "downgrade") {
      return plan_json(map, plan_downgrade(map, current, c["target"].get<std::string>()));
    }
    if (cmd == "stamp") {
      return plan_json(map, plan_stamp(map, current, c["target"].get<std::vector<std::string>>()));
    }
    if (cmd == "show") {
      return revisions_json(map, show_revisions(map, current, c["target"].get<std::string>()));
    }
    return revisions_json(
        map, history(map, current, c["base"].get<std::string>(), c["head"].get<std::string>()));
  } catch (const RevisionError& e) {
    return {{"error", {{"kind", kind_name(e.kind())}, {"message", e.what()}}}};
  }
}

json describe(const RevisionMap& map) {
  json revisions = json::object();
  for (std::size_t i = 0; i < map.size(); ++i) {
    const auto r = static_cast<RevIndex>(i);
    revisions[map.id(r)] = {{"labels", map.branch_labels(r)},
                            {"normalized_down", map.ids(map.normalized_down_revisions(r))}};
  }
  return {{"heads", map.ids(map.heads())},
          {"real_heads", map.ids(map.real_heads())},
          {"bases", map.ids(map.bases())},
          {"real_bases", map.ids(map.real_bases())},
          {"revisions", revisions}};
}

// --- comparison --------------------------------------------------------------------------------

bool same_result(const json& want, const json& got) {
  if (want.contains("error")) {
    return got.contains("error") && same_error(want["error"], got["error"]);  // steps before a
  }                                                                           // bookkeeping failure
  return want == got;                                                         // are not compared
}

struct Tally {
  std::size_t graphs = 0, cases = 0, mismatches = 0, load_errors = 0;
  std::map<std::string, std::size_t> outcomes;
  std::vector<std::string> reports;
};

// What the plans exercised: row operations, and steps that merge or unmerge rows.
void count_shapes(const json& want, Tally& t) {
  if (!want.contains("ops_per_step")) {
    return;
  }
  std::size_t at = 0;
  for (const json& n : want["ops_per_step"]) {
    std::string shape;
    for (std::size_t k = 0; k < n.get<std::size_t>(); ++k, ++at) {
      shape += want["ops"][at][0].get<std::string>()[0];
    }
    ++t.outcomes["step:" + (shape.empty() ? std::string("-") : shape)];
  }
}

void compare_graph(const GenGraph& g, const fs::path& dir, const json& cases, const json& oracle,
                   Tally& t) {
  ++t.graphs;
  auto report = [&](const std::string& what, const json& c, const json& want, const json& got) {
    ++t.mismatches;
    if (t.reports.size() < 8) {
      t.reports.push_back(fmt::format("seed {} ({}), {}\n  case: {}\n  alembic: {}\n  retort:  {}",
                                      g.seed, dir.string(), what, c.dump(), want.dump(),
                                      got.dump()));
    }
  };
  json load;
  std::optional<RevisionMap> map;
  try {
    map.emplace(load_revision_map(dir / "retort"));
    load = describe(*map);
  } catch (const RevisionError& e) {
    load = {{"error", {{"kind", kind_name(e.kind())}, {"message", e.what()}}}};
  } catch (const ScriptError& e) {
    load = {{"error", {{"kind", "script"}, {"message", e.what()}}}};
  }
  if (oracle["load"].contains("error") || load.contains("error")) {
    ++t.load_errors;
    if (!same_result(oracle["load"], load)) {
      report("load", json(g.corruption), oracle["load"], load);
    }
    return;
  }
  if (oracle["load"] != load) {
    report("graph facts", json(nullptr), oracle["load"], load);
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ++t.cases;
    const json& want = oracle["results"][i];
    const json got = run_case(*map, cases[i]);
    ++t.outcomes[want.contains("error") ? std::string(want["error"]["kind"]) : "ok"];
    count_shapes(want, t);
    if (!same_result(want, got)) {
      report("case " + std::to_string(i), cases[i], want, got);
    }
  }
}

TEST(Differential, AlembicAndRetortPlanTheSame) {
  const std::size_t graphs = env_number("RETORT_DIFFERENTIAL_GRAPHS", 300);
  const std::uint64_t seed0 = env_number("RETORT_DIFFERENTIAL_SEED", 1);
  const fs::path root =
      fs::temp_directory_path() / fmt::format("retort_differential_{}", ::getpid());
  fs::remove_all(root);

  std::vector<GenGraph> gs;
  std::vector<json> cases;
  constexpr int kWorkers = 2;  // one oracle process per core
  std::vector<json> batches(kWorkers, json{{"projects", json::array()}});
  for (std::size_t i = 0; i < graphs; ++i) {
    gs.push_back(Generator(seed0 + i).make());
    write_projects(gs.back(), root / std::to_string(i));
    cases.push_back(make_cases(gs.back(), seed0 + i));
    batches[i % kWorkers]["projects"].push_back(
        {{"project", (root / std::to_string(i)).string()}, {"cases", cases.back()}});
  }
  std::vector<std::thread> workers;
  std::vector<int> status(kWorkers, 0);
  for (int w = 0; w < kWorkers; ++w) {
    std::ofstream(root / fmt::format("request{}.json", w))
        << batches[static_cast<std::size_t>(w)].dump();
    workers.emplace_back([&, w] {
      status[static_cast<std::size_t>(w)] = std::system(
          fmt::format("/usr/bin/python3 {}/tests/migrate/differential/alembic_oracle.py {} > {}",
                      RETORT_SOURCE_DIR, (root / fmt::format("request{}.json", w)).string(),
                      (root / fmt::format("answer{}.json", w)).string())
              .c_str());
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  Tally t;
  for (int w = 0; w < kWorkers; ++w) {
    ASSERT_EQ(status[static_cast<std::size_t>(w)], 0)
        << "the oracle failed (is Alembic installed for /usr/bin/python3?)";
    const json answer = json::parse(std::ifstream(root / fmt::format("answer{}.json", w)));
    for (std::size_t k = 0; k < answer["projects"].size(); ++k) {
      const std::size_t i = k * kWorkers + static_cast<std::size_t>(w);
      compare_graph(gs[i], root / std::to_string(i), cases[i], answer["projects"][k], t);
    }
  }
  std::string summary =
      fmt::format("{} graphs ({} refused at load), {} cases:", t.graphs, t.load_errors, t.cases);
  for (const auto& [kind, n] : t.outcomes) {
    summary += fmt::format(" {}={}", kind, n);
  }
  std::cout << summary << "\n";
  for (const std::string& r : t.reports) {
    ADD_FAILURE() << r;
  }
  EXPECT_EQ(t.mismatches, 0u) << summary;
  EXPECT_GE(t.graphs, graphs);
  if (t.mismatches == 0 && !std::getenv("RETORT_DIFFERENTIAL_KEEP")) {
    fs::remove_all(root);
  }
}

}  // namespace
}  // namespace retort::migrate::differential

// RevisionMap on hand-built graphs: graph facts, every identifier form, resolution errors,
// load-time errors. Expected values and messages were produced by Alembic 1.8.1's RevisionMap
// on the same graphs (set-ordered places aside, see revision_map.hpp).
#include <gtest/gtest.h>

#include "migrate/graph/graph_helpers.hpp"
#include "migrate/graph/reachability.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

using namespace testing;  // NOLINT

template <class F>
std::string error_text(F&& f, RevisionErrorKind kind) {
  try {
    f();
  } catch (const RevisionError& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  } catch (const ScriptError& e) {
    ADD_FAILURE() << "ScriptError: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

// r0 -> a1 (lbla) -> a2;  r0 -> b1 (lblb) -> b2;  c1: a root that depends on lbla
class Branches : public ::testing::Test {
 protected:
  RevisionMap map =
      make_map({rev("r0000000"), rev("a1000000", {"r0000000"}, {"lbla"}),
                rev("a2000000", {"a1000000"}), rev("b1000000", {"r0000000"}, {"lblb"}),
                rev("b2000000", {"b1000000"}), rev("c1000000", {}, {}, {"lbla"})});
  std::string get(std::string_view ident) { return names(map, map.get_revisions(ident)); }
  std::string one(std::string_view ident) {
    return names(map, std::vector<RevIndex>{map.get_revision(ident)});
  }
};

TEST_F(Branches, HeadsAndBasesInLoadOrder) {
  EXPECT_EQ(names(map, map.heads()), "a2000000 b2000000 c1000000");
  EXPECT_EQ(names(map, map.real_heads()), "a2000000 b2000000 c1000000");
  EXPECT_EQ(names(map, map.bases()), "c1000000 r0000000");
  EXPECT_EQ(names(map, map.real_bases()), "r0000000");  // c1 has a dependency
  EXPECT_EQ(names(map, map.normalized_down_revisions(map.find("c1000000"))), "a1000000");
}

TEST_F(Branches, LabelsCoverTheBranchUpToItsBranchPoint) {
  auto labels = [&](const char* id) {
    return fmt::format("{}", fmt::join(map.branch_labels(map.find(id)), ","));
  };
  EXPECT_EQ(labels("a1000000"), "lbla");
  EXPECT_EQ(labels("a2000000"), "lbla");
  EXPECT_EQ(labels("b2000000"), "lblb");
  EXPECT_EQ(labels("r0000000"), "");  // the branch point itself is shared
  EXPECT_EQ(labels("c1000000"), "");  // depends_on does not carry labels
}

TEST_F(Branches, SymbolsAndLabels) {
  EXPECT_EQ(get("heads"), "a2000000 b2000000 c1000000");
  EXPECT_EQ(get("base"), "");
  EXPECT_EQ(one("base"), "<none>");
  EXPECT_EQ(get("lbla"), "a1000000");  // a label alone names the labelled revision
  EXPECT_EQ(get("lbla@head"), "a2000000");
  EXPECT_EQ(get("lblb@heads"), "b2000000");
  EXPECT_EQ(get("lbla@base"), "");
  EXPECT_EQ(get("a1000000@head"), "a2000000");  // a revision used as branch name
  EXPECT_EQ(get("lbla@-1"), "a1000000");
  EXPECT_EQ(get("-1"), "a1000000 b1000000 <base>");  // one step down from every head
  EXPECT_EQ(get("a2000"), "a2000000");
  EXPECT_EQ(get("a1000000"), "a1000000");
}

TEST_F(Branches, ResolutionErrors) {
  const auto res = RevisionErrorKind::resolution;
  EXPECT_EQ(error_text([&] { map.get_revision("a"); }, res),
            "Multiple revisions start with 'a': 'a1000000', 'a2000000'...");
  EXPECT_EQ(error_text([&] { map.get_revision("zz"); }, res),
            "No such revision or branch 'zz'; please ensure at least four characters are present "
            "for partial "
            "revision identifier matches");
  EXPECT_EQ(error_text([&] { map.get_revision("zzzzz"); }, res),
            "No such revision or branch 'zzzzz'");
  EXPECT_EQ(error_text([&] { map.get_revision("lbla@b2000000"); }, res),
            "Revision b2000000 is not a member of branch 'lbla'");
  EXPECT_EQ(error_text([&] { map.get_revision("nolabel@a2000000"); }, res),
            "No such branch: 'nolabel'");
  EXPECT_EQ(error_text([&] { map.get_revision("nolabel@head"); }, res),
            "No such revision or branch 'nolabel'");
  EXPECT_EQ(error_text([&] { map.get_revision("b2000000@lbla"); }, res),
            "Revision a1000000 is not a member of branch 'b2000000'");
  // Keys shorter than four characters never match as prefixes, digits are not steps.
  EXPECT_EQ(error_text([&] { map.get_revisions("1"); }, res),
            "No such revision or branch '1'; please ensure at least four characters are present "
            "for partial "
            "revision identifier matches");
}

TEST_F(Branches, MultipleHeads) {
  const auto mh = RevisionErrorKind::multiple_heads;
  EXPECT_EQ(error_text([&] { map.get_revision("head"); }, mh),
            "Multiple heads are present for given argument 'head'; a2000000, b2000000, c1000000");
  EXPECT_EQ(error_text([&] { map.get_revision("heads"); }, mh),
            "Multiple heads are present for given argument 'heads'; a2000000, b2000000, c1000000");
  EXPECT_EQ(error_text([&] { map.get_revision("r000@head"); }, mh),
            "Multiple heads are present for given argument 'r000@head'; a2000000, b2000000");
}

TEST_F(Branches, IterateFromHeadsToBase) {
  EXPECT_EQ(names(map, map.iterate_revisions(RevSpec::of(std::string("heads")),
                                             RevSpec::of(std::string("base")), {})),
            "a2000000 c1000000 b2000000 b1000000 a1000000 r0000000");
}

TEST_F(Branches, AncestorIndex) {
  const RevIndex r0 = map.find("r0000000"), a2 = map.find("a2000000"), c1 = map.find("c1000000");
  EXPECT_TRUE(map.is_ancestor(r0, a2, false));
  EXPECT_FALSE(map.is_ancestor(a2, r0, false));
  EXPECT_FALSE(map.is_ancestor(r0, c1, false));  // only through depends_on
  EXPECT_TRUE(map.is_ancestor(r0, c1, true));
}

TEST(ReachabilityIndex, WideGraphsFallBackToSearch) {
  // 3000 roots with one child each: 3000 chains, over the table budget for 6000 nodes.
  Adjacency parents;
  std::vector<std::int32_t> order;
  for (std::int32_t i = 0; i < 3000; ++i) {
    parents.end_row();
    order.push_back(i);
  }
  for (std::int32_t i = 3000; i < 6000; ++i) {
    parents.push(i - 3000);
    parents.push((i - 2999) % 3000);
    parents.end_row();
    order.push_back(i);
  }
  Reachability r(parents, order);
  EXPECT_FALSE(r.indexed());
  EXPECT_TRUE(r.reaches(5, 3005));
  EXPECT_TRUE(r.reaches(6, 3005));
  EXPECT_FALSE(r.reaches(7, 3005));
  EXPECT_FALSE(r.reaches(3005, 5));
}

// --- load-time errors ----------------------------------------------------------------------------

TEST(RevisionMapLoad, SelfLoopsNameTheRevisionAndFile) {
  Revision a = rev("aaaa", {"aaaa"});
  a.path = "versions/aaaa_x.sql";
  EXPECT_EQ(error_text([&] { RevisionMap({a}); }, RevisionErrorKind::self_loop),
            "Self-loop is detected in revisions (aaaa); file: versions/aaaa_x.sql");
  EXPECT_EQ(error_text([&] { make_map({rev("aaaa", {}, {}, {"aaaa"})}); },
                       RevisionErrorKind::dependency_self_loop),
            "Dependency self-loop is detected in revisions (aaaa); file: <revision aaaa>");
}

TEST(RevisionMapLoad, CyclesNameTheRevisionsAndFiles) {
  std::vector<Revision> revs = {rev("base"), rev("aaaa", {"cccc"}), rev("bbbb", {"aaaa"}),
                                rev("cccc", {"bbbb"}), rev("dddd", {"base"})};
  for (Revision& r : revs) {
    r.path = r.id + ".sql";
  }
  // "base" is a reserved symbol in retort, so the root is renamed; the cycle is what matters.
  revs[0].id = "root";
  revs[4].down_revisions = {"root"};
  EXPECT_EQ(
      error_text([&] { make_map(revs); }, RevisionErrorKind::cycle),
      "Cycle is detected in revisions (aaaa, bbbb, cccc); files: aaaa.sql, bbbb.sql, cccc.sql");
  EXPECT_EQ(error_text(
                [&] {
                  make_map({rev("aaaa", {"bbbb"}), rev("bbbb", {"aaaa"})});
                },
                RevisionErrorKind::cycle)
                .substr(0, 46),
            "Cycle is detected in revisions (aaaa, bbbb); f");
}

TEST(RevisionMapLoad, DependencyCycles) {
  EXPECT_EQ(error_text(
                [&] {
                  make_map({rev("aaaa", {}, {}, {"bbbb"}), rev("bbbb", {}, {}, {"aaaa"})});
                },
                RevisionErrorKind::dependency_cycle)
                .substr(0, 56),
            "Dependency cycle is detected in revisions (aaaa, bbbb); ");
  auto text = error_text(
      [&] {
        make_map({rev("aaaa"), rev("bbbb", {"aaaa"}, {}, {"cccc"}),
                  rev("cccc", {"aaaa"}, {}, {"bbbb"}), rev("dddd")});
      },
      RevisionErrorKind::dependency_cycle);
  EXPECT_EQ(text.substr(0, text.find(';')),
            "Dependency cycle is detected in revisions (aaaa, bbbb, cccc)");
}

TEST(RevisionMapLoad, LabelClashes) {
  auto text = error_text(
      [&] {
        make_map({rev("aaaa", {}, {"x"}), rev("bbbb", {"aaaa"}, {"x"})});
      },
      RevisionErrorKind::revision);
  // Alembic names the pair in set order; retort in load order.
  EXPECT_EQ(text.substr(0, text.find(';')),
            "Branch name 'x' in revision bbbb already used by revision aaaa");
  text = error_text(
      [&] {
        make_map({rev("aaaa"), rev("bbbb", {"aaaa"}, {"aaaa"})});
      },
      RevisionErrorKind::revision);
  EXPECT_EQ(text.substr(0, text.find(';')),
            "Branch name 'aaaa' in revision bbbb already used by revision aaaa");
}

TEST(RevisionMapLoad, BadReferencesAreScriptErrors) {
  Revision b = rev("bbbb", {"zzzz"});
  b.path = "v/bbbb.sql";
  b.lines.down_revision = 3;
  try {
    make_map({rev("aaaa"), b});
    FAIL();
  } catch (const ScriptError& e) {
    EXPECT_EQ(e.file(), "v/bbbb.sql");
    EXPECT_EQ(e.line(), 3);
    EXPECT_STREQ(e.what(), "v/bbbb.sql:3: down revision 'zzzz' of revision bbbb is not present");
  }
  EXPECT_THROW(make_map({rev("aaaa", {}, {}, {"nolabel"})}), ScriptError);
  EXPECT_THROW(make_map({rev("aa-a")}), ScriptError);   // '-' is relative-step syntax
  EXPECT_THROW(make_map({rev("aa:a")}), ScriptError);   // ':' is range syntax (Alembic 1.17 too)
  EXPECT_THROW(make_map({rev("heads")}), ScriptError);  // would shadow the symbol
  EXPECT_THROW(make_map({rev("aaaa", {}, {"a@b"})}), ScriptError);
  EXPECT_THROW(make_map({rev("aaaa"), rev("bbbb", {"aaaa", "aaaa"})}), ScriptError);
}

TEST(RevisionMapLoad, DuplicateIdsNameBothFiles) {
  Revision a = rev("aaaa"), b = rev("aaaa");
  a.path = "v/1.sql";
  b.path = "v/2.sql";
  try {
    RevisionMap({a, b});
    FAIL();
  } catch (const ScriptError& e) {
    EXPECT_EQ(e.file(), "v/2.sql");
    EXPECT_NE(std::string(e.what()).find("v/1.sql"), std::string::npos);
  }
}

TEST(RevisionMapLoad, EmptyMap) {
  RevisionMap map({});
  EXPECT_TRUE(map.heads().empty());
  EXPECT_EQ(map.get_revision("head"), kNone);
  EXPECT_TRUE(map.get_revisions("heads").empty());
  EXPECT_TRUE(plan_upgrade(map, {}, "heads").steps.empty());
}

}  // namespace
}  // namespace retort::migrate

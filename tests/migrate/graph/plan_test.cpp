// Plans on hand-built graphs. Every expectation here was produced by Alembic 1.8.1 (through
// tests/migrate/differential/alembic_oracle.py) on the same graph.
#include <gtest/gtest.h>

#include "migrate/graph/graph_helpers.hpp"
#include "retort/migrate.hpp"

namespace retort::migrate {
namespace {

using namespace testing;  // NOLINT: rev, make_map, steps, ops, rows

template <class F>
RevisionError error_of(F&& f) {
  try {
    f();
  } catch (const RevisionError& e) {
    return e;
  }
  ADD_FAILURE() << "no RevisionError";
  return RevisionError(RevisionErrorKind::unsupported, "none");
}

// a1b2c3d4 -> b2c3d4e5 -> c3d4e5f6
class LinearPlan : public ::testing::Test {
 protected:
  RevisionMap map =
      make_map({rev("a1b2c3d4"), rev("b2c3d4e5", {"a1b2c3d4"}), rev("c3d4e5f6", {"b2c3d4e5"})});
};

TEST_F(LinearPlan, UpgradeHeadFromEmptyInsertsThenUpdates) {
  Plan p = plan_upgrade(map, {}, "head");
  EXPECT_EQ(steps(map, p), "+a1b2c3d4 +b2c3d4e5 +c3d4e5f6");
  EXPECT_EQ(ops(p), "INSERT a1b2c3d4; UPDATE a1b2c3d4>b2c3d4e5; UPDATE b2c3d4e5>c3d4e5f6");
  EXPECT_EQ(rows(p.final_rows), "c3d4e5f6");
  EXPECT_EQ(p.steps[1].from, std::vector<std::string>{"a1b2c3d4"});
  EXPECT_EQ(p.steps[1].to, std::vector<std::string>{"b2c3d4e5"});
}

TEST_F(LinearPlan, RelativeUpgradeAndDowngrade) {
  Plan up = plan_upgrade(map, {"a1b2c3d4"}, "+1");
  EXPECT_EQ(ops(up), "UPDATE a1b2c3d4>b2c3d4e5");
  Plan down = plan_downgrade(map, {"c3d4e5f6"}, "-1");
  EXPECT_EQ(steps(map, down), "-c3d4e5f6");
  EXPECT_EQ(ops(down), "UPDATE c3d4e5f6>b2c3d4e5");
  Plan to_rev = plan_upgrade(map, {}, "c3d4e5f6-1");
  EXPECT_EQ(rows(to_rev.final_rows), "b2c3d4e5");
}

TEST_F(LinearPlan, DowngradeBaseDeletesTheLastRow) {
  Plan p = plan_downgrade(map, {"c3d4e5f6"}, "base");
  EXPECT_EQ(steps(map, p), "-c3d4e5f6 -b2c3d4e5 -a1b2c3d4");
  EXPECT_EQ(ops(p), "UPDATE c3d4e5f6>b2c3d4e5; UPDATE b2c3d4e5>a1b2c3d4; DELETE a1b2c3d4");
  EXPECT_TRUE(p.final_rows.empty());
}

TEST_F(LinearPlan, UpgradeToAnAncestorDoesNothing) {
  Plan p = plan_upgrade(map, {"c3d4e5f6"}, "a1b2c3d4");
  EXPECT_TRUE(p.steps.empty());
  EXPECT_EQ(rows(p.final_rows), "c3d4e5f6");
}

TEST_F(LinearPlan, RelativeErrors) {
  auto e = error_of([&] { plan_upgrade(map, {"a1b2c3d4"}, "+5"); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::revision);
  EXPECT_STREQ(e.what(), "Relative revision +5 didn't produce 5 migrations");
  e = error_of([&] { plan_upgrade(map, {"a1b2c3d4"}, "-1"); });
  EXPECT_STREQ(e.what(), "Relative revision -1 didn't produce 1 migrations");
  e = error_of([&] { plan_downgrade(map, {"c3d4e5f6"}, "-5"); });
  EXPECT_STREQ(e.what(), "Relative revision -5 didn't produce 5 migrations");
  e = error_of([&] { plan_downgrade(map, {"c3d4e5f6"}, "+1"); });
  EXPECT_STREQ(e.what(), "Relative revision +1 didn't produce 1 migrations");
}

TEST_F(LinearPlan, DowngradeToADescendantIsNotAnAncestor) {
  auto e = error_of([&] { plan_downgrade(map, {"b2c3d4e5"}, "c3d4e5f6"); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::range);
  EXPECT_STREQ(e.what(),
               "Destination c3d4e5f6 is not a valid downgrade target from current head(s)");
}

TEST_F(LinearPlan, UpgradeWalkingPastBaseIsRefused) {
  // Alembic fails with an AssertionError (the walk yields "base", not a revision).
  auto e = error_of([&] { plan_upgrade(map, {}, "c3d4e5f6-3"); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::unsupported);
}

TEST_F(LinearPlan, Stamps) {
  Plan down = plan_stamp(map, {"c3d4e5f6"}, {"a1b2c3d4"});
  EXPECT_EQ(steps(map, down), "stamp c3d4e5f6>a1b2c3d4");
  EXPECT_EQ(ops(down), "UPDATE c3d4e5f6>a1b2c3d4");
  Plan fresh = plan_stamp(map, {}, {"b2c3d4e5"});
  EXPECT_TRUE(fresh.steps[0].branch_move);
  EXPECT_EQ(ops(fresh), "INSERT b2c3d4e5");
  Plan base = plan_stamp(map, {"b2c3d4e5"}, {"base"});
  EXPECT_EQ(ops(base), "DELETE b2c3d4e5");
  EXPECT_EQ(ops(plan_stamp(map, {"b2c3d4e5"}, {})), "DELETE b2c3d4e5");  // no target = base
}

TEST_F(LinearPlan, ShowAndHistory) {
  EXPECT_EQ(names(map, show_revisions(map, {}, "b2c3")), "b2c3d4e5");
  EXPECT_EQ(names(map, show_revisions(map, {}, "-1")), "b2c3d4e5");
  EXPECT_EQ(names(map, show_revisions(map, {}, "-3")), "<base>");
  EXPECT_EQ(names(map, show_revisions(map, {}, "-4")), "<none>");
  EXPECT_EQ(names(map, show_revisions(map, {"b2c3d4e5"}, "current")), "b2c3d4e5");
  EXPECT_EQ(names(map, history(map, {"b2c3d4e5"}, "current", "")), "c3d4e5f6 b2c3d4e5");
  auto e = error_of([&] { show_revisions(map, {}, "head-1"); });  // get_revisions has no REV-N
  EXPECT_EQ(e.kind(), RevisionErrorKind::resolution);
  EXPECT_STREQ(e.what(), "Can't locate revision identified by 'head-1'");
}

// r0 -> a1 (lbla) -> a2;  r0 -> b1 (lblb) -> b2;  c1 (a root depending on lbla)
class BranchPlan : public ::testing::Test {
 protected:
  RevisionMap map =
      make_map({rev("r0000000"), rev("a1000000", {"r0000000"}, {"lbla"}),
                rev("a2000000", {"a1000000"}), rev("b1000000", {"r0000000"}, {"lblb"}),
                rev("b2000000", {"b1000000"}), rev("c1000000", {}, {}, {"lbla"})});
};

TEST_F(BranchPlan, UpgradeHeadsFollowsAlembicsOrder) {
  Plan p = plan_upgrade(map, {}, "heads");
  EXPECT_EQ(steps(map, p), "+r0000000 +a1000000 +b1000000 +b2000000 +c1000000 +a2000000");
  EXPECT_EQ(ops(p),
            "INSERT r0000000; UPDATE r0000000>a1000000; INSERT b1000000; UPDATE b1000000>b2000000; "
            "UPDATE a1000000>c1000000; INSERT a2000000");
  EXPECT_EQ(rows(p.final_rows), "c1000000 b2000000 a2000000");
}

TEST_F(BranchPlan, HeadIsAmbiguous) {
  auto e = error_of([&] { plan_upgrade(map, {}, "head"); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::multiple_heads);
  EXPECT_STREQ(
      e.what(),
      "Multiple head revisions are present for given argument 'head'; please specify a specific "
      "target "
      "revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads");
}

TEST_F(BranchPlan, LabelledTargets) {
  EXPECT_EQ(steps(map, plan_upgrade(map, {}, "lbla@head")), "+r0000000 +a1000000 +a2000000");
  EXPECT_EQ(ops(plan_upgrade(map, {"a1000000", "b1000000"}, "lbla@+1")),
            "UPDATE a1000000>a2000000");
  EXPECT_EQ(ops(plan_upgrade(map, {"a2000000"}, "lblb@+1")), "INSERT b1000000");
  EXPECT_EQ(ops(plan_upgrade(map, {"r0000000"}, "lblb@+2")),
            "UPDATE r0000000>b1000000; UPDATE b1000000>b2000000");
  EXPECT_EQ(ops(plan_downgrade(map, {"a2000000", "b2000000"}, "lblb@-1")),
            "UPDATE b2000000>b1000000");
  EXPECT_EQ(steps(map, plan_upgrade(map, {}, "b1000000@head")), "+r0000000 +b1000000 +b2000000");
}

TEST_F(BranchPlan, AmbiguousUpgradeAndWalk) {
  auto e = error_of([&] { plan_upgrade(map, {"a1000000", "b1000000"}, "+1"); });
  EXPECT_STREQ(e.what(), "Ambiguous upgrade from multiple current revisions");
  e = error_of([&] { plan_upgrade(map, {}, "base+2"); });
  EXPECT_STREQ(e.what(), "Ambiguous walk");
}

TEST_F(BranchPlan, MinusOneFromSeveralHeadsTakesTheFirstRow) {
  EXPECT_EQ(ops(plan_downgrade(map, {"a2000000", "b2000000"}, "-1")), "UPDATE a2000000>a1000000");
  EXPECT_EQ(ops(plan_downgrade(map, {"b2000000", "a2000000"}, "-1")), "UPDATE b2000000>b1000000");
}

TEST_F(BranchPlan, DowngradeKeepsARevisionAnotherBranchDependsOn) {
  Plan p = plan_downgrade(map, {"a2000000", "b2000000", "c1000000"}, "a1000000");
  EXPECT_EQ(ops(p), "DELETE a2000000");  // a1 stays implied by c1
  Plan all = plan_downgrade(map, {"a2000000", "b2000000", "c1000000"}, "base");
  EXPECT_EQ(steps(map, all), "-a2000000 -c1000000 -b2000000 -b1000000 -a1000000 -r0000000");
  EXPECT_EQ(ops(all),
            "DELETE a2000000; UPDATE c1000000>a1000000; UPDATE b2000000>b1000000; DELETE b1000000; "
            "UPDATE a1000000>r0000000; DELETE r0000000");
}

TEST_F(BranchPlan, StampsPerBranch) {
  Plan p = plan_stamp(map, {"b2000000"}, {"lbla@head"});
  EXPECT_EQ(ops(p), "INSERT a2000000");
  EXPECT_EQ(ops(plan_stamp(map, {}, {"heads"})),
            "INSERT a2000000; INSERT b2000000; INSERT c1000000");
  Plan merge = plan_stamp(map, {"a2000000", "b2000000"}, {"r0000000"});
  EXPECT_EQ(steps(map, merge), "stamp a2000000,b2000000>r0000000");
  EXPECT_EQ(ops(merge), "DELETE a2000000; UPDATE b2000000>r0000000");
}

// base -> x, y -> merge(x, y);  a1; b1 (a root depending on a1); m1 = merge(a1, b1)
class MergePlan : public ::testing::Test {
 protected:
  RevisionMap map =
      make_map({rev("base0000"), rev("x1000000", {"base0000"}), rev("y1000000", {"base0000"}),
                rev("merge000", {"x1000000", "y1000000"}), rev("a1111111"),
                rev("b1111111", {}, {}, {"a1111111"}), rev("m1111111", {"a1111111", "b1111111"})});
};

TEST_F(MergePlan, MergeDeletesOneRowAndUpdatesTheOther) {
  EXPECT_EQ(ops(plan_upgrade(map, {"x1000000", "y1000000"}, "merge000")),
            "DELETE x1000000; UPDATE y1000000>merge000");
  Plan fresh = plan_upgrade(map, {}, "merge000");
  EXPECT_EQ(steps(map, fresh), "+base0000 +y1000000 +x1000000 +merge000");
  EXPECT_EQ(ops(fresh),
            "INSERT base0000; UPDATE base0000>y1000000; INSERT x1000000; DELETE x1000000; UPDATE "
            "y1000000>merge000");
}

TEST_F(MergePlan, UnmergeInsertsTheOtherParent) {
  Plan p = plan_downgrade(map, {"merge000"}, "x1000000");
  EXPECT_EQ(ops(p), "INSERT x1000000; UPDATE merge000>y1000000");
  EXPECT_EQ(rows(p.final_rows), "y1000000 x1000000");
  auto e = error_of([&] { plan_downgrade(map, {"merge000"}, "-1"); });
  EXPECT_STREQ(e.what(), "Ambiguous walk");
}

TEST_F(MergePlan, UnmergeDoesNotReinsertAnImpliedParent) {
  // Alembic issue #1373 (fixed in 1.13): a1 is implied by b1 (b1 depends on it). Alembic 1.8.1
  // would INSERT a1 too, leaving a table the next upgrade refuses ("overlaps").
  Plan p = plan_downgrade(map, {"m1111111"}, "b1111111");
  EXPECT_EQ(ops(p), "UPDATE m1111111>b1111111");
  EXPECT_EQ(rows(p.final_rows), "b1111111");
}

TEST_F(MergePlan, StampMergeAndTheStampAlembicCannotFinish) {
  EXPECT_EQ(ops(plan_stamp(map, {"x1000000", "y1000000"}, {"merge000"})),
            "DELETE x1000000; UPDATE y1000000>merge000");
  // Two destinations below one row: Alembic updates the row for the first and then fails
  // (KeyError) on the second; retort refuses before anything runs.
  auto e = error_of([&] { plan_stamp(map, {"merge000"}, {"x1000000", "y1000000"}); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::unsupported);
}

TEST_F(MergePlan, UpgradeHeadsFromOneBranch) {
  Plan p = plan_upgrade(map, {"x1000000"}, "heads");
  EXPECT_EQ(steps(map, p), "+a1111111 +y1000000 +merge000 +b1111111 +m1111111");
  EXPECT_EQ(ops(p),
            "INSERT a1111111; INSERT y1000000; DELETE x1000000; UPDATE y1000000>merge000; UPDATE "
            "a1111111>b1111111; "
            "UPDATE b1111111>m1111111");
}

TEST(PlanRows, UnknownRowIsAResolutionError) {
  RevisionMap map = make_map({rev("a1b2c3d4")});
  auto e = error_of([&] { plan_upgrade(map, {"deadbeef"}, "heads"); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::resolution);
  EXPECT_STREQ(e.what(), "Can't locate revision identified by 'deadbeef'");
}

TEST(PlanRows, DuplicateRowsAreAVersionTableError) {
  RevisionMap map = make_map({rev("a1b2c3d4"), rev("b2c3d4e5", {"a1b2c3d4"})});
  auto e = error_of([&] { plan_upgrade(map, {"a1b2c3d4", "a1b2c3d4"}, "b2c3d4e5"); });
  EXPECT_EQ(e.kind(), RevisionErrorKind::version_table);
}

}  // namespace
}  // namespace retort::migrate

// The revision graph drawn in the terminal (history --graph) and as DOT (retort graph).
#include "cli/graph_drawing.hpp"

#include <gtest/gtest.h>

#include "migrate/graph/graph_helpers.hpp"

namespace retort::cli {
namespace {

using migrate::testing::make_map;
using migrate::testing::rev;

std::vector<migrate::RevIndex> in_order(const migrate::RevisionMap& map,
                                        const std::vector<std::string>& ids) {
  std::vector<migrate::RevIndex> out;
  for (const std::string& id : ids) out.push_back(map.find(id));
  return out;
}

TEST(HistoryGraph, ABranchAndItsMerge) {
  // a <- b, a <- c, d merges b and c.
  const migrate::RevisionMap map =
      make_map({rev("a"), rev("b", {"a"}), rev("c", {"a"}), rev("d", {"b", "c"})});
  const std::vector<std::string> order = {"d", "c", "b", "a"};
  EXPECT_EQ(draw_history_graph(map, in_order(map, order), order),
            "*  d\n"
            "|\\\n"
            "| *  c\n"
            "* |  b\n"
            "|/\n"
            "*  a\n");
}

TEST(HistoryGraph, TwoHeadsShareABase) {
  const migrate::RevisionMap map = make_map({rev("a"), rev("b", {"a"}), rev("c", {"a"})});
  const std::vector<std::string> order = {"c", "b", "a"};
  EXPECT_EQ(draw_history_graph(map, in_order(map, order), order),
            "*  c\n"
            "| *  b\n"
            "|/\n"
            "*  a\n");
}

TEST(HistoryGraph, ALineIsOneLane) {
  const migrate::RevisionMap map = make_map({rev("a"), rev("b", {"a"}), rev("c", {"b"})});
  const std::vector<std::string> order = {"c", "b", "a"};
  EXPECT_EQ(draw_history_graph(map, in_order(map, order), order), "*  c\n*  b\n*  a\n");
}

TEST(GraphDot, MarksHeadsMergesLabelsDependenciesAndCurrent) {
  const migrate::RevisionMap map = make_map(
      {rev("a"), rev("b", {"a"}, {"billing"}), rev("c", {"a"}, {}, {"b"}), rev("d", {"b", "c"})});
  const std::string dot = graph_dot(map, {"c"});
  EXPECT_NE(dot.find("digraph revisions {"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"b\" [label=\"b (billing)\"]"), std::string::npos) << dot;
  // d inherits b's branch label, as Alembic's branch labels reach every descendant.
  EXPECT_NE(dot.find("\"d\" [label=\"d (billing)\", shape=diamond, penwidth=2.5]"),
            std::string::npos)
      << dot;
  EXPECT_NE(dot.find("\"c\" [label=\"c\", style=filled"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"d\" -> \"b\";"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"d\" -> \"c\";"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"c\" -> \"b\" [style=dashed"), std::string::npos) << dot;
}

TEST(GraphDot, QuotesAndBackslashesInMessagesAreEscaped) {
  migrate::Revision r = rev("a");
  r.message = "say \"hi\" \\ bye";
  const migrate::RevisionMap map = make_map({r});
  EXPECT_NE(graph_dot(map, {}).find("label=\"a\\nsay \\\"hi\\\" \\\\ bye\""), std::string::npos);
}

}  // namespace
}  // namespace retort::cli

// The Python behaviours the identifier language relies on: int() and Alembic's
// _relative_destination regular expression (re.match semantics).
#include <gtest/gtest.h>

#include "migrate/graph/identifier_syntax.hpp"

namespace retort::migrate::syntax {
namespace {

TEST(PythonInt, AcceptsWhatIntAccepts) {
  EXPECT_EQ(python_int("-1"), -1);
  EXPECT_EQ(python_int("+3"), 3);
  EXPECT_EQ(python_int(" 12 "), 12);
  EXPECT_EQ(python_int("007"), 7);
  EXPECT_EQ(python_int("1_000"), 1000);
  EXPECT_EQ(python_int("-0"), 0);
  EXPECT_EQ(python_int("99999999999999999999999"), std::numeric_limits<long long>::max());
}

TEST(PythonInt, RefusesWhatIntRefuses) {
  for (const char* bad :
       {"", "-", "+", "a1", "1a", "_1", "1_", "1__0", "0x10", "1.0", "- 1", "abcd"}) {
    EXPECT_FALSE(python_int(bad).has_value()) << bad;
  }
}

std::string show(const std::optional<RelativeTarget>& m) {
  if (!m) {
    return "no match";
  }
  return (m->branch_label ? *m->branch_label : "None") + "|" + (m->symbol ? *m->symbol : "None") +
         "|" + m->relative;
}

TEST(RelativeDestination, Groups) {
  EXPECT_EQ(show(match_relative("+2")), "None|None|+2");
  EXPECT_EQ(show(match_relative("-1")), "None|None|-1");
  EXPECT_EQ(show(match_relative("head-1")), "None|head|-1");
  EXPECT_EQ(show(match_relative("base+2")), "None|base|+2");
  EXPECT_EQ(show(match_relative("ae10+3")), "None|ae10|+3");
  EXPECT_EQ(show(match_relative("lbl@+1")), "lbl|None|+1");
  EXPECT_EQ(show(match_relative("lbl@head-2")), "lbl|head|-2");
  EXPECT_EQ(show(match_relative("lbl@ae10+1")), "lbl|ae10|+1");
}

TEST(RelativeDestination, MatchIsAnchoredAtTheStartOnly) {
  EXPECT_EQ(show(match_relative("abc-2xyz")), "None|abc|-2");
  EXPECT_EQ(show(match_relative("a+1+2")), "None|a|+1");
  EXPECT_EQ(show(match_relative("a@b@c+1")),
            "a@b|c|+1");  // shortest label that lets the rest match
  EXPECT_EQ(show(match_relative("a@+1@b")), "a|None|+1");
}

TEST(RelativeDestination, NonRelativeForms) {
  for (const char* plain :
       {"head", "heads", "base", "ae10", "lbl@head", "lbl@ae10", "abc+", "+", "-x", "a.b-1", ""}) {
    EXPECT_EQ(show(match_relative(plain)), "no match") << plain;
  }
  EXPECT_TRUE(truthy(std::string("x")));
  EXPECT_FALSE(truthy(std::string()));
  EXPECT_FALSE(truthy(std::nullopt));
}

}  // namespace
}  // namespace retort::migrate::syntax

// The one rule for revision ids and branch labels, on both backends and for every source (files,
// C++ revisions, `--rev-id`).
#include "migrate/graph/revision.hpp"

#include <gtest/gtest.h>

namespace retort::migrate {
namespace {

TEST(RevisionId, EveryIdAlembicGeneratesAndUpToThirtyTwoCharactersPass) {
  EXPECT_EQ(invalid_revision_id_reason("1a2b3c4d5e6f"), "");
  EXPECT_EQ(invalid_revision_id_reason("ae1027a6acf"), "");
  EXPECT_EQ(invalid_revision_id_reason(std::string(32, '0')), "");
  EXPECT_EQ(invalid_revision_id_reason("0001_initial.v2"), "");
  // Characters, not bytes, as VARCHAR(32) counts them.
  EXPECT_EQ(invalid_revision_id_reason("\xc3\xa9t\xc3\xa9_" + std::string(28, 'x')), "");
}

TEST(RevisionId, RefusedWithAReason) {
  EXPECT_EQ(invalid_revision_id_reason(std::string(33, '0')),
            "is longer than 32 characters (the version table's column)");
  EXPECT_EQ(invalid_revision_id_reason(""), "is empty");
  EXPECT_EQ(invalid_revision_id_reason("a b"), "contains whitespace");
  EXPECT_EQ(invalid_revision_id_reason("a\nb"), "contains whitespace");
  EXPECT_EQ(invalid_revision_id_reason("a\x1b"), "contains the control character U+001B (byte 2)");
  EXPECT_EQ(invalid_revision_id_reason(std::string_view("a\0b", 3)),
            "contains the control character U+0000 (byte 2)");
  EXPECT_EQ(invalid_revision_id_reason("a\xff"), "contains invalid UTF-8 (byte 2)");
  EXPECT_EQ(invalid_revision_id_reason("a,b"), "contains ','");
  EXPECT_EQ(invalid_revision_id_reason("a@b"), "contains '@'");
  EXPECT_EQ(invalid_revision_id_reason("a-b"), "contains '-'");
  EXPECT_EQ(invalid_revision_id_reason("head"), "is the reserved symbol 'head'");
}

TEST(BranchLabel, SameCharacterRulesNoLengthLimit) {
  EXPECT_EQ(invalid_branch_label_reason("billing-v2"), "");
  EXPECT_EQ(invalid_branch_label_reason(std::string(64, 'l')), "");
  EXPECT_EQ(invalid_branch_label_reason("x\x7fy"),
            "contains the control character U+007F (byte 2)");
  EXPECT_EQ(invalid_branch_label_reason("a@b"), "contains '@'");
}

TEST(HeaderValue, C1ControlsAndInvalidUtf8AreNamedToo) {
  EXPECT_EQ(control_character_reason("csi \xC2\x9B"
                                     "2J"),
            "contains the control character U+009B (byte 5)");
  EXPECT_EQ(control_character_reason("caf\xE9"), "contains invalid UTF-8 (byte 4)");
  EXPECT_EQ(invalid_revision_id_reason("a\xC2\x85"),
            "contains the control character U+0085 (byte 2)");
}

TEST(HeaderValue, ControlCharactersOtherThanTabAreNamed) {
  EXPECT_EQ(control_character_reason("add users\ttable"), "");
  EXPECT_EQ(control_character_reason("colour \x1b]0;x"),
            "contains the control character U+001B (byte 8)");
}

}  // namespace
}  // namespace retort::migrate

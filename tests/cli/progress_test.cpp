// The status line texts: rates, durations and the ingest status with its estimate of time left.
#include "cli/progress.hpp"

#include <gtest/gtest.h>

namespace retort::cli {
namespace {

TEST(Progress, RatesAndDurationsInShortForms) {
  EXPECT_EQ(per_second(12), "12/s");
  EXPECT_EQ(per_second(4100), "4.1k/s");
  EXPECT_EQ(per_second(25000), "25k/s");
  EXPECT_EQ(per_second(2.5e6), "2.5M/s");
  EXPECT_EQ(duration_text(9.6), "10s");
  EXPECT_EQ(duration_text(125), "2m05s");
  EXPECT_EQ(duration_text(7260), "2h01m");
  EXPECT_EQ(duration_text(-1), "?");
}

TEST(Progress, IngestShowsLinesRateAndTimeLeft) {
  // A quarter of the file in 10 s: three quarters left at the same pace is 30 s.
  EXPECT_EQ(ingest_progress_text(1000, 990, 10, 10.0, 0.25),
            "1000 lines read, 990 accepted, 10 rejected, 100/s, 30s left");
  // Standard input (no size) and the very start (no time yet) say only what is known.
  EXPECT_EQ(ingest_progress_text(1000, 1000, 0, 2.0, std::nullopt),
            "1000 lines read, 1000 accepted, 0 rejected, 500/s");
  EXPECT_EQ(ingest_progress_text(0, 0, 0, 0.0, 0.0), "0 lines read, 0 accepted, 0 rejected");
  // The whole file read: no estimate (the last batch is still committing).
  EXPECT_EQ(ingest_progress_text(10, 10, 0, 1.0, 1.0),
            "10 lines read, 10 accepted, 0 rejected, 10/s");
}

}  // namespace
}  // namespace retort::cli

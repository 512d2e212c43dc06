// events ingest with the ledger, with a fault at every step in turn (tests/support/
// fault_injection.hpp): after each, the ledger and the stored rows agree (every line up to the
// ledger's last_line stored once, none after it), the error names the file and the lines that
// were not stored, and a rerun with IngestMode::resume stores the rest without duplicates.
#include <gtest/gtest.h>

#include <cstdio>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "retort/error.hpp"
#include "retort/events.hpp"
#include "support/events_schema.hpp"
#include "support/fault_injection.hpp"
#include "support/test_db.hpp"

namespace retort::events {
namespace {

using retort::testing::Fault;
using retort::testing::FaultInjector;

constexpr std::size_t kLines = 9;
constexpr std::size_t kBadLine = 5;

// Lines 1..9, each {"n": i}, except line 5, which is not JSON.
std::string input_text() {
  std::string text;
  for (std::size_t i = 1; i <= kLines; ++i) {
    text += i == kBadLine ? "not json" : fmt::format(R"({{"n": {}}})", i);
    text += '\n';
  }
  return text;
}

class IngestFaultsTest : public ::testing::TestWithParam<retort::testing::FaultCase> {
 protected:
  IngestFaultsTest() : test_db_(std::get<0>(GetParam())), db_(faults_.open(test_db_.url())) {
    Database plain(test_db_.url());
    testing::upgrade_events_schema(plain);
    std::ofstream(dir_ / "in.jsonl", std::ios::binary) << input_text();
    source_ = identify_ingest_source((dir_ / "in.jsonl").string());
  }
  Fault fault() const { return std::get<1>(GetParam()); }

  IngestOptions options(IngestMode mode) const {
    IngestOptions o;
    o.batch_size = 2;  // batches end at lines 2, 4, 7 and 9, then the final ledger update
    o.source = source_;
    o.mode = mode;
    o.max_retries = 0;  // a broken link stops the ingest: the rerun resumes it
    o.on_retry = [](std::size_t, const std::string&) {};
    return o;
  }

  IngestReport run(IngestMode mode) {
    std::ifstream in(dir_ / "in.jsonl", std::ios::binary);
    return ingest(db_, in, options(mode));
  }

  void clear() {
    Database plain(test_db_.url());
    plain.transaction([](Session& s) {
      s.execute("DELETE FROM events");
      s.execute("DELETE FROM events_ingest_ledger");
    });
  }

  // Asserts that the ledger and the rows agree; returns the ledger's last_line (0: no row).
  std::size_t expect_consistent() {
    Database plain(test_db_.url());
    PooledConnection c = plain.connection();
    std::size_t last_line = 0;
    std::int64_t accepted = 0, rejected = 0;
    bool complete = false;
    const Result ledger =
        c->execute("SELECT last_line, accepted, rejected, complete FROM events_ingest_ledger");
    EXPECT_LE(ledger.size(), 1u);
    if (!ledger.empty()) {
      last_line = static_cast<std::size_t>(ledger.at(0)[0].as_int64());
      accepted = ledger.at(0)[1].as_int64();
      rejected = ledger.at(0)[2].as_int64();
      complete = ledger.at(0)[3].as_bool();
    }
    std::map<std::int64_t, int> stored;
    for (const Row& row : c->execute("SELECT data FROM events")) {
      ++stored[nlohmann::json::parse(row[0].as_text())["n"].get<std::int64_t>()];
    }
    std::map<std::int64_t, int> expected;
    for (std::size_t i = 1; i <= last_line; ++i) {
      if (i != kBadLine) expected[static_cast<std::int64_t>(i)] = 1;
    }
    EXPECT_EQ(stored, expected) << "ledger at line " << last_line;
    EXPECT_EQ(accepted, static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(rejected, last_line >= kBadLine ? 1 : 0);
    if (complete) {
      EXPECT_EQ(last_line, kLines);
    }
    return last_line;
  }

  bool ledger_complete() {
    Database plain(test_db_.url());
    const Result r = plain.connection()->execute("SELECT complete FROM events_ingest_ledger");
    return !r.empty() && r.at(0)[0].as_bool();
  }

  // What an IngestError must say: the file, and from which line nothing is stored.
  void expect_error_says_what_happened(const IngestError& e, std::size_t ledger_line) {
    const std::string text = e.what();
    EXPECT_NE(text.find(source_.path), std::string::npos) << text;
    if (e.report().lines == 0) {  // reading the ledger failed: nothing of the run began
      EXPECT_NE(text.find("did not start"), std::string::npos) << text;
      return;
    }
    EXPECT_EQ(e.report().committed_line, ledger_line) << text;
    if (ledger_line == kLines) {
      EXPECT_NE(text.find("while marking it complete"), std::string::npos) << text;
    } else {
      EXPECT_NE(text.find(fmt::format("lines {}..", ledger_line + 1)), std::string::npos) << text;
    }
    EXPECT_NE(text.find(ledger_line == 0 ? std::string("no line is stored")
                                         : fmt::format("lines 1..{} are stored", ledger_line)),
              std::string::npos)
        << text;
  }

  testing::TestDatabase test_db_;
  FaultInjector faults_;
  Database db_;
  testing::TempDir dir_;
  IngestSource source_;
};

TEST_P(IngestFaultsTest, EveryStepFailsInTurnTheLedgerAgreesAndResumeCompletes) {
  faults_.count();
  const IngestReport clean = run(IngestMode::fresh);
  ASSERT_TRUE(clean.complete);
  ASSERT_EQ(expect_consistent(), kLines);
  const std::vector<std::string> trace = faults_.trace();
  ASSERT_GE(trace.size(), 15u);
  RecordProperty("fault_points", static_cast<int>(trace.size()));
  std::printf("%zu fault points\n", trace.size());
  for (std::size_t n = 1; n <= trace.size(); ++n) {
    SCOPED_TRACE(fmt::format("{} at {}", fault_name(fault()), trace[n - 1]));
    clear();
    faults_.arm(n, fault());
    std::size_t ledger_line = 0;
    try {
      const IngestReport report = run(IngestMode::fresh);
      // Only a lost reply to a COMMIT can go unnoticed: the ledger, read again, says it is stored.
      EXPECT_EQ(fault(), Fault::lost_reply);
      EXPECT_TRUE(report.complete);
      EXPECT_EQ(expect_consistent(), kLines);
      // Regression: a link broken before the final COMMIT (which only marks the file complete)
      // was taken for a committed one, as the ledger's last_line had not moved: the run said
      // complete and the ledger did not.
      EXPECT_TRUE(ledger_complete()) << "the run reported complete, the ledger does not";
    } catch (const IngestError& e) {
      ASSERT_TRUE(faults_.fired()) << e.what();
      ledger_line = expect_consistent();
      expect_error_says_what_happened(e, ledger_line);
    } catch (const Error& e) {
      ADD_FAILURE() << "not an IngestError: " << e.what();
      ledger_line = expect_consistent();
    }
    // Without faults, --resume stores the rest, each line once.
    const IngestReport resumed = run(IngestMode::resume);
    EXPECT_TRUE(resumed.complete);
    EXPECT_EQ(expect_consistent(), kLines);
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, IngestFaultsTest, retort::testing::every_fault_case(),
                         retort::testing::FaultCaseName());

}  // namespace
}  // namespace retort::events

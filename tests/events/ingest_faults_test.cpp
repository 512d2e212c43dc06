// events ingest with the ledger, with a fault at every step in turn (tests/support/
// fault_injection.hpp): after each, the ledger and the stored rows agree (every line up to the
// ledger's last_line stored once, none after it), the error names the file and the lines that
// were not stored, and a rerun with IngestMode::resume stores the rest without duplicates. The
// same with retries on (a broken link is mended without duplicates) and in strict mode (all or
// nothing).
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

enum class Input { with_bad_line, all_good };

// Lines 1..9, each {"n": i}, except line 5, which is not JSON (with_bad_line).
std::string input_text(Input input) {
  std::string text;
  for (std::size_t i = 1; i <= kLines; ++i) {
    text += i == kBadLine && input == Input::with_bad_line ? "not json"
                                                           : fmt::format(R"({{"n": {}}})", i);
    text += '\n';
  }
  return text;
}

class IngestFaultsTest : public ::testing::TestWithParam<retort::testing::FaultCase> {
 protected:
  IngestFaultsTest() : test_db_(std::get<0>(GetParam())), db_(faults_.open(test_db_.url())) {
    Database plain(test_db_.url());
    testing::upgrade_events_schema(plain);
    write_input(Input::with_bad_line);
  }
  void write_input(Input input) {
    input_ = input;
    std::ofstream(dir_ / "in.jsonl", std::ios::binary | std::ios::trunc) << input_text(input);
    source_ = identify_ingest_source((dir_ / "in.jsonl").string());
  }
  Fault fault() const { return std::get<1>(GetParam()); }

  IngestOptions options(IngestMode mode) const {
    IngestOptions o;
    o.batch_size = 2;  // batches end at lines 2, 4, 7 and 9, then the final ledger update
    o.source = source_;
    o.mode = mode;
    o.max_retries = max_retries_;  // 0: a broken link stops the ingest: the rerun resumes it
    o.strict = strict_;
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
    const bool has_bad_line = input_ == Input::with_bad_line;
    for (std::size_t i = 1; i <= last_line; ++i) {
      if (i != kBadLine || !has_bad_line) expected[static_cast<std::int64_t>(i)] = 1;
    }
    EXPECT_EQ(stored, expected) << "ledger at line " << last_line;
    EXPECT_EQ(accepted, static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(rejected, has_bad_line && last_line >= kBadLine ? 1 : 0);
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

  // The steps of a clean run, counted.
  std::vector<std::string> clean_trace() {
    faults_.count();
    const IngestReport clean = run(IngestMode::fresh);
    EXPECT_TRUE(clean.complete);
    EXPECT_EQ(expect_consistent(), kLines);
    RecordProperty("fault_points", static_cast<int>(faults_.trace().size()));
    std::printf("%zu fault points\n", faults_.trace().size());
    return faults_.trace();
  }

  std::size_t max_retries_ = 0;
  bool strict_ = false;
  Input input_ = Input::with_bad_line;
  testing::TestDatabase test_db_;
  FaultInjector faults_;
  Database db_;
  testing::TempDir dir_;
  IngestSource source_;
};

TEST_P(IngestFaultsTest, EveryStepFailsInTurnTheLedgerAgreesAndResumeCompletes) {
  const std::vector<std::string> trace = clean_trace();
  ASSERT_GE(trace.size(), 15u);
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

// With retries (the default is 3): a broken link or a lost reply during a batch is mended on a
// fresh connection, and the ledger decides whether a batch whose COMMIT reply was lost is stored,
// so the run completes with every line once. A refusal by the server is not retried, and nothing
// is retried before the run has begun (reading the ledger).
TEST_P(IngestFaultsTest, RetriesMendABrokenLinkWithoutStoringALineTwice) {
  max_retries_ = 3;
  const std::vector<std::string> trace = clean_trace();
  ASSERT_GE(trace.size(), 15u);
  std::size_t mended = 0;
  for (std::size_t n = 1; n <= trace.size(); ++n) {
    SCOPED_TRACE(fmt::format("{} at {}", fault_name(fault()), trace[n - 1]));
    clear();
    faults_.arm(n, fault());
    try {
      const IngestReport report = run(IngestMode::fresh);
      EXPECT_TRUE(report.complete);
      EXPECT_EQ(expect_consistent(), kLines);
      EXPECT_TRUE(ledger_complete());
      if (report.retries > 0) ++mended;
      EXPECT_LE(report.retries, 1u) << "one fault, one retry at most";
    } catch (const IngestError& e) {
      ASSERT_TRUE(faults_.fired()) << e.what();
      expect_error_says_what_happened(e, expect_consistent());
      if (fault() != Fault::error) {
        EXPECT_EQ(e.report().lines, 0u)
            << "a broken link after the start was not mended: " << e.what();
      }
    }
    const IngestReport resumed = run(IngestMode::resume);
    EXPECT_TRUE(resumed.complete);
    EXPECT_EQ(expect_consistent(), kLines);
  }
  if (fault() != Fault::error) {
    EXPECT_GT(mended, 0u) << "no fault was mended by a retry";
  }
}

// Strict: one transaction. After a fault the file is stored whole or not at all (a reply lost
// on the COMMIT: the ledger, read on a new connection, says it was stored), and a fresh run then
// completes.
TEST_P(IngestFaultsTest, StrictStoresTheWholeFileOrNothing) {
  strict_ = true;
  write_input(Input::all_good);
  const std::vector<std::string> trace = clean_trace();
  ASSERT_GE(trace.size(), 3u);
  for (std::size_t n = 1; n <= trace.size(); ++n) {
    SCOPED_TRACE(fmt::format("{} at {}", fault_name(fault()), trace[n - 1]));
    clear();
    faults_.arm(n, fault());
    try {
      const IngestReport report = run(IngestMode::fresh);
      EXPECT_EQ(fault(), Fault::lost_reply) << "only a lost COMMIT reply can end in success";
      EXPECT_TRUE(report.complete);
      EXPECT_EQ(expect_consistent(), kLines);
      EXPECT_TRUE(ledger_complete());
    } catch (const IngestError& e) {
      ASSERT_TRUE(faults_.fired()) << e.what();
      EXPECT_EQ(expect_consistent(), 0u)
          << "a strict ingest that failed stored lines: " << e.what();
      EXPECT_NE(std::string(e.what()).find("nothing of this run was stored"), std::string::npos)
          << e.what();
      EXPECT_EQ(run(IngestMode::fresh).accepted, kLines);
    }
    EXPECT_EQ(expect_consistent(), kLines);
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, IngestFaultsTest, retort::testing::every_fault_case(),
                         retort::testing::FaultCaseName());

}  // namespace
}  // namespace retort::events

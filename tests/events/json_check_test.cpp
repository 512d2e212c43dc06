// Event JSON validation: what is refused, and the byte offset named.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "events/line_reader.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"

namespace retort::events {
namespace {

TEST(JsonCheck, AcceptsValidDocuments) {
  for (const char* ok :
       {R"({"a": 1})", "[]", "3", "\"x\"", "null", R"({"k\"'; DROP TABLE x; --": "v"})",
        R"({"big": 123456789012345678901234567890})", R"({"e": "\\u0000 is text"})",
        "{\"unicode\": \"S\xc3\xb8ren \xe2\x82\xac\"}"}) {
    EXPECT_FALSE(check_json(ok).has_value()) << ok << ": " << check_json(ok)->reason;
  }
}

TEST(JsonCheck, MalformedJsonNamesTheByte) {
  std::optional<JsonProblem> p = check_json(R"({"a": tru})");
  ASSERT_TRUE(p.has_value());
  EXPECT_NE(p->reason.find("malformed JSON"), std::string::npos) << p->reason;
  EXPECT_GE(p->offset, 6u);
  EXPECT_LE(p->offset, 9u);

  p = check_json(R"({"a": 1,})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 8u) << p->reason;

  p = check_json(R"({"a": 1)");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 7u) << p->reason;

  EXPECT_TRUE(check_json("").has_value());
  EXPECT_TRUE(check_json("{} {}").has_value());
}

TEST(JsonCheck, NulByteInvalidUtf8AndNulEscapeAreRefusedWithOffset) {
  std::optional<JsonProblem> p = check_json(std::string("{\"a\": \"x\0y\"}", 12));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 8u);
  EXPECT_NE(p->reason.find("NUL"), std::string::npos);

  p = check_json("{\"a\": \"\xff\"}");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 7u);
  EXPECT_NE(p->reason.find("UTF-8"), std::string::npos);

  p = check_json(R"({"a": "x\u0000"})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 8u);
}

TEST(JsonCheck, NestingDeeperThanSqliteStoresIsRefusedWithOffset) {
  const std::string deep = "{\"a\": " + std::string(2000, '[') + std::string(2000, ']') + "}";
  std::optional<JsonProblem> p = check_json(deep);  // 2001 levels with the object
  ASSERT_TRUE(p.has_value());
  EXPECT_NE(p->reason.find("nested deeper than 2000 levels"), std::string::npos) << p->reason;
  EXPECT_EQ(p->offset, 6u + 1999u);  // the 2000th '[' is the 2001st level
  EXPECT_FALSE(check_json(std::string(2000, '[') + std::string(2000, ']')).has_value());
}

// Peak resident memory (KiB) that checking `line` adds, measured in a forked child so that no
// earlier test's peak hides it.
long check_json_peak_growth_kib(const std::string& line, JsonProblem& problem_out) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = fork();
  if (child == 0) {
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    std::optional<JsonProblem> p = check_json(line, line.size() + 1);
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    const std::string report = std::to_string(after.ru_maxrss - before.ru_maxrss) + "\n" +
                               std::to_string(p ? p->offset : 0) + "\n" + (p ? p->reason : "");
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  std::istringstream in(report);
  long growth = -1;
  in >> growth >> problem_out.offset;
  in.ignore(1);
  std::getline(in, problem_out.reason);
  return growth;
}

TEST(JsonCheck, DepthIsScannedBeforeAnyParseSoMemoryStaysProportionalToTheLine) {
  // 20 MB of '[': before the depth scan came first, the locating parse built a tree of
  // 20 million arrays (gigabytes); now the scan refuses it at byte 2000, allocating nothing.
  const std::string line(20'000'000, '[');
  JsonProblem problem;
  const long growth_kib = check_json_peak_growth_kib(line, problem);
  EXPECT_NE(problem.reason.find("nested deeper than 2000 levels"), std::string::npos)
      << problem.reason;
  EXPECT_EQ(problem.offset, 2000u);
  EXPECT_GE(growth_kib, 0);
  EXPECT_LT(growth_kib, 64 * 1024)
      << "checking a 20 MB line grew the peak RSS by " << growth_kib << " KiB";
}

TEST(JsonCheck, SizeLimit) {
  const std::string big = "{\"a\": \"" + std::string(100, 'x') + "\"}";
  EXPECT_FALSE(check_json(big, 200).has_value());
  std::optional<JsonProblem> p = check_json(big, 50);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->offset, 50u);
  EXPECT_NE(p->reason.find("maximum of 50"), std::string::npos);
  // Default: 1 MiB.
  EXPECT_TRUE(check_json("\"" + std::string(kDefaultMaxEventBytes, 'x') + "\"").has_value());
}

TEST(JsonCheck, ValidateThrowsInvalidInput) {
  try {
    validate_json(R"({"a": })", "events.data");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "events.data");
    EXPECT_EQ(e.offset(), 6u);
  }
}

TEST(LineReader, SplitsLinesAndSkipsOverlongOnesWithBoundedMemory) {
  std::string input = "a\n" + std::string(300000, 'y') + "\nbb\r\n\nlast";
  std::istringstream in(input);
  LineReader reader(in, 1000);
  LineReader::Line line;
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "a");
  ASSERT_TRUE(reader.next(line));
  EXPECT_TRUE(line.too_long);
  EXPECT_EQ(line.full_size, 300000u);
  EXPECT_LE(line.text.capacity(), 70000u);
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "bb\r");
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "");
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.text, "last");
  EXPECT_FALSE(reader.next(line));
}

}  // namespace
}  // namespace retort::events

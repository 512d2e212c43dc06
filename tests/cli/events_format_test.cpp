// `--format text|json|jsonl` on the events commands (docs/cli-output.md): json is one document,
// jsonl one object per line, and `--json` keeps its old meaning.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "events/processing_fixture.hpp"

namespace retort::events {
namespace {

using EventsFormat = ProcessingDb;

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

TEST_P(EventsFormat, ListFindShowStatsAndIngestSpeakEveryFormat) {
  store({{{"type", "a"}, {"n", 1}}, {{"type", "b"}, {"n", 2}}, {{"type", "a"}, {"n", 3}}});

  const auto list = cli("events list --format json");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  const Json doc = Json::parse(list.output);  // one document
  ASSERT_EQ(doc.at("events").size(), 3u);
  EXPECT_TRUE(doc["events"][0].contains("id"));

  const auto lines = cli("events find --contains '{\"type\":\"a\"}' --format jsonl");
  ASSERT_EQ(lines.exit_code, 0) << lines.output;
  EXPECT_EQ(json_lines(lines.output).size(), 2u);
  EXPECT_EQ(cli("events find --contains '{\"type\":\"a\"}' --json").output, lines.output)
      << "--json is --format jsonl";

  const std::string id = doc["events"][0]["id"].get<std::string>();
  const auto show = cli("events show " + id + " --format json");
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_EQ(Json::parse(show.output).at("id"), id);

  const auto stats = cli("events stats --format json");
  ASSERT_EQ(stats.exit_code, 0) << stats.output;
  EXPECT_TRUE(Json::parse(stats.output).contains("counts")) << stats.output;

  write("more.jsonl", "{\"type\": \"c\"}\n");
  const auto ingest = cli("events ingest more.jsonl --format json");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.output;
  EXPECT_EQ(Json::parse(ingest.output).at("accepted"), 1);
}

TEST_P(EventsFormat, JsonWithAnotherFormatIsAUsageError) {
  const auto r = cli("events list --json --format json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--json means --format jsonl"), std::string::npos) << r.output;
  EXPECT_EQ(cli("events list --format yaml").exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Dialects, EventsFormat,
                         ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         retort::testing::DialectName());

}  // namespace
}  // namespace retort::events

// Fuzz target: libpq keyword/value strings ("host=db port=5432 password='a b'"), as
// parse_database_url reads them (config::parse_keyword_string, which asks libpq to parse).
//
// Contract checked:
// - parsing throws nothing but ConfigError, with a message;
// - the result names only libpq keywords (PostgreSQL);
// - the round trip through the printed URL (redacted()) keeps every parameter, and so does the
//   round trip through a keyword string written back with libpq's quoting rules.
#include <string>

#include "config/url_parsing.hpp"
#include "core/redact.hpp"
#include "fuzz_check.hpp"
#include "url_round_trip.hpp"

namespace {

using retort::fuzz::require;

// libpq's quoting: a single-quoted value, with \ and ' escaped by a backslash.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

void require_written_back(const retort::DatabaseUrl& url) {
  std::string text;
  for (const auto& [keyword, value] : url.params()) text += keyword + "=" + quoted(value) + " ";
  if (text.empty()) return;
  retort::DatabaseUrl again = retort::DatabaseUrl::sqlite("");
  try {
    again = retort::config::parse_keyword_string(text);
  } catch (const retort::ConfigError& e) {
    require(false, "a keyword string written back parses again", e.what());
  }
  require(again.params().size() == url.params().size(),
          "a keyword string written back keeps every parameter", text);
  for (const auto& [keyword, value] : url.params()) {
    require(again.param(keyword) == value, "a keyword string written back keeps each value",
            keyword);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retort::redact::clear_secrets_for_testing();
  const std::string_view text = retort::fuzz::as_text(data, size);
  retort::DatabaseUrl url = retort::DatabaseUrl::sqlite("");
  try {
    url = retort::config::parse_keyword_string(text);
  } catch (const retort::ConfigError& e) {
    require(*e.what() != '\0', "a refusal says why");
    return 0;
  }
  require(url.dialect() == retort::Dialect::postgresql, "a keyword string means PostgreSQL");
  for (const auto& [keyword, value] : url.params()) {
    require(retort::config::is_libpq_keyword(keyword), "only libpq keywords", keyword);
  }
  retort::fuzz::require_round_trip(url);
  require_written_back(url);
  return 0;
}

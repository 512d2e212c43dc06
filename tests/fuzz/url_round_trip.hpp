// The round trip the URL harnesses check: a parsed DatabaseUrl printed by redacted() and parsed
// again names the same database. Shared by database_url, keyword_string and retort_toml.
#pragma once

#include <map>
#include <string>

#include "core/redact.hpp"
#include "fuzz_check.hpp"
#include "retort/error.hpp"
#include "retort/settings.hpp"

namespace retort::fuzz {

// Secret keywords libpq knows (the printed form shows them as the mask).
inline bool is_secret(const std::string& keyword) {
  return keyword == "password" || keyword == "sslpassword";
}

// Whether libpq reads the value as "not set": empty, or (for the port) a list of empty items,
// one per host, each meaning the default port ("," beside two hosts; found by fuzzing).
inline bool means_not_set(const std::string& keyword, const std::string& value) {
  if (keyword == "port") return value.find_first_not_of(',') == std::string::npos;
  return value.empty();
}

// The parameters as a map. A value libpq reads as "not set" is left out, and a secret shows as
// the mask when `masked`.
inline std::map<std::string, std::string> normal_params(const DatabaseUrl& url, bool masked) {
  std::map<std::string, std::string> out;
  for (const auto& [keyword, value] : url.params()) {
    if (masked && is_secret(keyword)) {
      out[keyword] = std::string(redact::kMask);
    } else if (!means_not_set(keyword, value)) {
      out[keyword] = value;
    }
  }
  return out;
}

inline std::string describe(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [keyword, value] : params) out += keyword + "=[" + value + "] ";
  return out;
}

inline void require_round_trip(const DatabaseUrl& url) {
  const std::string printed = url.redacted();
  DatabaseUrl again = DatabaseUrl::sqlite("");
  try {
    again = parse_database_url(printed);
  } catch (const ConfigError& e) {
    require(false, "the printed form parses again", printed + " -> " + e.what());
  }
  require(again.dialect() == url.dialect(), "the printed form keeps the dialect", printed);
  if (url.dialect() == Dialect::sqlite) {
    require(again.path() == url.path(), "the printed form keeps the SQLite path", printed);
    return;
  }
  const auto expected = normal_params(url, true);
  const auto actual = normal_params(again, false);
  require(expected == actual, "the printed form keeps every parameter",
          printed + " | expected " + describe(expected) + "| got " + describe(actual));
}

}  // namespace retort::fuzz

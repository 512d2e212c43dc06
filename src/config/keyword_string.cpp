// libpq key/value connection strings: "host=localhost dbname=app password='a b'".
//
// libpq parses them (quoting and backslash escapes are its rules, not ours); this file only
// keeps what the string named and makes sure libpq's error text cannot leak the password.
#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "config/url_parsing.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_keyword_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Where the first secret's value may begin: the first "password" (also matching "sslpassword")
// followed by '='. Everything from there on may be part of a secret.
std::size_t secret_region_start(std::string_view text) {
  for (std::size_t at = text.find("password"); at != std::string_view::npos;
       at = text.find("password", at + 1)) {
    std::size_t i = at + 8;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i < text.size() && text[i] == '=') return at;
  }
  return std::string_view::npos;
}

// libpq quotes the offending token in its messages ('missing "=" after "b"', 'invalid
// connection option "b"'). With password=a b the token is a piece of the password, so every
// quoted token that is not a known keyword and occurs in the secret region is masked.
std::string scrub_libpq_message(std::string message, std::string_view text) {
  while (!message.empty() && is_space(message.back())) message.pop_back();
  std::size_t region = secret_region_start(text);
  std::string out;
  std::size_t i = 0;
  while (i < message.size()) {
    std::size_t open = message.find('"', i);
    std::size_t close = open == std::string::npos ? open : message.find('"', open + 1);
    if (close == std::string::npos) break;
    std::string_view token = std::string_view(message).substr(open + 1, close - open - 1);
    bool safe = token == "=" || is_libpq_keyword(token) || region == std::string_view::npos ||
                text.find(token, region) == std::string_view::npos;
    out.append(message, i, open + 1 - i);
    out += safe ? token : redact::kMask;
    out += '"';
    i = close + 1;
  }
  out.append(message, i, std::string::npos);
  return redact::scrub(out);
}

// Index just past the value starting at text[i], by libpq's rules: 'quoted' or up to the next
// blank, a backslash escaping the next character in both.
std::size_t skip_value(std::string_view text, std::size_t i) {
  const bool quoted = i < text.size() && text[i] == '\'';
  if (quoted) ++i;
  for (; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (quoted ? text[i] == '\'' : is_space(text[i])) {
      return quoted ? i + 1 : i;
    }
  }
  return i;
}

// libpq lets a repeated keyword silently win ("sslmode=require sslmode=disable" connects without
// TLS): refused here, like a repeated URL query parameter. Runs on a string libpq accepted, so
// every keyword is one libpq knows and may be named.
void refuse_repeated_keywords(std::string_view text) {
  std::vector<std::string_view> seen;
  std::size_t i = 0;
  for (;;) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size()) return;
    const std::size_t start = i;
    while (i < text.size() && text[i] != '=' && !is_space(text[i])) ++i;
    const std::string_view keyword = text.substr(start, i - start);
    if (std::find(seen.begin(), seen.end(), keyword) != seen.end()) {
      throw ConfigError(fmt::format(
          "libpq keyword string: '{}' is given twice (at position {}); give each keyword once",
          keyword, start));
    }
    seen.push_back(keyword);
    while (i < text.size() && is_space(text[i])) ++i;
    if (i < text.size() && text[i] == '=') ++i;
    while (i < text.size() && is_space(text[i])) ++i;
    i = skip_value(text, i);
  }
}

}  // namespace

bool looks_like_keyword_string(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  std::size_t start = i;
  while (i < text.size() && is_keyword_char(text[i])) ++i;
  if (i == start) return false;
  while (i < text.size() && is_space(text[i])) ++i;
  return i < text.size() && text[i] == '=';
}

DatabaseUrl parse_keyword_string(std::string_view text) {
  std::string conninfo(text);
  if (conninfo.find('\0') != std::string::npos) {
    throw ConfigError("libpq keyword string contains a NUL byte");
  }
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
  if (!options) {
    std::string message = error != nullptr ? error : "out of memory";
    if (error != nullptr) PQfreemem(error);
    throw ConfigError("libpq keyword string: " + scrub_libpq_message(std::move(message), text));
  }
  refuse_repeated_keywords(text);
  // Only what the string named: PQconninfoParse applies no defaults, so the others are NULL and
  // libpq's environment (PGHOST, PGPASSFILE, ...) still fills them in at connect time.
  DatabaseUrl::Params params;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (is_secret_keyword(o->keyword)) redact::register_secret(o->val);
    params.emplace_back(o->keyword, o->val);
  }
  for (const auto& [keyword, value] : params) {
    if (keyword != "port") continue;
    if (auto bad = first_bad_port(value)) {
      throw ConfigError(fmt::format("bad port '{}' in database URL", *bad));
    }
  }
  return DatabaseUrl::postgresql(std::move(params));
}

}  // namespace retort::config

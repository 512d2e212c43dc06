#include "core/redact.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

namespace retort::redact {
namespace {

struct Registry {
  std::shared_mutex mutex;
  std::vector<std::string>
      secrets;  // longest first, so a secret containing another is masked whole
};

Registry& registry() {
  static Registry r;
  return r;
}

constexpr std::size_t npos = std::string_view::npos;

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding that never fails: a '%' not followed by two hex digits stays as it is.
std::string lenient_percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const int high = text[i] == '%' && i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
    if (low >= 0) {
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The password of the URL whose "://" is at `marker`: [begin, end) in text, or begin == end.
// The credentials end at the last '@' before the next blank (an unencoded '@' or '/' in a
// password still counts as password: masking too much is harmless here).
std::pair<std::size_t, std::size_t> url_password(std::string_view text, std::size_t marker) {
  const std::size_t start = marker + 3;
  std::size_t stop = start;
  while (stop < text.size() && !is_space(text[stop])) ++stop;
  const std::size_t at = text.substr(start, stop - start).rfind('@');
  if (at == npos) return {start, start};
  const std::size_t colon = text.substr(start, at).find(':');
  if (colon == npos) return {start, start};
  return {start + colon + 1, start + at};
}

// The value of a libpq keyword "password = value" that starts at byte i: quoted ('a b',
// with backslash escapes) or up to the next blank.
std::string keyword_value(std::string_view text, std::size_t i) {
  std::string value;
  if (i < text.size() && text[i] == '\'') {
    for (++i; i < text.size() && text[i] != '\''; ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      value.push_back(text[i]);
    }
    return value;
  }
  for (; i < text.size() && !is_space(text[i]); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    value.push_back(text[i]);
  }
  return value;
}

void register_keyword_passwords(std::string_view text) {
  for (std::size_t at = text.find("password"); at != npos; at = text.find("password", at + 1)) {
    std::size_t i = at + 8;
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && is_space(text[i])) ++i;
    register_secret(keyword_value(text, i));
  }
}

}  // namespace

void register_secrets_in(std::string_view text) {
  for (std::size_t marker = text.find("://"); marker != npos;
       marker = text.find("://", marker + 3)) {
    const auto [begin, end] = url_password(text, marker);
    if (begin == end) continue;
    const std::string_view password = text.substr(begin, end - begin);
    register_secret(password);
    register_secret(lenient_percent_decode(password));
  }
  register_keyword_passwords(text);
}

std::string mask_url_passwords(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t marker = text.find("://"); marker != npos;
       marker = text.find("://", marker + 3)) {
    const auto [begin, end] = url_password(text, marker);
    if (begin == end || begin < copied) continue;
    out.append(text.substr(copied, begin - copied));
    out.append(kMask);
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

void register_secret(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  if (std::find(r.secrets.begin(), r.secrets.end(), secret) != r.secrets.end()) return;
  r.secrets.emplace_back(secret);
  std::stable_sort(r.secrets.begin(), r.secrets.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string scrub(std::string_view text) {
  std::string out(text);
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  for (const std::string& secret : r.secrets) {
    for (std::size_t pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + kMask.size())) {
      out.replace(pos, secret.size(), kMask);
    }
  }
  return out;
}

bool contains_secret(std::string_view text) {
  const auto identifier_like = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  Registry& r = registry();
  std::shared_lock lock(r.mutex);
  return std::any_of(r.secrets.begin(), r.secrets.end(), [&](const std::string& secret) {
    return !identifier_like(secret) && text.find(secret) != std::string_view::npos;
  });
}

void clear_secrets_for_testing() {
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  r.secrets.clear();
}

}  // namespace retort::redact

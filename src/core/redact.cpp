#include "core/redact.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
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

}  // namespace

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

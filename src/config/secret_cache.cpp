#include "config/secret_cache.hpp"

#include <mutex>

namespace retort::config {
namespace {

std::mutex& cache_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::chrono::steady_clock::time_point SecretCache::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

std::optional<SecretCache::Fields> SecretCache::get(const std::string& key) {
  std::lock_guard lock(cache_mutex());
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now() >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.fields;
}

void SecretCache::put(const std::string& key, Fields fields, std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) return;
  std::lock_guard lock(cache_mutex());
  entries_[key] = Entry{std::move(fields), now() + ttl};
}

void SecretCache::erase(const std::string& key) {
  std::lock_guard lock(cache_mutex());
  entries_.erase(key);
}

void SecretCache::clear() {
  std::lock_guard lock(cache_mutex());
  entries_.clear();
}

void SecretCache::set_clock_for_testing(Clock clock) {
  std::lock_guard lock(cache_mutex());
  clock_ = std::move(clock);
}

SecretCache& secret_cache() {
  static SecretCache cache;
  return cache;
}

}  // namespace retort::config

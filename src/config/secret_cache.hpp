// Values read from Vault, kept for a while so that one process asks Vault once.
//
// Settings are resolved at start-up; an application that resolves again (a new pool, a
// reconnect after a password rotation) reads Vault again only once the entry has expired.
// Entries are keyed by Vault address, namespace and path, so `#user` and `#password` of one
// secret cost one request. Process-wide and thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace retort::config {

class SecretCache {
 public:
  using Fields = std::map<std::string, std::string>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // The fields stored under key, unless missing or expired.
  std::optional<Fields> get(const std::string& key);
  // Stores fields for ttl; a ttl of zero or less stores nothing (caching off).
  void put(const std::string& key, Fields fields, std::chrono::milliseconds ttl);
  // Forgets key / everything.
  void erase(const std::string& key);
  void clear();
  // Replaces the clock (tests step time instead of sleeping); an empty function restores
  // std::chrono::steady_clock.
  void set_clock_for_testing(Clock clock);

 private:
  struct Entry {
    Fields fields;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::steady_clock::time_point now() const;

  std::map<std::string, Entry> entries_;
  Clock clock_;
};

// The process's cache (secrets and Vault tokens), locked internally.
SecretCache& secret_cache();

}  // namespace retort::config

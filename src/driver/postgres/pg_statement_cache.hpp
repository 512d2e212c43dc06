// Which statements this connection has prepared on the server, bounded with LRU eviction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace retort::driver::pg {

class StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}

  bool enabled() const noexcept { return capacity_ > 0; }
  std::size_t size() const noexcept { return entries_.size(); }

  // The server-side name for key ("r7"), marking it most recently used; nullopt on a miss.
  std::optional<std::string> find(const std::string& key);
  // Records key under a fresh name ("r1", "r2"...; never reused, so a name in flight can not be
  // confused with a later statement) and returns it. Names pushed out to stay within capacity
  // are appended to evicted: the caller must DEALLOCATE them.
  std::string insert(const std::string& key, std::vector<std::string>& evicted);
  // Forgets a name (its prepare failed, or the server no longer has it). No-op if unknown.
  void erase_name(const std::string& name);

 private:
  struct Entry {
    std::string key;
    std::string name;
  };
  std::size_t capacity_;
  std::uint64_t next_id_ = 1;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
};

}  // namespace retort::driver::pg

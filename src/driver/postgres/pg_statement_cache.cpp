#include "driver/postgres/pg_statement_cache.hpp"

namespace retort::driver::pg {

std::optional<std::string> StatementCache::find(const std::string& key) {
  const auto found = by_key_.find(key);
  if (found == by_key_.end()) return std::nullopt;
  entries_.splice(entries_.begin(), entries_, found->second);
  return found->second->name;
}

std::string StatementCache::insert(const std::string& key, std::vector<std::string>& evicted) {
  while (!entries_.empty() && entries_.size() >= capacity_) {
    evicted.push_back(entries_.back().name);
    by_key_.erase(entries_.back().key);
    entries_.pop_back();
  }
  entries_.push_front(Entry{key, "r" + std::to_string(next_id_++)});
  by_key_[key] = entries_.begin();
  return entries_.front().name;
}

void StatementCache::erase_name(const std::string& name) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->name == name) {
      by_key_.erase(it->key);
      entries_.erase(it);
      return;
    }
  }
}

}  // namespace retort::driver::pg

// Durations in environment variables: VAULT_CLIENT_TIMEOUT="10s", RETORT_SECRET_CACHE_TTL="5min".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace retort::config {

// "250ms", "10s", "5m" or "5min", "1h", or a bare number of seconds (as Vault's own variables
// take it). nullopt when malformed or absurdly large.
std::optional<std::chrono::milliseconds> parse_duration_setting(std::string_view text);

}  // namespace retort::config

// Durations in settings, options and environment variables: "250ms", "30s", "5min", "2h", "7d".
//
// One parser for every duration retort reads (VAULT_CLIENT_TIMEOUT, RETORT_SECRET_CACHE_TTL,
// [migrations] lock_timeout, `--lease`, `--ahead`, `retain`), with PostgreSQL's units: ms, s,
// min, h, d ("m" is also minutes, as Vault writes it). A bare number keeps the unit that each
// setting documents, which is why the caller names it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace retort::config {

// What a number without a unit means for one setting.
enum class BareNumber { milliseconds, seconds };

// Parses `text`: digits, optional spaces, an optional unit; spaces around the whole are ignored.
// nullopt when malformed, negative, fractional or longer than 100 years.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, BareNumber bare);

// parse_duration, or ConfigError "`what`: bad duration 'text' (expected ...)". `what` names the
// setting or option ("--lease", "migrations.lock_timeout").
std::chrono::milliseconds require_duration(std::string_view text, BareNumber bare,
                                           std::string_view what);

// The shortest exact spelling: 1500 -> "1500ms", 90'000 -> "90s", 7 days -> "7d".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace retort::config

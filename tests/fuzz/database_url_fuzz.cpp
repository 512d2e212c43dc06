// Fuzz target: parse_database_url (postgresql:// URLs, sqlite:// URLs, libpq keyword strings).
//
// Contract checked:
// - parse_database_url throws nothing but ConfigError, with a message;
// - a PostgreSQL result names only keywords libpq knows;
// - the round trip: the printed form (redacted(), password as "***") parses again to the same
//   database — the same SQLite path, or the same parameters with the secrets masked.
#include "config/url_parsing.hpp"
#include "core/redact.hpp"
#include "fuzz_check.hpp"
#include "url_round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using retort::fuzz::require;
  // Each parse registers its passwords; a long run must not grow the registry without end.
  retort::redact::clear_secrets_for_testing();
  const std::string_view text = retort::fuzz::as_text(data, size);
  retort::DatabaseUrl url = retort::DatabaseUrl::sqlite("");
  try {
    url = retort::parse_database_url(text);
  } catch (const retort::ConfigError& e) {
    require(*e.what() != '\0', "a refusal says why");
    return 0;
  }
  if (url.dialect() == retort::Dialect::postgresql) {
    for (const auto& [keyword, value] : url.params()) {
      require(retort::config::is_libpq_keyword(keyword), "only libpq keywords", keyword);
    }
  } else {
    require(!url.path().empty(), "a SQLite URL names a file or :memory:");
  }
  retort::fuzz::require_round_trip(url);
  return 0;
}

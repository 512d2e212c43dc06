// Internals of parse_database_url, shared by the files that parse each form.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "retort/settings.hpp"

namespace retort::config {

// True if libpq knows the connection keyword (from libpq itself, so new libpq releases add
// keywords without a change here).
bool is_libpq_keyword(std::string_view keyword);

// True for keywords whose value is a secret (password, sslpassword): libpq marks them as
// "display as ***" in its option table.
bool is_secret_keyword(std::string_view keyword);

// The first entry of a libpq port list ("5432" or "5432,,5433") that is not a number from 1 to
// 65535, or nullopt. Empty entries are allowed: libpq reads them as "the default port".
std::optional<std::string> first_bad_port(std::string_view ports);

// Throws ConfigError unless mode is one of libpq's sslmode values (libpq itself would only
// complain at connect time, after the settings had been printed as if fine).
void check_sslmode(std::string_view mode);

// True if text starts like "keyword =" (libpq's key/value connection string).
bool looks_like_keyword_string(std::string_view text) noexcept;

// "host=localhost port=5432 dbname=app user=app password='a b'", parsed by libpq itself.
DatabaseUrl parse_keyword_string(std::string_view text);

// Throws ConfigError naming the position of a '#' in url: a fragment is not part of a
// database URL, and a '#' in a name or password must be written %23.
void refuse_fragment(std::string_view url);

// A postgresql:// URL; authority_start is the offset just after "://".
DatabaseUrl parse_postgresql_url(std::string_view url, std::size_t authority_start);

}  // namespace retort::config

// Percent-encoding (RFC 3986) for database URLs.
//
// Decoding follows libpq, not HTML forms: '+' stays a plus sign, and %00 is refused because
// libpq keeps values as C strings. Errors give the byte position in the whole URL rather than
// the text, since the text may be a password.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace retort::config {

// Decodes %XX escapes in text. `position_in_url` is where text starts within the URL the user
// wrote, so errors can point at the escape. Throws ConfigError "unterminated or invalid percent
// escape at position N" (N counted from 0).
std::string percent_decode(std::string_view text, std::size_t position_in_url);

// Encodes every byte except RFC 3986 unreserved characters, bytes >= 0x80 (kept so that
// non-ASCII names stay readable; decoding leaves them untouched), and the characters in
// `also_keep`.
std::string percent_encode(std::string_view text, std::string_view also_keep = {});

}  // namespace retort::config

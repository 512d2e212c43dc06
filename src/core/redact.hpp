// Secrets that must never be printed.
//
// Whoever learns a secret (URL parsing learns passwords, the secrets layer learns tokens)
// registers it here; every log line and every driver error message passes through scrub().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace retort::redact {

inline constexpr std::string_view kMask = "***";

// Remembers secret (process-wide, thread-safe). Secrets shorter than kMinSecretLength are not
// scrubbed from free text: masking every "p" or "ab" would mangle all messages while hiding
// nothing a guesser could not try first. URLs still mask every password structurally.
inline constexpr std::size_t kMinSecretLength = 4;
void register_secret(std::string_view secret);

// text with every registered secret replaced by "***".
std::string scrub(std::string_view text);

// Registers the secrets a piece of free text (a command-line argument) carries before anything
// has parsed it: the password of every URL in it ("scheme://user:PASSWORD@", as written and
// percent-decoded) and the value of every libpq "password=" / "sslpassword=" keyword. So a
// message about text that failed to parse can still be scrubbed.
void register_secrets_in(std::string_view text);

// text with the password of every "scheme://user:password@" in it replaced by "***", whatever
// its length (scrub() leaves secrets shorter than kMinSecretLength alone).
std::string mask_url_passwords(std::string_view text);

// True if text holds a registered secret that could not be an SQL identifier or keyword: a
// secret made only of lowercase letters, digits and '_' (a weak "postgres" password) is left
// out, since it collides with role and table names. For refusing files that embed secrets
// (migrations), where a false alarm would block work.
bool contains_secret(std::string_view text);

// Forgets every secret (tests only).
void clear_secrets_for_testing();

}  // namespace retort::redact

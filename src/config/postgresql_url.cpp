// postgresql:// URLs, split the way libpq splits them (RFC 3986 with libpq's extensions:
// host lists, percent-encoded socket directories, any connection keyword as a query parameter).
//
// Errors carry byte positions rather than pieces of the URL, because a piece may be a password.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/percent.hpp"
#include "config/url_parsing.hpp"
#include "core/redact.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

using Params = DatabaseUrl::Params;
constexpr std::size_t npos = std::string_view::npos;

// A piece of the URL with its offset in the whole URL.
struct Span {
  std::string_view text;
  std::size_t pos = 0;

  Span sub(std::size_t from, std::size_t count = npos) const {
    from = std::min(from, text.size());
    return {text.substr(from, count), pos + from};
  }
  bool starts_with(char c) const noexcept { return !text.empty() && text.front() == c; }
};

std::string decode(Span span) {
  return percent_decode(span.text, span.pos);
}

void put(Params& params, std::string keyword, std::string value) {
  for (auto& [k, v] : params) {
    if (k == keyword) {
      v = std::move(value);
      return;
    }
  }
  params.emplace_back(std::move(keyword), std::move(value));
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : ",") + parts[i];
  return out;
}

bool any_nonempty(const std::vector<std::string>& parts) {
  for (const auto& p : parts) {
    if (!p.empty()) return true;
  }
  return false;
}

// With "user:pa/ss@host" unencoded, the host part ends at the '/', and the "port" would be a
// piece of the password: say how to fix the URL instead of quoting it.
[[noreturn]] void throw_cut_credentials() {
  throw ConfigError(
      "database URL has an '@' after the host part: percent-encode '/', '?' and '@' in the user "
      "name and password (as %2F, %3F and %40)");
}

void parse_userinfo(Span userinfo, Params& params) {
  std::size_t colon = userinfo.text.find(':');
  std::string user = decode(userinfo.sub(0, colon));
  if (!user.empty()) put(params, "user", std::move(user));
  if (colon == npos) return;
  std::string password = decode(userinfo.sub(colon + 1));
  if (password.empty()) return;
  redact::register_secret(password);  // before anything else can fail and log
  put(params, "password", std::move(password));
}

struct HostPort {
  std::string host;
  std::string port;
};

HostPort parse_host_entry(Span entry, bool credentials_may_be_cut) {
  Span host;
  Span port;
  if (entry.starts_with('[')) {
    std::size_t close = entry.text.find(']');
    if (close == npos) {
      throw ConfigError(
          fmt::format("missing ']' after the IPv6 address at position {}", entry.pos));
    }
    host = entry.sub(1, close - 1);
    Span rest = entry.sub(close + 1);
    if (!rest.text.empty() && !rest.starts_with(':')) {
      throw ConfigError(
          fmt::format("unexpected character after the IPv6 address at position {}", rest.pos));
    }
    port = rest.sub(1);
  } else {
    std::size_t colon = entry.text.find(':');
    host = entry.sub(0, colon);
    port = colon == npos ? entry.sub(entry.text.size()) : entry.sub(colon + 1);
    if (port.text.find(':') != npos) {
      if (credentials_may_be_cut) throw_cut_credentials();
      throw ConfigError(fmt::format(
          "the IPv6 address at position {} must be in brackets, as in postgresql://[::1]:5432/db",
          entry.pos));
    }
  }
  if (first_bad_port(port.text)) {
    if (credentials_may_be_cut) throw_cut_credentials();
    throw ConfigError(fmt::format("bad port '{}' in database URL", port.text));
  }
  return {decode(host), std::string(port.text)};
}

// "h1:5432,[::1]:5433" -> host "h1,::1", port "5432,5433": libpq's own list syntax. A list
// whose entries are all empty is left out, so PGHOST / PGPORT apply.
void parse_host_list(Span list, Params& params, bool credentials_may_be_cut) {
  std::vector<std::string> hosts;
  std::vector<std::string> ports;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list.text.find(',', start);
    HostPort entry = parse_host_entry(list.sub(start, comma == npos ? npos : comma - start),
                                      credentials_may_be_cut);
    hosts.push_back(std::move(entry.host));
    ports.push_back(std::move(entry.port));
    if (comma == npos) break;
    start = comma + 1;
  }
  if (any_nonempty(hosts)) put(params, "host", join(hosts));
  if (any_nonempty(ports)) put(params, "port", join(ports));
}

void parse_query_pair(Span pair, Params& params, std::vector<std::string>& seen) {
  std::size_t eq = pair.text.find('=');
  if (eq == npos) {
    throw ConfigError(
        fmt::format("query parameter at position {} has no '=' (expected key=value)", pair.pos));
  }
  std::string key = decode(pair.sub(0, eq));
  std::string value = decode(pair.sub(eq + 1));
  if (key == "ssl" && value == "true") {  // JDBC's spelling, which libpq also accepts
    key = "sslmode";
    value = "require";
  }
  if (!is_libpq_keyword(key)) {
    throw ConfigError(fmt::format("unknown connection parameter '{}'", key));
  }
  // "Last wins" would let an appended ?sslmode=disable quietly undo a ?sslmode=require.
  if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
    throw ConfigError(fmt::format(
        "connection parameter '{}' is given twice in the database URL (second at position {})", key,
        pair.pos));
  }
  seen.push_back(key);
  if (is_secret_keyword(key)) redact::register_secret(value);
  if (key == "port") {
    if (auto bad = first_bad_port(value)) {
      throw ConfigError(fmt::format("bad port '{}' in database URL", *bad));
    }
  }
  if (!value.empty()) put(params, std::move(key), std::move(value));
}

void parse_query(Span query, Params& params) {
  std::vector<std::string> seen;
  std::size_t start = 0;
  for (;;) {
    std::size_t amp = query.text.find('&', start);
    Span pair = query.sub(start, amp == npos ? npos : amp - start);
    if (!pair.text.empty()) parse_query_pair(pair, params, seen);
    if (amp == npos) return;
    start = amp + 1;
  }
}

}  // namespace

void refuse_fragment(std::string_view url) {
  if (std::size_t hash = url.find('#'); hash != npos) {
    throw ConfigError(fmt::format(
        "database URL has a '#' at position {}: URLs take no #fragment (write a '#' in a user "
        "name, password or database name as %23)",
        hash));
  }
}

DatabaseUrl parse_postgresql_url(std::string_view url, std::size_t authority_start) {
  refuse_fragment(url);
  Span whole{url, 0};
  std::size_t authority_end = std::min(url.find_first_of("/?", authority_start), url.size());
  Span authority = whole.sub(authority_start, authority_end - authority_start);
  Span rest = whole.sub(authority_end);

  // The last '@' ends the credentials, so an unencoded '@' in a password still works.
  std::size_t at = authority.text.rfind('@');
  bool credentials_may_be_cut = at == npos && rest.text.find('@') != npos;

  Params params;
  Span hosts = authority;
  if (at != npos) {
    parse_userinfo(authority.sub(0, at), params);
    hosts = authority.sub(at + 1);
  }
  parse_host_list(hosts, params, credentials_may_be_cut);

  if (rest.starts_with('/')) {
    std::size_t query = rest.text.find('?');
    Span dbname = rest.sub(1, query == npos ? npos : query - 1);
    if (credentials_may_be_cut && dbname.text.find('@') != npos) throw_cut_credentials();
    std::string name = decode(dbname);
    if (!name.empty()) put(params, "dbname", std::move(name));
    rest = rest.sub(query == npos ? rest.text.size() : query);
  }
  if (rest.starts_with('?')) parse_query(rest.sub(1), params);
  return DatabaseUrl::postgresql(std::move(params));
}

}  // namespace retort::config

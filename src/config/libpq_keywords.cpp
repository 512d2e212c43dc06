// What libpq accepts: its connection keywords, and its port syntax.
#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "config/url_parsing.hpp"

namespace retort::config {
namespace {

struct Keyword {
  std::string name;
  bool secret = false;
};

// The option table of the libpq we link against. PQconninfoParse("") gives every option without
// applying defaults; PQconndefaults() would also read PGSERVICE and the service file, and returns
// NULL when they are broken, which must not make every URL unparseable.
std::vector<Keyword> load_keywords() {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse("", &error),
                                                                       &PQconninfoFree);
  if (error != nullptr) PQfreemem(error);
  std::vector<Keyword> keywords;
  for (const PQconninfoOption* o = options.get(); o != nullptr && o->keyword != nullptr; ++o) {
    bool secret = o->dispchar != nullptr && o->dispchar[0] == '*';
    keywords.push_back({o->keyword, secret});
  }
  return keywords;
}

const Keyword* find_keyword(std::string_view name) {
  static const std::vector<Keyword> keywords = load_keywords();
  auto it = std::find_if(keywords.begin(), keywords.end(),
                         [&](const Keyword& k) { return k.name == name; });
  return it == keywords.end() ? nullptr : &*it;
}

bool is_valid_port(std::string_view port) noexcept {
  if (port.empty() || port.size() > 5) return false;
  long value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

bool is_libpq_keyword(std::string_view keyword) {
  return find_keyword(keyword) != nullptr;
}

bool is_secret_keyword(std::string_view keyword) {
  const Keyword* k = find_keyword(keyword);
  // "password" is secret whatever libpq's table says, should a build ever lack it.
  return keyword == "password" || (k != nullptr && k->secret);
}

std::optional<std::string> first_bad_port(std::string_view ports) {
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = ports.find(',', start);
    std::string_view port =
        ports.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (!port.empty() && !is_valid_port(port)) return std::string(port);
    if (comma == std::string_view::npos) return std::nullopt;
    start = comma + 1;
  }
}

}  // namespace retort::config

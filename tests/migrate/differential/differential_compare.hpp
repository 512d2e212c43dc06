// How the differential tests compare an error of retort's with the one Alembic raised for the
// same case: the oracle's error kinds (alembic_oracle.py error_kind) and the parts of Alembic's
// messages that depend on Python's set order.
#pragma once

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "retort/migrate.hpp"

namespace retort::migrate::differential {

// retort's error kind under the oracle's name for the same situation.
inline std::string kind_name(RevisionErrorKind k) {
  switch (k) {
    case RevisionErrorKind::version_table:
      return "command";
    case RevisionErrorKind::unsupported:
      return "crash";
    default:
      return std::string(to_string(k));
  }
}

// Messages must match, except the part of an "overlaps" message that lists a Python set.
// Where Alembic crashes (an AssertionError, a KeyError) or fails its bookkeeping ("command"),
// retort refuses with a message of its own: only the kinds are compared.
inline bool same_error(const nlohmann::json& want, const nlohmann::json& got) {
  const std::string kind = want["kind"];
  if (got.value("kind", "") != kind) {
    return false;
  }
  if (kind == "crash" || kind == "command") {
    return true;
  }
  std::string a = want["message"], b = got["message"];
  if (kind == "cycle" || kind == "dependency_cycle" || kind == "self_loop" ||
      kind == "dependency_self_loop") {
    return b.rfind(a, 0) == 0;  // retort appends the files
  }
  if (a.rfind("Branch name", 0) == 0) {
    // Alembic reports the two revisions of a label clash in the order of a set of objects; the
    // label and the pair must match.
    auto words = [](const std::string& m) {
      std::vector<std::string> w;
      std::istringstream in(m.substr(0, m.find(';')));
      for (std::string x; in >> x;) {
        w.push_back(x);
      }
      return w;
    };
    auto wa = words(a), wb = words(b);
    return wa.size() == 11 && wb.size() == 11 && wa[2] == wb[2] &&
           std::set<std::string>{wa[5], wa[10]} == std::set<std::string>{wb[5], wb[10]};
  }
  if (auto cut = a.find("overlaps with"); cut != std::string::npos) {
    return a.substr(0, cut) == b.substr(0, cut);
  }
  return a == b;
}

}  // namespace retort::migrate::differential

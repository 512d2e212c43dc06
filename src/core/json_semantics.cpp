// jsonb containment and equality, written after PostgreSQL's JsonbDeepContains
// (src/backend/utils/adt/jsonb_util.c) so SQLite gives the same answers.
#include "core/json_semantics.hpp"

#include <algorithm>

namespace retort::json {
namespace {

bool is_container(const Json& j) {
  return j.is_object() || j.is_array();
}

// Scalars of the same JSON type and value; numbers compare by value whatever their C++ type.
bool scalar_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a == b;
  if (a.type() != b.type()) return false;
  return a == b;
}

bool deep_contains(const Json& doc, const Json& pattern);

// One element of a contained array is matched by some element of doc: scalars by equality,
// containers by containment in a container of the same kind.
bool array_has(const Json& doc, const Json& element) {
  return std::any_of(doc.begin(), doc.end(), [&](const Json& candidate) {
    if (!is_container(element)) return !is_container(candidate) && scalar_equal(candidate, element);
    return candidate.type() == element.type() && deep_contains(candidate, element);
  });
}

// Both containers of the same kind (the caller checks).
bool deep_contains(const Json& doc, const Json& pattern) {
  if (doc.is_array()) {
    return std::all_of(pattern.begin(), pattern.end(),
                       [&](const Json& element) { return array_has(doc, element); });
  }
  for (const auto& [key, wanted] : pattern.items()) {
    auto found = doc.find(key);
    if (found == doc.end()) return false;
    if (is_container(wanted) != is_container(*found)) return false;
    if (!is_container(wanted)) {
      if (!scalar_equal(*found, wanted)) return false;
    } else if (found->type() != wanted.type() || !deep_contains(*found, wanted)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Json> parse(std::string_view text, std::string* error) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    if (error != nullptr) *error = e.what();
    return std::nullopt;
  }
}

bool contains(const Json& doc, const Json& pattern) {
  // jsonb stores a top-level scalar as a one-element "raw scalar" array; an object is never
  // compared with anything but an object.
  if (doc.is_object() != pattern.is_object()) return false;
  if (doc.is_object()) return deep_contains(doc, pattern);
  if (!doc.is_array() && pattern.is_array()) return false;  // a raw scalar holds no array
  Json doc_array = doc.is_array() ? doc : Json::array({doc});
  Json pattern_array = pattern.is_array() ? pattern : Json::array({pattern});
  return deep_contains(doc_array, pattern_array);
}

bool equal(const Json& a, const Json& b) {
  if (a.type() != b.type() && !(a.is_number() && b.is_number())) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.items()) {
      auto other = b.find(key);
      if (other == b.end() || !equal(value, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    return std::equal(a.begin(), a.end(), b.begin(),
                      [](const Json& x, const Json& y) { return equal(x, y); });
  }
  return scalar_equal(a, b);
}

}  // namespace retort::json

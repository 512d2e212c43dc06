// SQLite functions that give JSON filters PostgreSQL's jsonb answers.
//
// SQLite's own JSON1 cannot: it has no containment, its path syntax cannot name a key holding a
// double quote, and json_extract turns true into 1. So the repository calls these instead:
//   retort_json_contains(doc, pattern)   1 if doc @> pattern (jsonb semantics), NULL if either is
//   retort_json_get(doc, step, ...)      the JSON text at the path (TEXT steps are object keys,
//                                        INTEGER steps array indexes), NULL where there is none
//   retort_json_equal(a, b)              1 if the documents are equal as jsonb values
// They are registered on each connection retort opens (SqliteDb::open), not for the whole
// process: a program's other SQLite connections are left as SQLite made them.
#include "driver/sqlite/sqlite_json_functions.hpp"

#include <sqlite3.h>

#include <memory>
#include <string>

#include "core/json_semantics.hpp"

namespace retort::driver::sqlite {
namespace {

using json::Json;

// The argument's text, or null for SQL NULL. A JSON column has NUMERIC affinity, so a scalar
// document may arrive as INTEGER or REAL; sqlite3_value_text renders those as JSON numbers.
const char* text_of(sqlite3_value* value) {
  if (sqlite3_value_type(value) == SQLITE_NULL) return nullptr;
  return reinterpret_cast<const char*>(sqlite3_value_text(value));
}

// Parses a document argument; on failure sets the function's error and returns nullopt.
std::optional<Json> parse_argument(sqlite3_context* context, const char* text) {
  std::string error;
  std::optional<Json> parsed = json::parse(text, &error);
  if (!parsed) sqlite3_result_error(context, ("malformed JSON: " + error).c_str(), -1);
  return parsed;
}

void delete_json(void* p) {
  delete static_cast<Json*>(p);
}

// Two-document functions: NULL in, NULL out; a malformed document is an error. The second
// argument is the bound pattern: it is cached as auxiliary data, so a scan parses it once.
template <bool (*Compare)(const Json&, const Json&)>
void compare_documents(sqlite3_context* context, int, sqlite3_value** argv) {
  try {
    const char* left_text = text_of(argv[0]);
    const char* right_text = text_of(argv[1]);
    if (left_text == nullptr || right_text == nullptr) return;  // NULL result
    std::optional<Json> left = parse_argument(context, left_text);
    if (!left) return;
    const auto* right = static_cast<const Json*>(sqlite3_get_auxdata(context, 1));
    std::optional<Json> fresh;
    if (right == nullptr) {
      fresh = parse_argument(context, right_text);
      if (!fresh) return;
      right = &*fresh;
    }
    sqlite3_result_int(context, Compare(*left, *right) ? 1 : 0);
    // Last, as SQLite may free the data at once (when the argument is not constant).
    if (fresh) sqlite3_set_auxdata(context, 1, new Json(std::move(*fresh)), delete_json);
  } catch (const std::exception& e) {
    sqlite3_result_error(context, e.what(), -1);
  }
}

// One step along a path: a key of an object or an index (negative from the end) of an array;
// jsonb's -> gives NULL for a key on an array, an index on an object, anything on a scalar.
const Json* step(const Json& node, sqlite3_value* selector) {
  if (sqlite3_value_type(selector) == SQLITE_INTEGER) {
    if (!node.is_array()) return nullptr;
    sqlite3_int64 index = sqlite3_value_int64(selector);
    auto size = static_cast<sqlite3_int64>(node.size());
    if (index < 0) index += size;
    if (index < 0 || index >= size) return nullptr;
    return &node[static_cast<std::size_t>(index)];
  }
  const char* key = text_of(selector);
  if (key == nullptr || !node.is_object()) return nullptr;
  std::string name(key, static_cast<std::size_t>(sqlite3_value_bytes(selector)));
  auto found = node.find(name);
  return found == node.end() ? nullptr : &*found;
}

void json_get(sqlite3_context* context, int argc, sqlite3_value** argv) {
  try {
    const char* text = text_of(argv[0]);
    if (text == nullptr) return;
    std::optional<Json> doc = parse_argument(context, text);
    if (!doc) return;
    const Json* node = &*doc;
    for (int i = 1; i < argc && node != nullptr; ++i) node = step(*node, argv[i]);
    if (node == nullptr) return;
    std::string out = node->dump();
    sqlite3_result_text64(context, out.data(), out.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::exception& e) {
    sqlite3_result_error(context, e.what(), -1);
  }
}

}  // namespace

int register_json_functions(sqlite3* db) noexcept {
  // Deterministic and innocuous: usable in indexes, CHECKs and views, like json_extract.
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function_v2(db, "retort_json_contains", 2, kFlags, nullptr,
                                      compare_documents<json::contains>, nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "retort_json_equal", 2, kFlags, nullptr,
                                    compare_documents<json::equal>, nullptr, nullptr, nullptr);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_create_function_v2(db, "retort_json_get", -1, kFlags, nullptr, json_get, nullptr,
                                    nullptr, nullptr);
  }
  return rc;
}

}  // namespace retort::driver::sqlite

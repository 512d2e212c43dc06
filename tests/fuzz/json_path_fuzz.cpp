// Fuzz target: JSON paths as `retort events find --path PATH[=VALUE]` reads them
// (events::parse_path_query), run against a real event store (SQLite, a file in a temporary
// directory): the path goes through the ORM's JSON path SQL (retort_json_get) for real.
//
// Contract checked:
// - parse_path_query throws nothing but ConfigError; otherwise its steps are the text's
//   segments (keys verbatim, indexes for short digit runs) and a value follows the first '=';
// - with two events stored, one built to hold the value at the path and one without the path
//   (the array []), find(path) and find(path = value) each select exactly the first;
// - a path whose key is not valid text, or with more steps than kMaxJsonPathSteps, is refused
//   with InvalidInput, not sent to the database.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/text.hpp"
#include "events/path_query.hpp"
#include "fuzz_check.hpp"
#include "retort/database.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/migrate.hpp"
#include "retort/query.hpp"

namespace {

namespace fs = std::filesystem;
using retort::PathStep;
using retort::fuzz::require;

// Indexes above this are parsed and checked, but no document is built for them.
constexpr std::int64_t kMaxBuiltIndex = 64;

retort::Database& database() {
  static const fs::path dir =
      fs::temp_directory_path() / ("retort-fuzz-json-path-" + std::to_string(getpid()));
  static retort::Database db = [] {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(dir, ec);
    });
    retort::Database opened = retort::Database::open("sqlite:///" + (dir / "events.db").string());
    // The events schema the one way retort makes it: the built-in migrations.
    retort::migrate::MigrateOptions options;
    options.settings = retort::migrate::builtin_settings();
    options.on_log = [](std::string_view) {};
    retort::migrate::upgrade(opened, "head", options);
    return opened;
  }();
  return db;
}

std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t dot = path.find('.'); dot != std::string_view::npos;
       dot = path.find('.', start)) {
    out.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(path.substr(start));
  return out;
}

void require_steps_match(std::string_view path, const std::vector<PathStep>& steps) {
  const std::vector<std::string_view> segments = segments_of(path);
  require(segments.size() == steps.size(), "one step per segment", path);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string_view segment = segments[i];
    const bool digits = !segment.empty() && segment.size() < 10 &&
                        segment.find_first_not_of("0123456789") == std::string_view::npos;
    require(steps[i].is_index() == digits, "short digit runs, and only they, are indexes", path);
    if (digits) {
      require(steps[i].index() == std::stoll(std::string(segment)), "the index is the digits");
    } else {
      require(steps[i].key() == segment, "a key is its segment verbatim", path);
    }
  }
}

// The document holding `value` (JSON text) at `steps`: objects for keys, arrays of nulls for
// indexes. nullopt when an index is too large to build.
std::optional<std::string> document_at(const std::vector<PathStep>& steps, std::string value) {
  for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
    if (step->is_index()) {
      if (step->index() > kMaxBuiltIndex) return std::nullopt;
      std::string array = "[";
      for (std::int64_t i = 0; i < step->index(); ++i) array += "null,";
      value = array + value + "]";
    } else {
      value = "{" + nlohmann::json(step->key()).dump() + ":" + value + "}";
    }
  }
  return value;
}

void check_store(const retort::events::PathQuery& query) {
  const bool keys_valid = std::all_of(query.path.begin(), query.path.end(), [](const PathStep& s) {
    return s.is_index() || retort::text::is_valid_text(s.key());
  });
  retort::Session session = database().session();
  retort::events::EventRepository events(session);
  retort::events::EventFilter filter{.path = query.path, .path_equals = query.equals};
  if (query.path.size() > retort::kMaxJsonPathSteps) {
    // Too deep (found by fuzzing: the harness expected no refusal): refused with InvalidInput
    // naming the limit, before any SQL is built.
    std::string said;
    try {
      events.count(filter);
    } catch (const retort::InvalidInput& e) {
      said = e.what();
    }
    const std::string limit =
        "more than the " + std::to_string(retort::kMaxJsonPathSteps) + " allowed";
    require(said.find(limit) != std::string::npos,
            "a path deeper than kMaxJsonPathSteps is refused, naming the limit", said);
    return;
  }
  if (!keys_valid) {
    bool refused = false;
    try {
      events.count(filter);
    } catch (const retort::InvalidInput&) {
      refused = true;
    }
    require(refused, "a key that is not valid text is refused");
    return;
  }
  std::string value = "true";
  if (query.equals) {
    const retort::Value& v = *query.equals;
    if (v.kind() == retort::Value::Kind::json) {
      value = v.as_json().text();
    } else {
      const std::string& text = v.as_text();
      if (!retort::text::is_valid_text(text)) return;  // no event can hold it
      value = nlohmann::json(text).dump();
    }
  }
  std::optional<std::string> document = document_at(query.path, value);
  if (!document) return;
  const retort::events::Event stored = events.record(*document);
  events.record("[]");
  const std::vector<retort::events::Event> found = events.find(filter);
  require(found.size() == 1 && found[0].id == stored.id,
          "the path selects exactly the event built to hold it", *document);
  retort::events::EventFilter exists{.path = query.path};
  require(events.count(exists) == 1, "the path alone selects exactly that event", *document);
  session.rollback();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = retort::fuzz::as_text(data, size);
  retort::events::PathQuery query;
  try {
    query = retort::events::parse_path_query(text);
  } catch (const retort::ConfigError& e) {
    require(std::string_view(e.what()).find("empty segment") != std::string_view::npos,
            "only an empty segment is refused", e.what());
    return 0;
  }
  const std::size_t eq = text.find('=');
  require_steps_match(text.substr(0, eq), query.path);
  require(query.equals.has_value() == (eq != std::string_view::npos), "a value follows '='");
  check_store(query);
  return 0;
}

// Fuzz target: the revision-file parser (retort::migrate::parse_revision), and what a parsed file
// flows into: its checksum, its sections' SQL (split_sql) and the revision graph (RevisionMap).
//
// Contract checked:
// - parse_revision throws nothing but ScriptError, naming the file and a line of it;
// - a headers-only parse (keep_sql = false) agrees with the full parse on every header, every
//   section's direction, dialect and line, and the checksum, and keeps no SQL;
// - the checksum is revision_checksum(content) and ignores trailing whitespace and blank lines;
// - each section's SQL splits (or fails with ScriptError) on lines inside the file;
// - the revision, with a stand-in for each revision it names, makes a RevisionMap or a
//   RevisionError / ScriptError, and the map's printed forms can be built.
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "migrate/graph/revision_map.hpp"
#include "migrate/runtime/sql_splitter.hpp"
#include "migrate/script/format.hpp"
#include "migrate/script/script_file.hpp"
#include "retort/migrate.hpp"

namespace {

using namespace retort::migrate;
using retort::fuzz::require;

const std::string kFile = "versions/fuzz_revision.sql";

int line_count(std::string_view text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
}

void require_same_headers(const Revision& full, const Revision& headers) {
  require(full.id == headers.id && full.down_revisions == headers.down_revisions &&
              full.branch_labels == headers.branch_labels &&
              full.depends_on == headers.depends_on && full.message == headers.message &&
              full.create_date == headers.create_date &&
              full.transactional == headers.transactional &&
              full.sqlite_foreign_keys_off == headers.sqlite_foreign_keys_off &&
              full.checksum == headers.checksum,
          "a headers-only parse reads the same headers", full.id);
  require(full.sections.size() == headers.sections.size(), "both parses find the same sections");
  for (std::size_t i = 0; i < full.sections.size(); ++i) {
    const Section& a = full.sections[i];
    const Section& b = headers.sections[i];
    require(a.direction == b.direction && a.dialect == b.dialect && a.line == b.line,
            "both parses describe a section alike");
    require(b.sql.empty(), "a headers-only parse keeps no SQL");
  }
}

void check_sections(const Revision& revision, int lines) {
  int previous = 0;
  for (const Section& section : revision.sections) {
    require(section.line > previous && section.line >= 2 && section.line <= lines + 1,
            "sections start on increasing lines of the file");
    previous = section.line;
    const SqlDialect dialect =
        section.dialect == "sqlite" ? SqlDialect::sqlite : SqlDialect::postgresql;
    try {
      for (const SqlStatement& statement : split_sql(section.sql, dialect, section.line, kFile)) {
        require(statement.line >= section.line && statement.line <= lines,
                "a statement starts on a line of its section");
      }
    } catch (const ScriptError& e) {
      require(e.file() == kFile && e.line() >= section.line && e.line() <= lines,
              "a splitter error points into the section", e.what());
    }
  }
}

// The revision with a root stand-in for every other revision it names.
std::vector<Revision> with_stand_ins(const Revision& revision) {
  std::vector<Revision> all{revision};
  std::vector<std::string> named = revision.down_revisions;
  named.insert(named.end(), revision.depends_on.begin(), revision.depends_on.end());
  for (const std::string& id : named) {
    const bool known = std::any_of(all.begin(), all.end(), [&](const Revision& r) {
      return r.id == id ||
             std::find(r.branch_labels.begin(), r.branch_labels.end(), id) != r.branch_labels.end();
    });
    if (known) continue;
    Revision stand_in;
    stand_in.id = id;
    stand_in.path = "versions/" + id + ".sql";
    all.push_back(std::move(stand_in));
  }
  return all;
}

void check_graph(const Revision& revision) {
  try {
    RevisionMap map(with_stand_ins(revision));
    require(map.find(revision.id) != kNone, "the map holds the parsed revision");
    for (RevIndex r = 0; r < static_cast<RevIndex>(map.size()); ++r) {
      require(!head_only(map, r, FormatFlags{}).empty(), "a revision prints");
      require(!log_entry(map, r, false).empty(), "a revision's log entry prints");
    }
  } catch (const RevisionError&) {
  } catch (const ScriptError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view content = retort::fuzz::as_text(data, size);
  const int lines = line_count(content);
  Revision full;
  try {
    full = parse_revision(content, kFile);
  } catch (const ScriptError& e) {
    require(e.file() == kFile, "a parse error names the file", e.what());
    require(e.line() >= 1 && e.line() <= lines, "a parse error names a line of the file", e.what());
    return 0;
  }
  require(!full.id.empty(), "a parsed revision has an id");
  require(full.path == kFile, "a parsed revision knows its file");
  require(full.checksum == revision_checksum(content), "the checksum is the content's");
  const std::string padded = std::string(content) + " \t\r\n\n  \n";
  require(revision_checksum(padded) == full.checksum,
          "trailing whitespace and blank lines leave the checksum alone");
  for (int header : {full.lines.revision, full.lines.down_revision, full.lines.branch_labels,
                     full.lines.depends_on}) {
    require(header >= 0 && header <= lines, "header lines lie in the file");
  }

  Revision headers;
  try {
    headers = parse_revision(content, kFile, /*keep_sql=*/false);
  } catch (const ScriptError& e) {
    require(false, "a headers-only parse accepts what a full parse accepts", e.what());
  }
  require_same_headers(full, headers);
  check_sections(full, lines);
  check_graph(full);
  return 0;
}

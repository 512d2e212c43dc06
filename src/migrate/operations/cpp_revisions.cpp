#include "migrate/operations/cpp_revisions.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "migrate/script/sha256.hpp"

namespace retort::migrate {
namespace {

int line_of(const CppRevision& code) {
  return static_cast<int>(code.where.line());
}

const std::function<void(Operations&)>& function_for(const CppRevision& code, Direction direction) {
  return direction == Direction::upgrade ? code.upgrade : code.downgrade;
}

void fill_context(detail::OperationsContext& context, const Revision& rev, Dialect dialect) {
  context.revision = rev.id;
  context.declared_at = fmt::format("{}:{}", rev.path, rev.lines.revision);
  context.dialect = dialect;
  context.sqlite_foreign_keys_off = rev.sqlite_foreign_keys_off;
}

}  // namespace

std::string cpp_revision_checksum(const CppRevision& code) {
  // One field per line, lists comma-joined: unambiguous, since ids contain neither.
  const std::string text = fmt::format(
      "id={}\ndown={}\ndepends_on={}\ntransactional={}\nsqlite_foreign_keys_off={}\nversion={}\n",
      code.id, fmt::join(code.down_revisions, ","), fmt::join(code.depends_on, ","),
      code.transactional, code.sqlite_foreign_keys_off, code.version);
  return "cpp1:" + Sha256::hex(text);
}

Revision to_revision(const CppRevision& code) {
  Revision r;
  r.id = code.id;
  r.down_revisions = code.down_revisions;
  r.branch_labels = code.branch_labels;
  r.depends_on = code.depends_on;
  r.message = code.message;
  r.create_date = code.create_date;
  r.transactional = code.transactional;
  r.sqlite_foreign_keys_off = code.sqlite_foreign_keys_off;
  r.path = code.where.file_name();
  r.lines = {line_of(code), line_of(code), line_of(code), line_of(code)};
  r.checksum = cpp_revision_checksum(code);
  r.code = std::make_shared<const CppRevision>(code);
  return r;
}

void append_cpp_revisions(std::vector<Revision>& revisions, const std::vector<CppRevision>& code) {
  std::vector<const CppRevision*> sorted;
  for (const CppRevision& c : code) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const CppRevision* a, const CppRevision* b) { return a->id < b->id; });
  for (const CppRevision* c : sorted) revisions.push_back(to_revision(*c));
}

namespace detail {

void run_cpp_revision(const Revision& rev, Direction direction, Connection& connection,
                      const std::function<void(std::string_view)>& log,
                      OperationsContext& context) {
  fill_context(context, rev, connection.dialect());
  context.connection = &connection;
  context.log = log;
  const std::function<void(Operations&)>& function = function_for(*rev.code, direction);
  if (!function) return;
  Operations operations(context);
  function(operations);
}

std::vector<RenderedStatement> render_cpp_revision(const Revision& rev, Direction direction,
                                                   Dialect dialect) {
  std::vector<RenderedStatement> out;
  OperationsContext context;
  fill_context(context, rev, dialect);
  context.output = &out;
  const std::function<void(Operations&)>& function = function_for(*rev.code, direction);
  if (!function) return out;
  Operations operations(context);
  function(operations);
  return out;
}

}  // namespace detail
}  // namespace retort::migrate

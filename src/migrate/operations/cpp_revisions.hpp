// C++ revisions in the revision graph: how a CppRevision becomes a Revision node, its
// checksum, and how the runner and the offline renderer call its functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/graph/revision.hpp"
#include "migrate/operations/operations_context.hpp"
#include "retort/operations.hpp"

namespace retort::migrate {

// The revision as a graph node: its header fields, path = the source file declaring it,
// every header line = the line of its declaration, `code` = the revision itself.
Revision to_revision(const CppRevision& code);

// "cpp1:" + SHA-256 of what identifies what the revision does: id, down revisions, depends_on,
// transactional, sqlite_foreign_keys_off and version. Not the message, labels or the source
// location (a rebuild elsewhere must not look like an edit), not the code (compiled).
std::string cpp_revision_checksum(const CppRevision& code);

// Adds the C++ revisions after those read from files, sorted by id: the load order breaks ties
// in the graph, and registration order (static initialisation across files) is unspecified.
void append_cpp_revisions(std::vector<Revision>& revisions, const std::vector<CppRevision>& code);

namespace detail {

// Online: runs the revision's function for `direction` with Operations on `connection`, inside
// whatever transaction the runner opened. `context` is filled in here; when this throws it
// names the statement that failed and the revision line behind it.
void run_cpp_revision(const Revision& rev, Direction direction, Connection& connection,
                      const std::function<void(std::string_view)>& log, OperationsContext& context);

// Offline: the statements (and warning comments) the function renders for `direction` on
// `dialect`. Throws CannotRenderOffline when it reads the database.
std::vector<RenderedStatement> render_cpp_revision(const Revision& rev, Direction direction,
                                                   Dialect dialect);

}  // namespace detail
}  // namespace retort::migrate

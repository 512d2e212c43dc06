// A revision written in C++: the seed's conditional migration and data migration in one. If the
// database has the `demo_events` table of `retort demo`, its rows move into `events` and the
// table goes; otherwise nothing happens.
#include <retort/cli.hpp>
#include <retort/operations.hpp>

namespace {

void import_demo_events(retort::migrate::Operations& op) {
  if (!op.inspector().has_table("demo_events")) return;
  // demo_events.data is json on PostgreSQL; events.data is jsonb.
  const char* data = op.dialect() == retort::Dialect::postgresql ? "data::jsonb" : "data";
  op.execute(std::string("INSERT INTO events (id, data, created_at, updated_at) SELECT id, ") +
             data + ", created_at, created_at FROM demo_events");
  op.drop_table("demo_events");
}

}  // namespace

static const retort::cli::Registration import_demo = retort::cli::register_revision({
    .id = "9b1e4c7d2a30",
    .down_revisions = {"e93712f478ad"},  // the last revision of `init -t events`
    .message = "import demo events",
    .upgrade = import_demo_events,
    // One way: the rows stay in events.
});

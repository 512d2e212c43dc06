// The Event model and the events schema (table, indexes, and on PostgreSQL the merge-patch
// function), created from the model metadata until the migration engine ships it.
#include "retort/ddl.hpp"
#include "retort/events.hpp"
#include "retort/model.hpp"

void retort::ModelTraits<retort::events::Event>::describe(ModelBuilder<events::Event>& m) {
  using events::Event;
  namespace types = schema::types;
  m.table("events").comment("raw events (data) and what processing made of them (task_context)");
  m.column("id", &Event::id, types::uuid()).primary_key().client_default([] { return Value(Uuid::v7()); });
  m.column("data", &Event::data, types::jsonb()).comment("the event as received");
  m.column("task_context", &Event::task_context, types::jsonb())
      .comment("processing results; NULL until processed");
  m.column("created_at", &Event::created_at, types::timestamptz())
      .set_on_create()
      .server_default(defaults::now());
  m.column("updated_at", &Event::updated_at, types::timestamptz())
      .set_on_create()
      .set_on_update()
      .server_default(defaults::now());
  m.index("ix_events_created_at").on("created_at");
  m.index("ix_events_data").on("data", "jsonb_path_ops").using_method("gin").postgresql_only();
  m.latest_by("created_at");
}

namespace retort::events {

namespace {

// RFC 7386 JSON merge patch for jsonb. PostgreSQL's || is shallow and keeps nulls; this recurses
// into objects and removes keys whose patch value is null. A SQL NULL target is patched as {}.
constexpr const char* kMergePatchFunction = R"(CREATE OR REPLACE FUNCTION retort_json_merge_patch(target jsonb, patch jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $retort$
DECLARE
  result jsonb;
  k text;
  v jsonb;
BEGIN
  IF patch IS NULL THEN
    RETURN target;
  END IF;
  IF jsonb_typeof(patch) <> 'object' THEN
    RETURN patch;
  END IF;
  IF target IS NULL OR jsonb_typeof(target) <> 'object' THEN
    result := '{}'::jsonb;
  ELSE
    result := target;
  END IF;
  FOR k, v IN SELECT e.key, e.value FROM jsonb_each(patch) AS e LOOP
    IF jsonb_typeof(v) = 'null' THEN
      result := result - k;
    ELSE
      result := result || jsonb_build_object(k, retort_json_merge_patch(result -> k, v));
    END IF;
  END LOOP;
  RETURN result;
END
$retort$)";

}  // namespace

std::vector<std::string> schema_statements(Dialect dialect) {
  ddl::Options options;
  options.if_not_exists = true;
  std::vector<std::string> out =
      ddl::create_table_statements(model<Event>().table(), dialect, nullptr, options);
  if (dialect == Dialect::postgresql) {
    // COMMENT ON is idempotent; keep it. The function is needed by merge_task_context.
    out.emplace_back(kMergePatchFunction);
  }
  return out;
}

void create_schema(Session& session) {
  for (const std::string& statement : schema_statements(session.dialect())) {
    session.execute(statement);
  }
}

}  // namespace retort::events

// The models of the events schema: Event and IngestLedgerEntry. They describe the tables the
// built-in migrations create (migrations/versions), for the repository and for autogenerate,
// which compares them with the database; they never create anything themselves.
#include "retort/events.hpp"
#include "retort/model.hpp"

void retort::ModelTraits<retort::events::Event>::describe(ModelBuilder<events::Event>& m) {
  using events::Event;
  namespace types = schema::types;
  m.table("events").comment("raw events (data) and what processing made of them (task_context)");
  m.column("id", &Event::id, types::uuid()).primary_key().client_default([] {
    return Value(Uuid::v7());
  });
  // NOT NULL here; on the original service's table, where it is nullable, a NULL reads as the
  // JSON document null (a plain JsonText member: see ModelBase::set, and detail::data_of).
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

void retort::ModelTraits<retort::events::IngestLedgerEntry>::describe(
    ModelBuilder<events::IngestLedgerEntry>& m) {
  using events::IngestLedgerEntry;
  namespace types = schema::types;
  m.table("events_ingest_ledger").comment("how far each JSON Lines file was ingested into events");
  m.column("file_size", &IngestLedgerEntry::file_size, types::bigint());
  m.column("head_sha256", &IngestLedgerEntry::head_sha256, types::text());
  m.column("source", &IngestLedgerEntry::source, types::text());
  m.column("last_line", &IngestLedgerEntry::last_line, types::bigint())
      .comment("last line whose batch committed (0: none)");
  m.column("accepted", &IngestLedgerEntry::accepted, types::bigint());
  m.column("rejected", &IngestLedgerEntry::rejected, types::bigint());
  m.column("complete", &IngestLedgerEntry::complete, types::boolean());
  m.column("started_at", &IngestLedgerEntry::started_at, types::timestamptz());
  m.column("updated_at", &IngestLedgerEntry::updated_at, types::timestamptz());
  m.primary_key({"file_size", "head_sha256"}, "events_ingest_ledger_pkey");
}

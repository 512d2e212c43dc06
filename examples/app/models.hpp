// The application's models (the seed's models.py). Event and IngestLedgerEntry are retort's
// event-store models (tables `events` and `events_ingest_ledger`, created by the revisions of
// `init -t events`).
#pragma once

#include <retort/events.hpp>
#include <retort/repository.hpp>

namespace app {
using IngestLedgerEntry = retort::events::IngestLedgerEntry;  // `retort events ingest`'s ledger

using Event = retort::events::Event;

}  // namespace app

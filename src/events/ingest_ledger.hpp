// The ingest ledger (table events_ingest_ledger): where an ingest of a file stands. Every change
// runs in the caller's session, so a batch's rows and its ledger update commit together.
#pragma once

#include <cstdint>
#include <optional>

#include "retort/database.hpp"
#include "retort/events.hpp"

namespace retort::events {

class IngestLedger {
 public:
  explicit IngestLedger(IngestSource source) : source_(std::move(source)) {}

  const IngestSource& source() const noexcept { return source_; }

  // The row, if any.
  std::optional<IngestLedgerEntry> read(Session& session) const;
  // Creates the row at line 0 unless it exists; returns the row as it now is.
  IngestLedgerEntry open(Session& session) const;
  // Back to line 0 (IngestMode::restart): counts cleared, started_at now.
  void reset(Session& session) const;
  // Moves last_line from `from` to `to` and adds the counts, in session's transaction. Throws
  // IngestError (via the caller) when the row is no longer at `from`: another ingest of the same
  // file advanced it, and storing this batch would duplicate lines.
  void advance(Session& session, std::int64_t from, std::int64_t to, std::int64_t accepted,
               std::int64_t rejected, bool complete) const;

 private:
  IngestSource source_;
};

}  // namespace retort::events

-- retort revision
-- Revision: a1e7d4c90b3f
-- Down revision: 7c2d9e4b1a60
-- Branch labels: 
-- Depends on: 
-- Message: events: ingest ledger (resumable, idempotent `retort events ingest`)
-- Create date: 2026-12-07 06:30:00.000000

-- +upgrade postgresql
-- One row per ingested file, identified by its size and the SHA-256 of its first 64 KiB.
-- `retort events ingest` updates the row in the transaction of each batch it stores, so the
-- row's last_line and the stored events never disagree (docs/events.md, "Interrupted ingests").
CREATE TABLE events_ingest_ledger (
    file_size BIGINT NOT NULL,
    head_sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    last_line BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    complete BOOLEAN NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT events_ingest_ledger_pkey PRIMARY KEY (file_size, head_sha256)
);
COMMENT ON TABLE events_ingest_ledger IS 'how far each JSON Lines file was ingested into events';
COMMENT ON COLUMN events_ingest_ledger.last_line IS 'last line whose batch committed (0: none)';

-- +downgrade postgresql
DROP TABLE events_ingest_ledger;

-- +upgrade sqlite
CREATE TABLE events_ingest_ledger (
    file_size BIGINT NOT NULL,
    head_sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    last_line BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    complete BOOLEAN NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT events_ingest_ledger_pkey PRIMARY KEY (file_size, head_sha256)
);

-- +downgrade sqlite
DROP TABLE events_ingest_ledger;

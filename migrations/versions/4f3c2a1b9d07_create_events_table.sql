-- retort revision
-- Revision: 4f3c2a1b9d07
-- Down revision: none
-- Message: create events table
-- Create date: 2026-11-21 06:40:00.000000

-- +upgrade postgresql
CREATE TABLE events (
    id UUID NOT NULL,
    data JSONB NOT NULL,
    task_context JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX ix_events_created_at ON events (created_at);
CREATE INDEX ix_events_data ON events USING gin (data jsonb_path_ops);

-- +downgrade postgresql
DROP TABLE events;

-- +upgrade sqlite
CREATE TABLE events (
    id UUID NOT NULL,
    data JSON NOT NULL CHECK (json_valid(data)),
    task_context JSON CHECK (task_context IS NULL OR json_valid(task_context)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX ix_events_created_at ON events (created_at);

-- +downgrade sqlite
DROP TABLE events;

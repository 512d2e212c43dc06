-- The original service's events table as retort's Event model wants it (PostgreSQL): jsonb
-- (containment through a GIN jsonb_path_ops index instead of a scan), timestamptz, data NOT NULL.
-- Declared as `[models] schema = "events_as_retort_wants.sql"` (with `dev_url`), it makes
-- `retort revision --autogenerate` write the online upgrade of the table (docs/adopting.md,
-- "Upgrading the table online").
CREATE TABLE events (
    id uuid PRIMARY KEY,
    data jsonb NOT NULL,
    task_context jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_events_created_at ON events (created_at);
CREATE INDEX ix_events_data ON events USING gin (data jsonb_path_ops);

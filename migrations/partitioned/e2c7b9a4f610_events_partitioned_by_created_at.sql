-- retort revision
-- Revision: e2c7b9a4f610
-- Down revision: b5f0c3e8d217
-- Branch labels: events_partitioned
-- Message: events: range-partitioned by created_at (one partition per UTC day)
-- Create date: 2026-12-07 15:20:00.000000

-- +upgrade
-- Opt-in (docs/partitioning.md): this file is not among the built-in revisions that
-- `retort upgrade head` applies; a project gets it from `retort init --template
-- events-partitioned` or by copying it into its versions directory. It converts the table in
-- one transaction (rows copied under the revision's lock): meant for a new or young table. A large
-- table is converted online with the pattern of docs/partitioning.md instead.

-- +downgrade
-- the statements are in the dialect sections below

-- +upgrade postgresql
-- The new table: the same columns, defaults, checks and comments as retort's table after
-- b5f0c3e8d217; the primary key must contain the partition key, so it is (id, created_at).
CREATE TABLE retort_events_partitioned (
    id uuid NOT NULL,
    data jsonb NOT NULL,
    task_context jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer,
    run_after timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    locked_by text,
    last_error text,
    finished_at timestamptz,
    workflow_type text,
    CONSTRAINT ck_events_status CHECK (status IN ('pending', 'running', 'done', 'failed', 'dead')),
    CONSTRAINT ck_events_max_attempts CHECK (max_attempts > 0)
) PARTITION BY RANGE (created_at);
-- Creates the missing daily partitions events_pYYYY_MM_DD (UTC days; pg_partman's daily names,
-- so that pg_partman can take them over) from the day of p_from to the day of p_to; returns
-- their names. Serialized by an advisory lock, so that workers calling
-- it at the same time never race on the catalog. Used by this revision, by `retort events
-- partitions --ahead` and by workers; pg_partman replaces it when it manages the table.
CREATE OR REPLACE FUNCTION retort_events_ensure_partitions(p_from timestamptz, p_to timestamptz,
                                                           p_parent text DEFAULT 'events')
RETURNS SETOF text LANGUAGE plpgsql AS $retort$
DECLARE
  day date := (p_from AT TIME ZONE 'UTC')::date;
  last_day date := (p_to AT TIME ZONE 'UTC')::date;
  parent_name text;
  parent_schema text;
  child text;
BEGIN
  SELECT c.relname, n.nspname INTO parent_name, parent_schema
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = p_parent::regclass;
  PERFORM pg_advisory_xact_lock(hashtext('retort_events_partitions'));
  WHILE day <= last_day LOOP
    child := 'events_p' || to_char(day, 'YYYY_MM_DD');
    IF to_regclass(format('%I.%I', parent_schema, child)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                     parent_schema, child, parent_schema, parent_name,
                     (day::timestamp AT TIME ZONE 'UTC'),
                     ((day + 1)::timestamp AT TIME ZONE 'UTC'));
      RETURN NEXT child;
    END IF;
    day := day + 1;
  END LOOP;
END
$retort$;
-- Partitions for every day that has rows, and a week ahead.
SELECT retort_events_ensure_partitions(
    COALESCE((SELECT min(created_at) FROM events), now()),
    GREATEST(COALESCE((SELECT max(created_at) FROM events), now()), now()) + interval '7 days',
    'retort_events_partitioned');
INSERT INTO retort_events_partitioned
    (id, data, task_context, created_at, updated_at, status, attempts, max_attempts, run_after,
     locked_until, locked_by, last_error, finished_at, workflow_type)
SELECT id, data, task_context, created_at, updated_at, status, attempts, max_attempts, run_after,
       locked_until, locked_by, last_error, finished_at, workflow_type
FROM events;
DROP TABLE events;
ALTER TABLE retort_events_partitioned RENAME TO events;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, created_at);
CREATE INDEX ix_events_created_at ON events (created_at);
CREATE INDEX ix_events_data ON events USING gin (data jsonb_path_ops);
CREATE INDEX ix_events_claim ON events (run_after, created_at)
    WHERE status IN ('pending', 'failed', 'running');
CREATE INDEX ix_events_claim_workflow
    ON events ((COALESCE(workflow_type, data ->> 'type')), run_after, created_at)
    WHERE status IN ('pending', 'failed', 'running');
COMMENT ON TABLE events IS 'raw events (data) and what processing made of them (task_context)';
COMMENT ON COLUMN events.data IS 'the event as received';
COMMENT ON COLUMN events.task_context IS 'processing results; NULL until processed';
COMMENT ON COLUMN events.status IS 'pending, running, done, failed (retry scheduled), dead';
COMMENT ON COLUMN events.attempts IS 'claims so far; with locked_by, the token of the current claim';
COMMENT ON COLUMN events.run_after IS 'claimable from then on (schedule, backoff, end of a running lease)';
COMMENT ON COLUMN events.workflow_type IS
  'retort routing key; NULL: data->>''type'' (added by revision b5f0c3e8d217)';
CREATE TRIGGER retort_events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION retort_events_notify();
-- Ids: the primary key (id, created_at) is unique per partition only, so the same id stored
-- again with another created_at would land in another partition unnoticed. Once per statement
-- (one per COPY), the ids just inserted are looked up across all partitions; a second row with
-- one of them fails the statement with unique_violation. docs/partitioning.md says what this
-- covers (a batch stored twice, a replayed ingest) and what it does not (two transactions storing
-- the same id at the same moment, each unable to see the other's uncommitted row).
CREATE OR REPLACE FUNCTION retort_events_unique_id() RETURNS trigger
LANGUAGE plpgsql AS $retort$
DECLARE
  dup uuid;
BEGIN
  SELECT n.id INTO dup FROM retort_new_events n
  WHERE (SELECT count(*) FROM events e WHERE e.id = n.id) > 1 LIMIT 1;
  IF dup IS NOT NULL THEN
    RAISE EXCEPTION 'duplicate event id %: an event with this id is already stored', dup
      USING ERRCODE = 'unique_violation', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END
$retort$;
CREATE TRIGGER retort_events_unique_id AFTER INSERT ON events
    REFERENCING NEW TABLE AS retort_new_events
    FOR EACH STATEMENT EXECUTE FUNCTION retort_events_unique_id();

-- +downgrade postgresql
-- Back to one table: rows copied in this transaction, as the upgrade did.
CREATE TABLE retort_events_plain (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                                   INCLUDING COMMENTS);
INSERT INTO retort_events_plain SELECT * FROM events;
DROP TABLE events;
DROP FUNCTION retort_events_unique_id();
DROP FUNCTION retort_events_ensure_partitions(timestamptz, timestamptz, text);
ALTER TABLE retort_events_plain RENAME TO events;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);
CREATE INDEX ix_events_created_at ON events (created_at);
CREATE INDEX ix_events_data ON events USING gin (data jsonb_path_ops);
CREATE INDEX ix_events_claim ON events (run_after, created_at)
    WHERE status IN ('pending', 'failed', 'running');
CREATE INDEX ix_events_claim_workflow
    ON events ((COALESCE(workflow_type, data ->> 'type')), run_after, created_at)
    WHERE status IN ('pending', 'failed', 'running');
CREATE TRIGGER retort_events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION retort_events_notify();

-- +upgrade sqlite
-- SQLite has no partitioning: the table stays as it is, and `retort events retain` deletes old
-- events in bounded batches there (docs/partitioning.md).
SELECT 1;

-- +downgrade sqlite
SELECT 1;

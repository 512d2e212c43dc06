-- retort revision
-- SQLite foreign keys: off
-- Revision: b5f0c3e8d217
-- Down revision: a1e7d4c90b3f
-- Message: events: processing state (status, attempts, lease, routing key), wake-ups, live workers
-- Create date: 2026-12-07 06:20:00.000000

-- +upgrade
-- The processing half of the events table (docs/design/events-schema.md, docs/processing.md).
-- Only columns, indexes, a trigger and a table are added; no existing column changes type, so
-- this runs on retort's table (jsonb, timestamptz) and on the original service's (json,
-- timestamp without time zone, its own workflow_type column) alike.
-- MERGE NOTE: the down revision becomes a1e7d4c90b3f (the ingest ledger) when both are merged.

-- +downgrade
-- the statements are in the dialect sections below

-- +upgrade postgresql
-- status is added with DEFAULT 'done' (a catalog-only change: every existing row reads 'done'
-- without being rewritten, so adopting a large table floods no worker), then new rows default to
-- 'pending'. `retort events backfill --unprocessed pending` requeues old unprocessed events in
-- batches when the user wants them processed.
ALTER TABLE events
    ADD COLUMN status text NOT NULL DEFAULT 'done',
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN max_attempts integer,
    ADD COLUMN run_after timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN locked_until timestamptz,
    ADD COLUMN locked_by text,
    ADD COLUMN last_error text,
    ADD COLUMN finished_at timestamptz;
ALTER TABLE events ALTER COLUMN status SET DEFAULT 'pending';
-- NOT VALID: enforced on every write from now on; the rows that existed all read the defaults,
-- so validating would only scan the table under this revision's lock.
ALTER TABLE events ADD CONSTRAINT ck_events_status
    CHECK (status IN ('pending', 'running', 'done', 'failed', 'dead')) NOT VALID;
ALTER TABLE events ADD CONSTRAINT ck_events_max_attempts CHECK (max_attempts > 0) NOT VALID;
-- The routing key column: the original service's table has one already, which is kept as it
-- is; the comment marks a column this revision added, so that the downgrade drops only that.
DO $retort$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                 WHERE attrelid = 'events'::regclass AND attname = 'workflow_type'
                   AND NOT attisdropped) THEN
    ALTER TABLE events ADD COLUMN workflow_type text;
    COMMENT ON COLUMN events.workflow_type IS
      'retort routing key; NULL: data->>''type'' (added by revision b5f0c3e8d217)';
  END IF;
END
$retort$;
COMMENT ON COLUMN events.status IS 'pending, running, done, failed (retry scheduled), dead';
COMMENT ON COLUMN events.attempts IS 'claims so far; with locked_by, the token of the current claim';
COMMENT ON COLUMN events.run_after IS 'claimable from then on (schedule, backoff, end of a running lease)';
-- The claim: due events, oldest first; finished events are not in the index.
CREATE INDEX ix_events_claim ON events (run_after, created_at)
    WHERE status IN ('pending', 'failed', 'running');
-- Claims of one workflow (the routing key: the column, else data's "type").
CREATE INDEX ix_events_claim_workflow
    ON events ((COALESCE(workflow_type, data ->> 'type')), run_after, created_at)
    WHERE status IN ('pending', 'failed', 'running');
-- Wake-ups: one notification per statement (a COPY is one), seen at commit only, and folded
-- into one per transaction by PostgreSQL. The payload names the table, so workers of another
-- schema's events table ignore it.
CREATE OR REPLACE FUNCTION retort_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $retort$
BEGIN
  PERFORM pg_notify('retort_events', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
  RETURN NULL;
END
$retort$;
CREATE TRIGGER retort_events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION retort_events_notify();
-- Live workers: each upserts its row at every heartbeat (events stats lists them).
CREATE TABLE retort_workers (
    id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    workflow text,
    slots integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    counters text,
    CONSTRAINT retort_workers_pkey PRIMARY KEY (id)
);

-- +downgrade postgresql
DROP TABLE retort_workers;
DROP TRIGGER retort_events_notify ON events;
DROP FUNCTION retort_events_notify();
DROP INDEX ix_events_claim_workflow;
DROP INDEX ix_events_claim;
DO $retort$
BEGIN
  IF col_description('events'::regclass,
                     (SELECT attnum FROM pg_attribute
                      WHERE attrelid = 'events'::regclass AND attname = 'workflow_type'
                        AND NOT attisdropped)::integer)
     LIKE '%(added by revision b5f0c3e8d217)' THEN
    ALTER TABLE events DROP COLUMN workflow_type;
  END IF;
END
$retort$;
ALTER TABLE events DROP CONSTRAINT ck_events_max_attempts;
ALTER TABLE events DROP CONSTRAINT ck_events_status;
ALTER TABLE events
    DROP COLUMN finished_at,
    DROP COLUMN last_error,
    DROP COLUMN locked_by,
    DROP COLUMN locked_until,
    DROP COLUMN run_after,
    DROP COLUMN max_attempts,
    DROP COLUMN attempts,
    DROP COLUMN status;

-- +upgrade sqlite
-- SQLite can neither change a default after ADD COLUMN nor add a column whose default is not a
-- constant (run_after's is the current time): the table is rebuilt as autogenerate renders it
-- (move-and-copy), the rows that existed copied as done, due at their created_at.
CREATE TABLE "_retort_new_events" (
  "id" UUID NOT NULL,
  "data" JSON NOT NULL CHECK (json_valid("data")),
  "task_context" JSON CHECK ("task_context" IS NULL OR json_valid("task_context")),
  "created_at" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  "updated_at" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  "status" TEXT DEFAULT 'pending' NOT NULL,
  "attempts" INTEGER DEFAULT 0 NOT NULL,
  "max_attempts" INTEGER,
  "run_after" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  "locked_until" TIMESTAMPTZ,
  "locked_by" TEXT,
  "last_error" TEXT,
  "finished_at" TIMESTAMPTZ,
  "workflow_type" TEXT,
  CONSTRAINT "events_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "ck_events_status" CHECK (status IN ('pending', 'running', 'done', 'failed', 'dead')),
  CONSTRAINT "ck_events_max_attempts" CHECK (max_attempts > 0)
);

INSERT INTO "_retort_new_events" ("id", "data", "task_context", "created_at", "updated_at", "status", "run_after") SELECT "id", "data", "task_context", "created_at", "updated_at", 'done', "created_at" FROM "events";

DROP TABLE "events";

PRAGMA legacy_alter_table = ON;

ALTER TABLE "_retort_new_events" RENAME TO "events";

PRAGMA legacy_alter_table = OFF;

CREATE INDEX "ix_events_created_at" ON "events" ("created_at");

CREATE INDEX "ix_events_claim" ON "events" ("run_after", "created_at") WHERE status IN ('pending', 'failed', 'running');

CREATE INDEX "ix_events_claim_workflow" ON "events" ((COALESCE(workflow_type, json_extract(data, '$.type'))), "run_after", "created_at") WHERE status IN ('pending', 'failed', 'running');

CREATE TABLE "retort_workers" (
  "id" TEXT NOT NULL,
  "host" TEXT NOT NULL,
  "pid" INTEGER NOT NULL,
  "workflow" TEXT,
  "slots" INTEGER NOT NULL,
  "started_at" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  "heartbeat_at" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  "counters" TEXT,
  CONSTRAINT "retort_workers_pkey" PRIMARY KEY ("id")
);

-- +downgrade sqlite
DROP TABLE "retort_workers";

CREATE TABLE "_retort_new_events" (
  "id" UUID NOT NULL,
  "data" JSON NOT NULL CHECK (json_valid("data")),
  "task_context" JSON CHECK ("task_context" IS NULL OR json_valid("task_context")),
  "created_at" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  "updated_at" TIMESTAMPTZ DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')) NOT NULL,
  CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

INSERT INTO "_retort_new_events" ("id", "data", "task_context", "created_at", "updated_at") SELECT "id", "data", "task_context", "created_at", "updated_at" FROM "events";

DROP TABLE "events";

PRAGMA legacy_alter_table = ON;

ALTER TABLE "_retort_new_events" RENAME TO "events";

PRAGMA legacy_alter_table = OFF;

CREATE INDEX "ix_events_created_at" ON "events" ("created_at");

-- retort revision
-- SQLite foreign keys: off
-- Revision: e93712f478ad
-- Down revision: b5f0c3e8d217
-- Message: events: SQLite status predicates as OR chains (no IN list on every insert)
-- Create date: 2026-12-07 21:30:00.000000

-- +upgrade
-- Performance only, SQLite only: no column, default or accepted value changes. SQLite compiles
-- a constant `status IN (...)` into an ephemeral B-tree that every INSERT fills again, once for
-- the CHECK ck_events_status and once for each partial claim index's WHERE (three per inserted
-- row, about 60% of an event insert's instructions: docs/benchmarks.md, "retort's own events
-- table"). The same predicates written `status = ... OR status = ...` compile to a few
-- comparisons. The claim queries name both spellings, so that SQLite (which matches a partial
-- index's WHERE term by term) uses the claim indexes at this revision and at b5f0c3e8d217.

-- +downgrade
-- the statements are in the dialect sections below

-- +upgrade postgresql
-- nothing to do: PostgreSQL evaluates a constant IN list as an array comparison (no per-row
-- set-up), and its planner proves a query's IN implies the index's IN; the spelling stays.

-- +downgrade postgresql
-- nothing to do

-- +upgrade sqlite
-- The table as b5f0c3e8d217 leaves it (move-and-copy, every row and column value kept), with
-- the CHECK and both partial indexes in the OR form.
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
  CONSTRAINT "ck_events_status" CHECK (status = 'pending' OR status = 'running' OR status = 'done' OR status = 'failed' OR status = 'dead'),
  CONSTRAINT "ck_events_max_attempts" CHECK (max_attempts > 0)
);

INSERT INTO "_retort_new_events" ("id", "data", "task_context", "created_at", "updated_at", "status", "attempts", "max_attempts", "run_after", "locked_until", "locked_by", "last_error", "finished_at", "workflow_type") SELECT "id", "data", "task_context", "created_at", "updated_at", "status", "attempts", "max_attempts", "run_after", "locked_until", "locked_by", "last_error", "finished_at", "workflow_type" FROM "events";

DROP TABLE "events";

PRAGMA legacy_alter_table = ON;

ALTER TABLE "_retort_new_events" RENAME TO "events";

PRAGMA legacy_alter_table = OFF;

CREATE INDEX "ix_events_created_at" ON "events" ("created_at");

CREATE INDEX "ix_events_claim" ON "events" ("run_after", "created_at") WHERE status = 'pending' OR status = 'failed' OR status = 'running';

CREATE INDEX "ix_events_claim_workflow" ON "events" ((COALESCE(workflow_type, json_extract(data, '$.type'))), "run_after", "created_at") WHERE status = 'pending' OR status = 'failed' OR status = 'running';

-- +downgrade sqlite
-- Back to the IN form of b5f0c3e8d217, rows kept.
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

INSERT INTO "_retort_new_events" ("id", "data", "task_context", "created_at", "updated_at", "status", "attempts", "max_attempts", "run_after", "locked_until", "locked_by", "last_error", "finished_at", "workflow_type") SELECT "id", "data", "task_context", "created_at", "updated_at", "status", "attempts", "max_attempts", "run_after", "locked_until", "locked_by", "last_error", "finished_at", "workflow_type" FROM "events";

DROP TABLE "events";

PRAGMA legacy_alter_table = ON;

ALTER TABLE "_retort_new_events" RENAME TO "events";

PRAGMA legacy_alter_table = OFF;

CREATE INDEX "ix_events_created_at" ON "events" ("created_at");

CREATE INDEX "ix_events_claim" ON "events" ("run_after", "created_at") WHERE status IN ('pending', 'failed', 'running');

CREATE INDEX "ix_events_claim_workflow" ON "events" ((COALESCE(workflow_type, json_extract(data, '$.type'))), "run_after", "created_at") WHERE status IN ('pending', 'failed', 'running');

-- retort revision
-- Revision: 4f3c2a1b9d07
-- Down revision: none
-- Message: create events table
-- Create date: 2026-11-21 06:40:00.000000

-- +upgrade postgresql
-- IF NOT EXISTS: databases whose events table retort::events::create_schema made before the
-- schema shipped as a migration are adopted as they are.
CREATE TABLE IF NOT EXISTS events (
    id UUID NOT NULL,
    data JSONB NOT NULL,
    task_context JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_events_created_at ON events (created_at);
CREATE INDEX IF NOT EXISTS ix_events_data ON events USING gin (data jsonb_path_ops);
COMMENT ON TABLE events IS 'raw events (data) and what processing made of them (task_context)';
COMMENT ON COLUMN events.data IS 'the event as received';
COMMENT ON COLUMN events.task_context IS 'processing results; NULL until processed';
-- RFC 7386 JSON merge patch for jsonb (EventRepository::merge_task_context). PostgreSQL's || is
-- shallow and keeps nulls; this recurses into objects and removes keys whose patch value is null.
CREATE OR REPLACE FUNCTION retort_json_merge_patch(target jsonb, patch jsonb)
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
$retort$;

-- +downgrade postgresql
DROP FUNCTION IF EXISTS retort_json_merge_patch(jsonb, jsonb);
DROP TABLE events;

-- +upgrade sqlite
CREATE TABLE IF NOT EXISTS events (
    id UUID NOT NULL,
    data JSON NOT NULL CHECK (json_valid(data)),
    task_context JSON CHECK (task_context IS NULL OR json_valid(task_context)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT events_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_events_created_at ON events (created_at);

-- +downgrade sqlite
DROP TABLE events;

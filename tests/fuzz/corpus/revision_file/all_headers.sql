-- retort revision
-- Revision: 9f8e7d6c5b4a
-- Down revision: 1a2b3c4d5e6f, 2b3c4d5e6f7a
-- Branch labels: billing, reports
-- Depends on: 0f0e0d0c0b0a
-- Message: merge billing and reports
-- Create date: 2026-11-21 05:40:00.123456
-- Transactional: false
-- SQLite foreign keys: off

-- +upgrade
CREATE TABLE t (id BIGINT PRIMARY KEY, note TEXT DEFAULT 'it''s');

-- +upgrade postgresql
CREATE INDEX CONCURRENTLY t_note ON t (note);
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;

-- +upgrade sqlite
CREATE TRIGGER t_touch AFTER UPDATE ON t BEGIN UPDATE t SET note = 'x' WHERE id = NEW.id; END;

-- +downgrade
DROP TABLE t;

-- +downgrade postgresql
DROP FUNCTION f();

BEGIN;

CREATE TABLE IF NOT EXISTS retort_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    revision TEXT NOT NULL,
    direction VARCHAR(16) NOT NULL,
    checksum TEXT,
    script TEXT,
    applied_at TIMESTAMPTZ NOT NULL,
    duration_ms DOUBLE PRECISION,
    applied_by TEXT,
    retort_version TEXT,
    backup TEXT
);

-- Running stamp_revision a1b2c3d4e5f6 -> c3d4e5f6a1b2

UPDATE retort_version SET version_num='c3d4e5f6a1b2' WHERE retort_version.version_num = 'a1b2c3d4e5f6';

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('c3d4e5f6a1b2', 'stamp', 'v2:b64b58799d5a14169f194b09470e87bd.fc573857df4ef9d4637c8662581fef7e', '$ENV/versions/c3d4e5f6a1b2_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;


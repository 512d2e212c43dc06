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

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('c3d4e5f6a1b2', 'stamp', 'v1:7519d96c19a752236b62da4a79a21bc7dbea64472697feec31c4035d7c5efe99', '$ENV/versions/c3d4e5f6a1b2_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;


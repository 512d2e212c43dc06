BEGIN;

CREATE TABLE retort_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)
);

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

-- Running upgrade  -> a1b2c3d4e5f6

CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL -- who
);

INSERT INTO accounts VALUES (1, 'O''Brien; & Sons');

INSERT INTO retort_version (version_num) VALUES ('a1b2c3d4e5f6');

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('a1b2c3d4e5f6', 'upgrade', 'v2:e617aff199a1299b456cd5d39047f8a0.b43683d8490adad379ff5f7fc701d7a1', '$ENV/versions/a1b2c3d4e5f6_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;

-- Running upgrade a1b2c3d4e5f6 -> b2c3d4e5f6a1

CREATE INDEX ix_accounts_name ON accounts (name);

BEGIN;

UPDATE retort_version SET version_num='b2c3d4e5f6a1' WHERE retort_version.version_num = 'a1b2c3d4e5f6';

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('b2c3d4e5f6a1', 'upgrade', 'v2:f47f35b81f39836385c8258fee4abbfc.dbc022aa068a546ddb1925157dbf7327', '$ENV/versions/b2c3d4e5f6a1_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;

BEGIN;

-- Running upgrade b2c3d4e5f6a1 -> c3d4e5f6a1b2

UPDATE retort_version SET version_num='c3d4e5f6a1b2' WHERE retort_version.version_num = 'b2c3d4e5f6a1';

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('c3d4e5f6a1b2', 'upgrade', 'v2:b64b58799d5a14169f194b09470e87bd.fc573857df4ef9d4637c8662581fef7e', '$ENV/versions/c3d4e5f6a1b2_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;


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

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('a1b2c3d4e5f6', 'upgrade', 'v1:7ed724aac00f797abba0f0efab3c24778ffaa2fdfd1b0b4ecf53442d1c5fc8cb', '$ENV/versions/a1b2c3d4e5f6_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;

-- Running upgrade a1b2c3d4e5f6 -> b2c3d4e5f6a1

CREATE INDEX ix_accounts_name ON accounts (name);

BEGIN;

UPDATE retort_version SET version_num='b2c3d4e5f6a1' WHERE retort_version.version_num = 'a1b2c3d4e5f6';

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('b2c3d4e5f6a1', 'upgrade', 'v1:ab3e1106ef166d1e21e8d9d475a034ba9822f3a8cfce527425703b89c9c8786c', '$ENV/versions/b2c3d4e5f6a1_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;

BEGIN;

-- Running upgrade b2c3d4e5f6a1 -> c3d4e5f6a1b2

UPDATE retort_version SET version_num='c3d4e5f6a1b2' WHERE retort_version.version_num = 'b2c3d4e5f6a1';

INSERT INTO retort_history (revision, direction, checksum, script, applied_at, applied_by, retort_version) VALUES ('c3d4e5f6a1b2', 'upgrade', 'v1:7519d96c19a752236b62da4a79a21bc7dbea64472697feec31c4035d7c5efe99', '$ENV/versions/c3d4e5f6a1b2_rev.sql', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, '0.1.0');

COMMIT;


"""Write a retort project with a linear chain of N revisions, each creating one table: the same
revision ids (r00000, r00001, ...) and the same DDL as /work/shared/anchors/alembic/gen_chain.py
emits through Alembic on PostgreSQL, so both tools migrate identical schemas.

    gen_retort_chain.py ROOT N [--whole-run]

ROOT/retort.toml ([migrations] script_location = "migrations"), ROOT/migrations/versions/*.sql.
"""
import os
import sys

root, n = sys.argv[1], int(sys.argv[2])
whole_run = "--whole-run" in sys.argv[3:]
versions = os.path.join(root, "migrations", "versions")
os.makedirs(versions, exist_ok=True)
with open(os.path.join(root, "retort.toml"), "w") as f:
    f.write('[migrations]\nscript_location = "migrations"\n')
    if whole_run:
        f.write("transaction_per_migration = false\n")
prev = None
for i in range(n):
    rev = f"r{i:05d}"
    with open(os.path.join(versions, f"{rev}_create_t{i:05d}.sql"), "w") as f:
        f.write(
            f"-- retort revision\n-- Revision: {rev}\n-- Down revision: {prev or 'none'}\n"
            f"-- Message: create t{i:05d}\n\n-- +upgrade\n"
            f"CREATE TABLE t{i:05d} (\n    id SERIAL NOT NULL,\n    name VARCHAR(50),\n"
            f"    payload JSON,\n    PRIMARY KEY (id)\n);\n\n-- +downgrade\nDROP TABLE t{i:05d};\n"
        )
    prev = rev

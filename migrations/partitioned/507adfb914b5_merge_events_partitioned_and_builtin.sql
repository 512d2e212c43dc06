-- retort revision
-- Revision: 507adfb914b5
-- Down revision: e2c7b9a4f610, e93712f478ad
-- Message: merge the partitioned events table with the built-in revisions after b5f0c3e8d217
-- Create date: 2026-12-07 21:35:00.000000

-- +upgrade
-- Opt-in, with e2c7b9a4f610 (docs/partitioning.md): both hang off b5f0c3e8d217, and so does the
-- built-in e93712f478ad, so a versions directory holding all three has two heads without this
-- merge. The two branches commute: e2c7b9a4f610 does nothing on SQLite and e93712f478ad does
-- nothing on PostgreSQL, so the merge itself has nothing to run. The next built-in revision
-- comes after e93712f478ad; the partitioned template then needs one more merge like this one.
-- nothing to do

-- +downgrade
-- nothing to do

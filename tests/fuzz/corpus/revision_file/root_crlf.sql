-- retort revision
-- revision: 0a1b2c3d4e5f
-- down revision: none
-- message: crlf

-- +upgrade
SELECT 1;
-- +downgrade
SELECT 2;

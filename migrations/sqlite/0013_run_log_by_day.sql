-- On PostgreSQL the run log is partitioned by day from this version. SQLite's run log is
-- one daemon's and stays one table, pruned row by row; nothing changes here.
SELECT 1;

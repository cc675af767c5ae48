-- Kept in step with migrations/postgres/0004_multi_host.sql, which gives history rows a
-- commit-ordered event position and wakes workers with NOTIFY. SQLite needs neither: its
-- single writer commits rows in id order, so the id is the position, and its workers
-- share one host and poll the file.
SELECT 1;

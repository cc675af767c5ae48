-- Kept in step with migrations/postgres/0016_wake_after_commit.sql, which drops the
-- trigger that notified workers inside the writing transaction. SQLite never had it: its
-- workers are woken after the commit by datagrams (db/src/wake.rs).
SELECT 1;

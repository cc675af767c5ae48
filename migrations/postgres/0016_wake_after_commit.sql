-- Workers are woken after the commit, not inside it. Migration 0004's trigger sent
-- `NOTIFY jobs_due` from the transaction that made a job claimable; a transaction that
-- has notified takes the server's notification lock as it commits and holds it until its
-- log is flushed, so every transaction that enqueued a job (each booking made) committed
-- one after another, one flush each, instead of sharing flushes. The application now
-- notifies from a statement of its own once the commit is done (db/src/wake.rs); a
-- notification-only transaction writes no log to wait for.
DROP TRIGGER jobs_due ON jobs;
DROP FUNCTION jobs_notify_due();

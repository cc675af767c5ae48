-- What many hosts on one database need.

-- Event feed positions. History ids are handed out before commit, so concurrent
-- transactions can commit out of id order, and a reader following ids could pass over a
-- row that commits later. Each row records the transaction that wrote it; readers take
-- only transactions older than every running one (see shared/src/store/events.rs).
ALTER TABLE booking_history ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX booking_history_by_tx ON booking_history (tx_id, id);

-- Wake idle workers when a job becomes claimable (NOTIFY is delivered at commit, and
-- repeats within one transaction are folded into one). Workers still poll, so a lost
-- notification only delays a job by one poll interval.
CREATE FUNCTION jobs_notify_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jobs_due', NEW.queue);
    RETURN NULL;
END;
$$;
CREATE TRIGGER jobs_due AFTER INSERT OR UPDATE OF state, run_at ON jobs
    FOR EACH ROW WHEN (NEW.state IN ('scheduled', 'retrying'))
    EXECUTE FUNCTION jobs_notify_due();

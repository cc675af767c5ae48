-- The event feed in commit order, so that live updates never wait on strangers.
--
-- Until now a history row's feed position was its writing transaction's id, and readers
-- only read transactions older than the oldest one still running anywhere on the server
-- (pg_snapshot_xmin): one forgotten `BEGIN` in any database froze every page's live
-- updates until it ended. Now each history row is queued in `feed_pending` by the
-- transaction that writes it (a trigger, so no writer can forget) and given its position
-- after it commits, by one sequencer at a time (the API's event poller, under an advisory
-- lock): positions are handed out in the order the sequencer finds committed rows, and a
-- sequencer's positions become visible all at once when it commits, so a reader of
-- `position > cursor` never passes over a row that appears later with a smaller one.
-- An open transaction elsewhere holds back only its own rows.

CREATE SEQUENCE feed_position;

CREATE TABLE feed (
    position   BIGINT PRIMARY KEY DEFAULT nextval('feed_position'),
    history_id BIGINT NOT NULL UNIQUE REFERENCES booking_history (id)
);

CREATE TABLE feed_pending (
    history_id BIGINT PRIMARY KEY
);

CREATE FUNCTION feed_pending_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feed_pending (history_id) SELECT id FROM added;
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_history_to_feed AFTER INSERT ON booking_history
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION feed_pending_add();

-- The history so far, in id order. New positions start above every old one (they were
-- transaction ids), so a client resuming with an old Last-Event-ID misses nothing new.
INSERT INTO feed (position, history_id)
SELECT row_number() OVER (ORDER BY id), id FROM booking_history;
SELECT setval('feed_position', GREATEST(
    (SELECT COUNT(*) FROM booking_history),
    (SELECT COALESCE(MAX(tx_id)::text::bigint, 0) FROM booking_history),
    1));

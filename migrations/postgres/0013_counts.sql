-- Bookings by status and service, kept in step with the bookings by triggers, in the same
-- transaction as each change: the overview, the metrics and a list's total read these few
-- rows instead of counting every booking. (Bookings are never deleted: their history,
-- which refuses deletes, holds them.)
--
-- Each change inserts its deltas (+1 for the new status, -1 for the old) rather than
-- updating one row per status: concurrent transactions would otherwise queue on those
-- rows' locks until each commits. Readers sum the rows, and fold them back into one row
-- per key when they have grown (shared/src/booking/counts.rs).
CREATE TABLE booking_counts (
    status TEXT NOT NULL,
    service_type TEXT NOT NULL,
    n BIGINT NOT NULL
);

INSERT INTO booking_counts (status, service_type, n)
SELECT status, service_type, COUNT(*) FROM bookings GROUP BY status, service_type;

CREATE FUNCTION booking_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO booking_counts (status, service_type, n)
        VALUES (OLD.status, OLD.service_type, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO booking_counts (status, service_type, n)
        VALUES (NEW.status, NEW.service_type, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_counts_insert AFTER INSERT ON bookings
FOR EACH ROW EXECUTE FUNCTION booking_counts_track();

CREATE TRIGGER booking_counts_update AFTER UPDATE OF status, service_type ON bookings
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.service_type IS DISTINCT FROM NEW.service_type)
EXECUTE FUNCTION booking_counts_track();

-- The lists' orders under their most common filters: by start (an agenda, a date range)
-- and a service's newest first.
CREATE INDEX bookings_by_start ON bookings (starts_at, id);
CREATE INDEX bookings_by_service ON bookings (service_type, id);

-- A provider's active bookings, newest first (the provider's page).
CREATE INDEX bookings_active_by_provider ON bookings (provider_id, id)
    WHERE status IN ('assigned', 'accepted', 'in_progress');

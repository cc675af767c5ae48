-- Bookings by status and service, kept in step with the bookings by triggers, in the same
-- transaction as each change: the overview, the metrics and a list's total read these few
-- rows instead of counting every booking. (Bookings are never deleted: their history,
-- which refuses deletes, holds them.)
CREATE TABLE booking_counts (
    status TEXT NOT NULL,
    service_type TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (status, service_type)
) WITHOUT ROWID;

INSERT INTO booking_counts (status, service_type, n)
SELECT status, service_type, COUNT(*) FROM bookings GROUP BY status, service_type;

CREATE TRIGGER booking_counts_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO booking_counts (status, service_type, n) VALUES (NEW.status, NEW.service_type, 1)
    ON CONFLICT (status, service_type) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER booking_counts_update AFTER UPDATE OF status, service_type ON bookings
WHEN OLD.status IS NOT NEW.status OR OLD.service_type IS NOT NEW.service_type
BEGIN
    UPDATE booking_counts SET n = n - 1
    WHERE status = OLD.status AND service_type = OLD.service_type;
    INSERT INTO booking_counts (status, service_type, n) VALUES (NEW.status, NEW.service_type, 1)
    ON CONFLICT (status, service_type) DO UPDATE SET n = n + 1;
END;

-- The lists' orders under their most common filters: by start (an agenda, a date range)
-- and a service's newest first.
CREATE INDEX bookings_by_start ON bookings (starts_at, id);
CREATE INDEX bookings_by_service ON bookings (service_type, id);

-- A provider's active bookings, newest first (the provider's page).
CREATE INDEX bookings_active_by_provider ON bookings (provider_id, id)
    WHERE status IN ('assigned', 'accepted', 'in_progress');

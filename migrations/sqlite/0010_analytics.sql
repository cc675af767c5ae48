-- Analytics. Kept in step with migrations/postgres/0010_analytics.sql.
--
-- The dashboard (shared/src/analytics) asks, per day or week of bookings created, how
-- long they waited to be assigned and to be accepted: the first time the booking became
-- assigned, and accepted. Reading them from the history for every booking of 90 days
-- meant two index lookups per booking. The booking keeps them instead, written by the
-- statement every status change runs (shared/src/booking/rows.rs, booking_cas), with the
-- same time as the history row it appends; here they are filled in from the history.

ALTER TABLE bookings ADD COLUMN assigned_at INTEGER;
ALTER TABLE bookings ADD COLUMN accepted_at INTEGER;

UPDATE bookings SET
    assigned_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'assigned'),
    accepted_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'accepted');

-- The bookings created in a range, with everything the dashboard counts, read from the
-- index alone.
CREATE INDEX bookings_by_created ON bookings (created_at, service_type, status,
    assignment_exhausted, provider_id, assigned_at, accepted_at);
-- The offers made in a range, per provider.
CREATE INDEX assignment_attempts_by_created ON assignment_attempts (created_at, provider_id,
    outcome);

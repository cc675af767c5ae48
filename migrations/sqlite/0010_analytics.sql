-- Analytics. Kept in step with migrations/postgres/0010_analytics.sql.
--
-- The dashboard (shared/src/analytics) asks, per day or week of bookings created, how
-- long they waited to be assigned and to be accepted. Both times are the history's (the
-- first row that assigned the booking, the first that accepted it); reading them from
-- the history for every booking of 90 days meant two index lookups per booking. They are
-- kept on the booking instead, written by a trigger on the history in the transaction
-- that appends the row, so no writer can forget them and they never disagree with it.

ALTER TABLE bookings ADD COLUMN assigned_at INTEGER;
ALTER TABLE bookings ADD COLUMN accepted_at INTEGER;

UPDATE bookings SET
    assigned_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'assigned'),
    accepted_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'accepted');

CREATE TRIGGER booking_history_first_times AFTER INSERT ON booking_history
WHEN NEW.new_status IN ('assigned', 'accepted')
BEGIN
    UPDATE bookings SET assigned_at = NEW.timestamp
    WHERE id = NEW.booking_id AND NEW.new_status = 'assigned' AND assigned_at IS NULL;
    UPDATE bookings SET accepted_at = NEW.timestamp
    WHERE id = NEW.booking_id AND NEW.new_status = 'accepted' AND accepted_at IS NULL;
END;

-- The bookings created in a range, with everything the dashboard counts, read from the
-- index alone.
CREATE INDEX bookings_by_created ON bookings (created_at, service_type, status,
    assignment_exhausted, provider_id, assigned_at, accepted_at);
-- The offers made in a range, per provider.
CREATE INDEX assignment_attempts_by_created ON assignment_attempts (created_at, provider_id,
    outcome);

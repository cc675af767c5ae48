-- Analytics. Kept in step with migrations/sqlite/0010_analytics.sql, which says what each
-- part is for.

ALTER TABLE bookings ADD COLUMN assigned_at TIMESTAMPTZ;
ALTER TABLE bookings ADD COLUMN accepted_at TIMESTAMPTZ;

UPDATE bookings SET
    assigned_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'assigned'),
    accepted_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'accepted');

CREATE INDEX bookings_by_created ON bookings (created_at, service_type, status,
    assignment_exhausted, provider_id, assigned_at, accepted_at);
CREATE INDEX assignment_attempts_by_created ON assignment_attempts (created_at, provider_id,
    outcome);

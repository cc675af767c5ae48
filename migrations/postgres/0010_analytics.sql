-- Analytics. Kept in step with migrations/sqlite/0010_analytics.sql, which says what each
-- part is for.

ALTER TABLE bookings ADD COLUMN assigned_at TIMESTAMPTZ;
ALTER TABLE bookings ADD COLUMN accepted_at TIMESTAMPTZ;

UPDATE bookings SET
    assigned_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'assigned'),
    accepted_at = (SELECT MIN(h.timestamp) FROM booking_history h
                   WHERE h.booking_id = bookings.id AND h.new_status = 'accepted');

CREATE FUNCTION booking_first_times() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.new_status = 'assigned' THEN
        UPDATE bookings SET assigned_at = NEW.timestamp
        WHERE id = NEW.booking_id AND assigned_at IS NULL;
    ELSE
        UPDATE bookings SET accepted_at = NEW.timestamp
        WHERE id = NEW.booking_id AND accepted_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_history_first_times AFTER INSERT ON booking_history
    FOR EACH ROW WHEN (NEW.new_status IN ('assigned', 'accepted'))
    EXECUTE FUNCTION booking_first_times();

CREATE INDEX bookings_by_created ON bookings (created_at, service_type, status,
    assignment_exhausted, provider_id, assigned_at, accepted_at);
CREATE INDEX assignment_attempts_by_created ON assignment_attempts (created_at, provider_id,
    outcome);

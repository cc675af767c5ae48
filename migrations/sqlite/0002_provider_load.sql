-- A provider's load (bookings assigned, accepted or in progress) kept as a counter, so
-- that matching orders providers without counting their bookings: counting made every
-- assignment O(bookings of the busiest provider), and a drain quadratic in the backlog.
-- Triggers keep it exact whatever path writes the booking (worker, API, override).

ALTER TABLE providers ADD COLUMN active_bookings INTEGER NOT NULL DEFAULT 0 CHECK (active_bookings >= 0);

UPDATE providers SET active_bookings = (
    SELECT COUNT(*) FROM bookings b
    WHERE b.provider_id = providers.id AND b.status IN ('assigned', 'accepted', 'in_progress')
);

CREATE TRIGGER bookings_load_insert AFTER INSERT ON bookings
WHEN NEW.provider_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted', 'in_progress')
BEGIN
    UPDATE providers SET active_bookings = active_bookings + 1 WHERE id = NEW.provider_id;
END;

CREATE TRIGGER bookings_load_leave AFTER UPDATE OF status, provider_id ON bookings
WHEN OLD.provider_id IS NOT NULL AND OLD.status IN ('assigned', 'accepted', 'in_progress')
BEGIN
    UPDATE providers SET active_bookings = active_bookings - 1 WHERE id = OLD.provider_id;
END;

CREATE TRIGGER bookings_load_enter AFTER UPDATE OF status, provider_id ON bookings
WHEN NEW.provider_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted', 'in_progress')
BEGIN
    UPDATE providers SET active_bookings = active_bookings + 1 WHERE id = NEW.provider_id;
END;

-- Matching: available providers of a service, least loaded first.
CREATE INDEX providers_by_load ON providers (available, active_bookings, rating DESC, id);

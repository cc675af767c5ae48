-- A provider's load (bookings assigned, accepted or in progress) kept as a counter by a
-- trigger, as on SQLite (see migrations/sqlite/0002_provider_load.sql for why).

ALTER TABLE providers ADD COLUMN active_bookings BIGINT NOT NULL DEFAULT 0 CHECK (active_bookings >= 0);

UPDATE providers SET active_bookings = (
    SELECT COUNT(*) FROM bookings b
    WHERE b.provider_id = providers.id AND b.status IN ('assigned', 'accepted', 'in_progress')
);

CREATE FUNCTION bookings_track_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.provider_id IS NOT NULL
       AND OLD.status IN ('assigned', 'accepted', 'in_progress') THEN
        UPDATE providers SET active_bookings = active_bookings - 1 WHERE id = OLD.provider_id;
    END IF;
    IF NEW.provider_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted', 'in_progress') THEN
        UPDATE providers SET active_bookings = active_bookings + 1 WHERE id = NEW.provider_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER bookings_load AFTER INSERT OR UPDATE OF status, provider_id ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_track_load();

-- Matching: available providers of a service, least loaded first.
CREATE INDEX providers_by_load ON providers (available, active_bookings, rating DESC, id);

-- Time-aware dispatch. Kept in step with migrations/sqlite/0006_time.sql, which says
-- what each column is for.
CREATE EXTENSION IF NOT EXISTS btree_gist;

ALTER TABLE service_types ADD COLUMN duration_minutes INTEGER NOT NULL DEFAULT 120
    CHECK (duration_minutes BETWEEN 15 AND 1440);
UPDATE service_types SET duration_minutes = 180 WHERE name IN ('cleaning', 'hvac', 'gardening');

ALTER TABLE bookings RENAME COLUMN scheduled_date TO starts_at;
ALTER TABLE bookings
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC',
    ADD COLUMN absent TEXT CHECK (absent IN ('customer', 'provider')),
    ADD COLUMN overlap_override BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE bookings b SET ends_at = b.starts_at + make_interval(mins => s.duration_minutes)
FROM service_types s WHERE s.name = b.service_type;
ALTER TABLE bookings ALTER COLUMN ends_at SET NOT NULL;
-- No window is longer than a day (a service lasts at most 1440 minutes).
ALTER TABLE bookings ADD CONSTRAINT bookings_window
    CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '1 day');

UPDATE bookings SET overlap_override = TRUE
WHERE status IN ('assigned', 'accepted', 'in_progress') AND provider_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM bookings o WHERE o.provider_id = bookings.provider_id
      AND o.status IN ('assigned', 'accepted', 'in_progress') AND o.id < bookings.id
      AND o.starts_at < bookings.ends_at AND o.ends_at > bookings.starts_at);
INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, changed_by_name,
    changed_by_role, reason, is_override, provider_id, customer_id, timestamp)
SELECT id, status, status, NULL, 'migration', 'system',
    'kept overlapping another booking of its provider, made before double booking was refused',
    FALSE, provider_id, customer_id, now()
FROM bookings WHERE overlap_override ORDER BY id;

-- No double booking: an active booking may not overlap another active booking of its
-- provider, unless an admin allowed it with a reason.
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking
    EXCLUDE USING gist (provider_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status IN ('assigned', 'accepted', 'in_progress') AND NOT overlap_override);

CREATE INDEX bookings_active_window ON bookings (provider_id, starts_at, ends_at)
    WHERE status IN ('assigned', 'accepted', 'in_progress');

ALTER TABLE providers
    ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC',
    ADD COLUMN calendar TEXT;

ALTER TABLE assignment_attempts DROP CONSTRAINT assignment_attempts_outcome_check;
ALTER TABLE assignment_attempts ADD CONSTRAINT assignment_attempts_outcome_check
    CHECK (outcome IN ('assigned', 'no_provider', 'rejected', 'no_show', 'expired', 'error', 'manual'));
ALTER TABLE assignment_attempts
    ADD COLUMN candidates TEXT,
    ADD COLUMN others_not_listed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX assignment_attempts_of_provider ON assignment_attempts (provider_id, booking_id);

-- Time-aware dispatch. Kept in step with migrations/postgres/0006_time.sql.
--
-- Service types get a duration; a booking gets a window [starts_at, ends_at) (the old
-- scheduled_date is its start), the time zone of its address, who was absent when it
-- closed as a no-show, and whether an admin allowed it to overlap another of its
-- provider's bookings. Providers get a time zone and a calendar (JSON, NULL for none:
-- working every day, all day). Attempts may expire and record the candidates they
-- considered.

ALTER TABLE service_types ADD COLUMN duration_minutes INTEGER NOT NULL DEFAULT 120
    CHECK (duration_minutes BETWEEN 15 AND 1440);
UPDATE service_types SET duration_minutes = 180 WHERE name IN ('cleaning', 'hvac', 'gardening');

ALTER TABLE bookings RENAME COLUMN scheduled_date TO starts_at;
ALTER TABLE bookings ADD COLUMN ends_at INTEGER NOT NULL DEFAULT 0;
UPDATE bookings SET ends_at = starts_at + 60000 * (
    SELECT duration_minutes FROM service_types s WHERE s.name = bookings.service_type);
-- IANA name, e.g. Europe/Berlin: where the address is, for every wall-clock time shown.
ALTER TABLE bookings ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE bookings ADD COLUMN absent TEXT CHECK (absent IN ('customer', 'provider'));
ALTER TABLE bookings ADD COLUMN overlap_override INTEGER NOT NULL DEFAULT 0
    CHECK (overlap_override IN (0, 1));

-- Windows that already overlap (the dispatcher did not look at time before) are kept as
-- they are, marked as allowed overlaps, each with a history row saying so.
UPDATE bookings SET overlap_override = 1
WHERE status IN ('assigned', 'accepted', 'in_progress') AND provider_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM bookings o WHERE o.provider_id = bookings.provider_id
      AND o.status IN ('assigned', 'accepted', 'in_progress') AND o.id < bookings.id
      AND o.starts_at < bookings.ends_at AND o.ends_at > bookings.starts_at);
INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, changed_by_name,
    changed_by_role, reason, is_override, provider_id, customer_id, timestamp)
SELECT id, status, status, NULL, 'migration', 'system',
    'kept overlapping another booking of its provider, made before double booking was refused',
    0, provider_id, customer_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM bookings WHERE overlap_override = 1 ORDER BY id;

-- A provider's active windows by start: the overlap rule, matching and availability.
CREATE INDEX bookings_active_window ON bookings (provider_id, starts_at, ends_at)
    WHERE status IN ('assigned', 'accepted', 'in_progress');

-- No double booking. An active booking (assigned, accepted, in progress) may not
-- overlap another active booking of its provider, unless an admin allowed it with a
-- reason (overlap_override). Checked inside the writing transaction, which on SQLite
-- holds the only write lock (BEGIN IMMEDIATE), so two writers cannot both pass it. No
-- window is longer than a day (a service lasts at most 1440 minutes), which bounds the
-- search. PostgreSQL enforces the same with an exclusion constraint.
CREATE TRIGGER bookings_window_insert BEFORE INSERT ON bookings
BEGIN
    SELECT RAISE(ABORT, 'invalid booking window')
    WHERE NEW.ends_at <= NEW.starts_at OR NEW.ends_at - NEW.starts_at > 86400000;
    SELECT RAISE(ABORT, 'provider_busy')
    WHERE NEW.provider_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted', 'in_progress')
      AND NOT NEW.overlap_override
      AND EXISTS (SELECT 1 FROM bookings o WHERE o.provider_id = NEW.provider_id
          AND o.status IN ('assigned', 'accepted', 'in_progress') AND NOT o.overlap_override
          AND o.starts_at > NEW.starts_at - 86400000 AND o.starts_at < NEW.ends_at
          AND o.ends_at > NEW.starts_at);
END;
CREATE TRIGGER bookings_window_update BEFORE UPDATE OF status, provider_id, starts_at, ends_at,
    overlap_override ON bookings
BEGIN
    SELECT RAISE(ABORT, 'invalid booking window')
    WHERE NEW.ends_at <= NEW.starts_at OR NEW.ends_at - NEW.starts_at > 86400000;
    SELECT RAISE(ABORT, 'provider_busy')
    WHERE NEW.provider_id IS NOT NULL AND NEW.status IN ('assigned', 'accepted', 'in_progress')
      AND NOT NEW.overlap_override
      AND EXISTS (SELECT 1 FROM bookings o WHERE o.provider_id = NEW.provider_id
          AND o.id <> NEW.id
          AND o.status IN ('assigned', 'accepted', 'in_progress') AND NOT o.overlap_override
          AND o.starts_at > NEW.starts_at - 86400000 AND o.starts_at < NEW.ends_at
          AND o.ends_at > NEW.starts_at);
END;

-- The provider's own time zone (IANA) and weekly hours with dated exceptions, as JSON:
-- {"weekly": [{"weekday": "mon", "start": "09:00", "end": "17:00"}, ...],
--  "exceptions": [{"date": "2026-12-24", "ranges": []}, ...]}
ALTER TABLE providers ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE providers ADD COLUMN calendar TEXT;

-- Attempts: an offer may expire, and each attempt keeps the candidates it considered
-- (JSON array of {"provider_id", "chosen", "reason"}, at most 20) and how many more there
-- were. SQLite cannot change a CHECK in place, so the table is rebuilt.
CREATE TABLE assignment_attempts_next (
    id                INTEGER PRIMARY KEY,
    booking_id        INTEGER NOT NULL REFERENCES bookings (id),
    cycle             INTEGER NOT NULL,
    attempt           INTEGER NOT NULL,
    provider_id       INTEGER REFERENCES providers (id),
    outcome           TEXT    NOT NULL CHECK (outcome IN ('assigned', 'no_provider', 'rejected',
                          'no_show', 'expired', 'error', 'manual')),
    reason            TEXT,
    candidates        TEXT,
    others_not_listed INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (booking_id, cycle, attempt)
);
INSERT INTO assignment_attempts_next (id, booking_id, cycle, attempt, provider_id, outcome,
    reason, created_at, updated_at)
SELECT id, booking_id, cycle, attempt, provider_id, outcome, reason, created_at, updated_at
FROM assignment_attempts;
DROP TABLE assignment_attempts;
ALTER TABLE assignment_attempts_next RENAME TO assignment_attempts;
-- Matching excludes providers who declined this booking or let its offer expire.
CREATE INDEX assignment_attempts_by_provider ON assignment_attempts (booking_id, provider_id);
-- A provider's own record of jobs handled.
CREATE INDEX assignment_attempts_of_provider ON assignment_attempts (provider_id, booking_id);

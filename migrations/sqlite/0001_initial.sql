-- The booking service's schema on SQLite.
-- Timestamps are INTEGER milliseconds since the Unix epoch (UTC): they sort and compare
-- exactly, which the queue's millisecond run_at needs; text timestamps of varying
-- precision do not sort correctly.

CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- Stored lower-cased; the UNIQUE constraint is what makes sign-up race-free.
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('customer', 'provider', 'admin')),
    created_at    INTEGER NOT NULL
);

CREATE TABLE service_types (
    name  TEXT PRIMARY KEY,
    label TEXT NOT NULL
);

INSERT INTO service_types (name, label) VALUES
    ('plumbing', 'Plumbing'),
    ('cleaning', 'Cleaning'),
    ('electrical', 'Electrical'),
    ('hvac', 'Heating and air conditioning'),
    ('handyman', 'Handyman'),
    ('gardening', 'Gardening');

CREATE TABLE providers (
    id         INTEGER PRIMARY KEY,
    -- The provider's login, when it has one.
    user_id    INTEGER UNIQUE REFERENCES users (id),
    name       TEXT    NOT NULL,
    email      TEXT    NOT NULL UNIQUE,
    phone      TEXT,
    available  INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
    rating     REAL    NOT NULL DEFAULT 0 CHECK (rating >= 0 AND rating <= 5),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE provider_services (
    provider_id  INTEGER NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    service_type TEXT    NOT NULL REFERENCES service_types (name),
    PRIMARY KEY (provider_id, service_type)
);
-- Matching looks providers up by the service they offer.
CREATE INDEX provider_services_by_type ON provider_services (service_type, provider_id);

CREATE TABLE bookings (
    id                   INTEGER PRIMARY KEY,
    customer_id          INTEGER NOT NULL REFERENCES users (id),
    customer_name        TEXT    NOT NULL,
    customer_phone       TEXT    NOT NULL,
    customer_email       TEXT    NOT NULL,
    service_type         TEXT    NOT NULL REFERENCES service_types (name),
    address              TEXT    NOT NULL,
    scheduled_date       INTEGER NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'assigned', 'accepted',
                             'in_progress', 'completed', 'cancelled', 'rejected', 'no_show')),
    provider_id          INTEGER REFERENCES providers (id),
    notes                TEXT,
    -- Compare-and-set token: every status write is `WHERE id = ? AND version = ?`.
    version              INTEGER NOT NULL DEFAULT 1,
    assignment_cycle     INTEGER NOT NULL DEFAULT 1,
    assignment_exhausted INTEGER NOT NULL DEFAULT 0 CHECK (assignment_exhausted IN (0, 1)),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    -- A booking a provider holds has that provider.
    CHECK (status NOT IN ('assigned', 'accepted', 'in_progress') OR provider_id IS NOT NULL)
);
-- List filters: a customer's bookings, a provider's, by status; all newest first by id.
CREATE INDEX bookings_by_customer ON bookings (customer_id, id);
CREATE INDEX bookings_by_provider ON bookings (provider_id, id);
CREATE INDEX bookings_by_status ON bookings (status, id);

CREATE TABLE booking_history (
    id              INTEGER PRIMARY KEY,
    booking_id      INTEGER NOT NULL REFERENCES bookings (id),
    old_status      TEXT CHECK (old_status IN ('pending', 'assigned', 'accepted',
                        'in_progress', 'completed', 'cancelled', 'rejected', 'no_show')),
    new_status      TEXT    NOT NULL CHECK (new_status IN ('pending', 'assigned', 'accepted',
                        'in_progress', 'completed', 'cancelled', 'rejected', 'no_show')),
    changed_by      INTEGER REFERENCES users (id),
    changed_by_name TEXT    NOT NULL,
    changed_by_role TEXT    NOT NULL CHECK (changed_by_role IN ('customer', 'provider', 'admin', 'system')),
    reason          TEXT,
    is_override     INTEGER NOT NULL DEFAULT 0 CHECK (is_override IN (0, 1)),
    provider_id     INTEGER REFERENCES providers (id),
    -- Who may see the row on the event stream, fixed when it is written.
    customer_id     INTEGER NOT NULL REFERENCES users (id),
    timestamp       INTEGER NOT NULL
);
CREATE INDEX booking_history_by_booking ON booking_history (booking_id, id);

-- The audit trail is append-only.
CREATE TRIGGER booking_history_no_update BEFORE UPDATE ON booking_history
BEGIN
    SELECT RAISE(ABORT, 'booking_history is append-only');
END;
CREATE TRIGGER booking_history_no_delete BEFORE DELETE ON booking_history
BEGIN
    SELECT RAISE(ABORT, 'booking_history is append-only');
END;

CREATE TABLE assignment_attempts (
    id          INTEGER PRIMARY KEY,
    booking_id  INTEGER NOT NULL REFERENCES bookings (id),
    cycle       INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    provider_id INTEGER REFERENCES providers (id),
    outcome     TEXT    NOT NULL CHECK (outcome IN ('assigned', 'no_provider', 'rejected',
                    'no_show', 'error', 'manual')),
    reason      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (booking_id, cycle, attempt)
);
-- Matching excludes providers who rejected or no-showed this booking.
CREATE INDEX assignment_attempts_by_provider ON assignment_attempts (booking_id, provider_id);

-- The queue. One row per assignment cycle of a booking: a failed attempt moves the row to
-- 'retrying' with attempt + 1 and a future run_at, in the transaction that records the
-- failure, so a retry survives any restart.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    queue            TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    booking_id       INTEGER REFERENCES bookings (id),
    state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'running', 'done',
                         'retrying', 'dead', 'cancelled')),
    attempt          INTEGER NOT NULL DEFAULT 1,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    -- JSON array of {"cycle", "attempt", "error", "at"}: every failed attempt's error.
    errors           TEXT    NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- Claim: the next due job of a queue, in run_at order. Partial, so done and dead rows
-- never slow it down however many there are.
CREATE INDEX jobs_claimable ON jobs (queue, run_at, id) WHERE state IN ('scheduled', 'retrying');
-- Reclaim: running jobs whose lease has expired.
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_by_booking ON jobs (booking_id, id);
-- Retention: done rows by completion time.
CREATE INDEX jobs_done ON jobs (finished_at) WHERE state = 'done';

CREATE TABLE workers (
    name              TEXT PRIMARY KEY,
    hostname          TEXT    NOT NULL,
    pid               INTEGER NOT NULL,
    concurrency       INTEGER NOT NULL,
    started_at        INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL,
    stopped_at        INTEGER
);

CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    key          TEXT    NOT NULL,
    -- SHA-256 of the canonical request body: the same key with another body is refused.
    request_hash TEXT    NOT NULL,
    booking_id   INTEGER NOT NULL REFERENCES bookings (id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

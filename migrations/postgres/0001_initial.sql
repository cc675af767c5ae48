-- The booking service's schema on PostgreSQL: the same tables, constraints and indexes
-- as migrations/sqlite/0001_initial.sql, in PostgreSQL's types (timestamptz, boolean,
-- jsonb, identity columns).

CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lower-cased; the UNIQUE constraint is what makes sign-up race-free.
    email         TEXT        NOT NULL UNIQUE,
    name          TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('customer', 'provider', 'admin')),
    created_at    TIMESTAMPTZ NOT NULL
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
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The provider's login, when it has one.
    user_id    BIGINT UNIQUE REFERENCES users (id),
    name       TEXT             NOT NULL,
    email      TEXT             NOT NULL UNIQUE,
    phone      TEXT,
    available  BOOLEAN          NOT NULL DEFAULT TRUE,
    rating     DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (rating >= 0 AND rating <= 5),
    created_at TIMESTAMPTZ      NOT NULL,
    updated_at TIMESTAMPTZ      NOT NULL
);

CREATE TABLE provider_services (
    provider_id  BIGINT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    service_type TEXT   NOT NULL REFERENCES service_types (name),
    PRIMARY KEY (provider_id, service_type)
);
-- Matching looks providers up by the service they offer.
CREATE INDEX provider_services_by_type ON provider_services (service_type, provider_id);

CREATE TABLE bookings (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id          BIGINT      NOT NULL REFERENCES users (id),
    customer_name        TEXT        NOT NULL,
    customer_phone       TEXT        NOT NULL,
    customer_email       TEXT        NOT NULL,
    service_type         TEXT        NOT NULL REFERENCES service_types (name),
    address              TEXT        NOT NULL,
    scheduled_date       TIMESTAMPTZ NOT NULL,
    status               TEXT        NOT NULL CHECK (status IN ('pending', 'assigned', 'accepted',
                             'in_progress', 'completed', 'cancelled', 'rejected', 'no_show')),
    provider_id          BIGINT REFERENCES providers (id),
    notes                TEXT,
    -- Compare-and-set token: every status write is `WHERE id = $1 AND version = $2`.
    version              BIGINT      NOT NULL DEFAULT 1,
    assignment_cycle     BIGINT      NOT NULL DEFAULT 1,
    assignment_exhausted BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    -- A booking a provider holds has that provider.
    CHECK (status NOT IN ('assigned', 'accepted', 'in_progress') OR provider_id IS NOT NULL)
);
-- List filters: a customer's bookings, a provider's, by status; all newest first by id.
CREATE INDEX bookings_by_customer ON bookings (customer_id, id);
CREATE INDEX bookings_by_provider ON bookings (provider_id, id);
CREATE INDEX bookings_by_status ON bookings (status, id);

CREATE TABLE booking_history (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id      BIGINT      NOT NULL REFERENCES bookings (id),
    old_status      TEXT CHECK (old_status IN ('pending', 'assigned', 'accepted',
                        'in_progress', 'completed', 'cancelled', 'rejected', 'no_show')),
    new_status      TEXT        NOT NULL CHECK (new_status IN ('pending', 'assigned', 'accepted',
                        'in_progress', 'completed', 'cancelled', 'rejected', 'no_show')),
    changed_by      BIGINT REFERENCES users (id),
    changed_by_name TEXT        NOT NULL,
    changed_by_role TEXT        NOT NULL CHECK (changed_by_role IN ('customer', 'provider', 'admin', 'system')),
    reason          TEXT,
    is_override     BOOLEAN     NOT NULL DEFAULT FALSE,
    provider_id     BIGINT REFERENCES providers (id),
    -- Who may see the row on the event stream, fixed when it is written.
    customer_id     BIGINT      NOT NULL REFERENCES users (id),
    timestamp       TIMESTAMPTZ NOT NULL
);
CREATE INDEX booking_history_by_booking ON booking_history (booking_id, id);

-- The audit trail is append-only.
CREATE FUNCTION booking_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'booking_history is append-only';
END;
$$;
CREATE TRIGGER booking_history_no_update BEFORE UPDATE OR DELETE ON booking_history
    FOR EACH ROW EXECUTE FUNCTION booking_history_append_only();

CREATE TABLE assignment_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id  BIGINT      NOT NULL REFERENCES bookings (id),
    cycle       BIGINT      NOT NULL,
    attempt     BIGINT      NOT NULL,
    provider_id BIGINT REFERENCES providers (id),
    outcome     TEXT        NOT NULL CHECK (outcome IN ('assigned', 'no_provider', 'rejected',
                    'no_show', 'error', 'manual')),
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (booking_id, cycle, attempt)
);
-- Matching excludes providers who rejected or no-showed this booking.
CREATE INDEX assignment_attempts_by_provider ON assignment_attempts (booking_id, provider_id);

-- The queue. One row per assignment cycle of a booking (see the SQLite migration).
CREATE TABLE jobs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue            TEXT        NOT NULL,
    kind             TEXT        NOT NULL,
    payload          JSONB       NOT NULL,
    booking_id       BIGINT REFERENCES bookings (id),
    state            TEXT        NOT NULL CHECK (state IN ('scheduled', 'running', 'done',
                         'retrying', 'dead', 'cancelled')),
    attempt          BIGINT      NOT NULL DEFAULT 1,
    max_attempts     BIGINT      NOT NULL,
    run_at           TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error       TEXT,
    -- Array of {"cycle", "attempt", "error", "at"}: every failed attempt's error.
    errors           JSONB       NOT NULL DEFAULT '[]',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- Claim: the next due job of a queue, in run_at order, done and dead rows never in the way.
CREATE INDEX jobs_claimable ON jobs (queue, run_at, id) WHERE state IN ('scheduled', 'retrying');
-- Reclaim: running jobs whose lease has expired.
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_by_booking ON jobs (booking_id, id);
-- Retention: done rows by completion time.
CREATE INDEX jobs_done ON jobs (finished_at) WHERE state = 'done';

CREATE TABLE workers (
    name              TEXT PRIMARY KEY,
    hostname          TEXT        NOT NULL,
    pid               BIGINT      NOT NULL,
    concurrency       BIGINT      NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    last_heartbeat_at TIMESTAMPTZ NOT NULL,
    stopped_at        TIMESTAMPTZ
);

CREATE TABLE idempotency_keys (
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    key          TEXT        NOT NULL,
    -- SHA-256 of the canonical request body: the same key with another body is refused.
    request_hash TEXT        NOT NULL,
    booking_id   BIGINT      NOT NULL REFERENCES bookings (id),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

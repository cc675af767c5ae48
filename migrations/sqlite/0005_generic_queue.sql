-- The queue becomes its own crate (queue/), which knows nothing of bookings. Kept in step
-- with migrations/postgres/0005_generic_queue.sql.
--
-- jobs.booking_id becomes subject_id: the id of what a job is about, as its kind defines
-- it (a booking, for assignment jobs), without a foreign key. SQLite cannot drop a
-- foreign key in place, so the table is rebuilt. New columns:
--   round           1 when enqueued, +1 each time a dead job is retried (attempts start
--                   again at 1 in each round);
--   backoff_base_ms the retry policy travels with the job: attempt k >= 2 waits
--                   base * 2^(k-2) after attempt k-1 failed, whichever process records
--                   the failure;
--   lost_lease_of   set when a running job's lease expired (its worker died or lost the
--                   database): the next claimer records that as a failed attempt instead
--                   of running it again at once.
CREATE TABLE jobs_next (
    id               INTEGER PRIMARY KEY,
    queue            TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    subject_id       INTEGER,
    state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'running', 'done',
                         'retrying', 'dead', 'cancelled')),
    attempt          INTEGER NOT NULL DEFAULT 1,
    max_attempts     INTEGER NOT NULL,
    backoff_base_ms  INTEGER NOT NULL DEFAULT 2000,
    round            INTEGER NOT NULL DEFAULT 1,
    run_at           INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    lost_lease_of    TEXT,
    last_error       TEXT,
    -- JSON array of {"round", "attempt", "error", "at"}: every failed attempt's error.
    errors           TEXT    NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
INSERT INTO jobs_next (id, queue, kind, payload, subject_id, state, attempt, max_attempts,
    round, run_at, lease_owner, lease_token, lease_expires_at, last_error, errors,
    created_at, updated_at, finished_at)
SELECT id, queue, kind, payload, booking_id, state, attempt, max_attempts,
    COALESCE(json_extract(payload, '$.cycle'), 1), run_at, lease_owner, lease_token,
    lease_expires_at, last_error,
    (SELECT COALESCE(json_group_array(json_object('round', json_extract(e.value, '$.cycle'),
        'attempt', json_extract(e.value, '$.attempt'), 'error', json_extract(e.value, '$.error'),
        'at', json_extract(e.value, '$.at'))), '[]') FROM json_each(jobs.errors) e),
    created_at, updated_at, finished_at
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_next RENAME TO jobs;

-- Claim: the next due job of a queue, in run_at order. Partial, so done and dead rows
-- never slow it down however many there are.
CREATE INDEX jobs_claimable ON jobs (queue, run_at, id) WHERE state IN ('scheduled', 'retrying');
-- Reclaim: running jobs whose lease has expired.
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_by_state ON jobs (state, id);
-- An application's jobs about one thing (a booking's assignment jobs), newest first.
CREATE INDEX jobs_by_subject ON jobs (kind, subject_id, id);
-- Retention: finished rows (done, cancelled) by completion time. Dead rows are kept
-- until someone retries them: they are what an operator has to look at.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'cancelled');

-- A worker's heartbeat interval, so that "live" means "beat within three of its own
-- intervals" wherever it is asked (queue/src/workers.rs).
ALTER TABLE workers ADD COLUMN heartbeat_ms INTEGER NOT NULL DEFAULT 5000;

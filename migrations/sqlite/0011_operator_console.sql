-- The operator console. Kept in step with migrations/postgres/0011_operator_console.sql.

-- 1. Every run of a job: who ran which attempt, from when to when, and how it ended.
-- A claim stamps the job with the time it was taken; when the job leaves `running`, a
-- trigger writes the run from the row as it was. Written by the database rather than by
-- each statement that ends an attempt (the queue's own, and the assignment's chains that
-- end the job in the same round trip as the booking's writes), so that no path misses it.
ALTER TABLE jobs ADD COLUMN claimed_at INTEGER;

CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    worker      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    -- done: the run finished its work; failed: it ended in an error (or what it did came
    -- undone later: an offer rejected or expired); lost: its lease expired first.
    outcome     TEXT    NOT NULL CHECK (outcome IN ('done', 'failed', 'lost')),
    error       TEXT
);
CREATE INDEX job_runs_by_job ON job_runs (job_id, id);
-- The queue's throughput and failures over the last hour.
CREATE INDEX job_runs_by_finished ON job_runs (finished_at);

-- A run ends: done, failed (the attempt moved on, or the job died), or lost (reclaimed
-- after its lease expired). A job given back unstarted (a worker shutting down) did not
-- run; a run that only records the loss of an earlier one adds nothing.
CREATE TRIGGER jobs_run_ended AFTER UPDATE OF state ON jobs
WHEN OLD.state = 'running' AND NEW.state <> 'running' AND OLD.lost_lease_of IS NULL
    AND (NEW.state IN ('done', 'dead') OR NEW.attempt <> OLD.attempt OR NEW.lost_lease_of IS NOT NULL)
BEGIN
    INSERT INTO job_runs (job_id, round, attempt, worker, started_at, finished_at, outcome, error)
    VALUES (NEW.id, OLD.round, OLD.attempt, COALESCE(OLD.lease_owner, '?'),
            COALESCE(OLD.claimed_at, NEW.updated_at), NEW.updated_at,
            CASE WHEN NEW.state = 'done' THEN 'done'
                 WHEN NEW.lost_lease_of IS NOT NULL THEN 'lost' ELSE 'failed' END,
            CASE WHEN NEW.state = 'done' THEN NULL ELSE NEW.last_error END);
END;

-- A done job reopened because what its attempt did came undone (the provider rejected
-- the offer): that attempt's run failed after all.
CREATE TRIGGER jobs_run_undone AFTER UPDATE OF state ON jobs
WHEN OLD.state = 'done' AND NEW.state IN ('retrying', 'dead')
BEGIN
    UPDATE job_runs SET outcome = 'failed', error = NEW.last_error
    WHERE id = (SELECT MAX(id) FROM job_runs WHERE job_id = NEW.id AND round = NEW.round
                AND attempt = CASE WHEN NEW.state = 'dead' THEN NEW.attempt ELSE NEW.attempt - 1 END);
END;

-- 2. Paused queues: a row here and no worker claims from the queue. `paused_by` says
-- who in words (the queue knows no users; the audit log has the account).
CREATE TABLE queue_pauses (
    queue     TEXT    PRIMARY KEY,
    paused_at INTEGER NOT NULL,
    paused_by TEXT    NOT NULL
);

-- 3. What operators did: append-only, like the booking history.
CREATE TABLE operator_actions (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER NOT NULL REFERENCES users (id),
    actor_role TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    -- What it was done to, in words ("job 12", "jobs matching state=dead", "booking 57").
    subject    TEXT    NOT NULL,
    -- How many things it changed.
    count      INTEGER NOT NULL,
    -- The reason, the skipped count, the filter: whatever the action says of itself.
    detail     TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX operator_actions_by_actor ON operator_actions (actor_id, id);
CREATE INDEX operator_actions_by_action ON operator_actions (action, id);
CREATE INDEX operator_actions_by_time ON operator_actions (at, id);
CREATE TRIGGER operator_actions_no_update BEFORE UPDATE ON operator_actions
BEGIN
    SELECT RAISE(ABORT, 'operator_actions is append-only');
END;
CREATE TRIGGER operator_actions_no_delete BEFORE DELETE ON operator_actions
BEGIN
    SELECT RAISE(ABORT, 'operator_actions is append-only');
END;

-- The job list's filters: by queue, and by creation time.
CREATE INDEX jobs_by_queue ON jobs (queue, state, id);
CREATE INDEX jobs_by_created ON jobs (created_at, id);

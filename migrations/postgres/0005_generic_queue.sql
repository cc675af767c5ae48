-- The queue becomes its own crate (queue/), which knows nothing of bookings. Kept in step
-- with migrations/sqlite/0005_generic_queue.sql, which says what each column is for.
ALTER TABLE jobs DROP CONSTRAINT jobs_booking_id_fkey;
ALTER TABLE jobs RENAME COLUMN booking_id TO subject_id;
ALTER TABLE jobs
    ADD COLUMN backoff_base_ms BIGINT NOT NULL DEFAULT 2000,
    ADD COLUMN round BIGINT NOT NULL DEFAULT 1,
    ADD COLUMN lost_lease_of TEXT;
UPDATE jobs SET round = COALESCE((payload ->> 'cycle')::bigint, 1),
    errors = (SELECT COALESCE(jsonb_agg(jsonb_build_object('round', e -> 'cycle',
        'attempt', e -> 'attempt', 'error', e -> 'error', 'at', e -> 'at')), '[]'::jsonb)
        FROM jsonb_array_elements(errors) e);

DROP INDEX jobs_by_booking;
CREATE INDEX jobs_by_subject ON jobs (kind, subject_id, id);
DROP INDEX jobs_done;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'cancelled');

ALTER TABLE workers ADD COLUMN heartbeat_ms BIGINT NOT NULL DEFAULT 5000;

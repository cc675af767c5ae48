-- Idempotency keys are deleted with done jobs once past the retention period; this
-- index keeps that delete from scanning the table.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

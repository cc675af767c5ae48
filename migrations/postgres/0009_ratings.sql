-- Ratings and reviews. Kept in step with migrations/sqlite/0009_ratings.sql, which says
-- what each part is for.

CREATE TABLE ratings (
    booking_id    BIGINT PRIMARY KEY REFERENCES bookings (id),
    provider_id   BIGINT      NOT NULL REFERENCES providers (id),
    customer_id   BIGINT      NOT NULL REFERENCES users (id),
    stars         BIGINT      NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment       TEXT,
    hidden_at     TIMESTAMPTZ,
    hidden_by     BIGINT REFERENCES users (id),
    hidden_reason TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ratings_by_provider ON ratings (provider_id, booking_id);

ALTER TABLE providers ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0 CHECK (rating_count >= 0);
ALTER TABLE providers ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0 CHECK (rating_sum >= 0);

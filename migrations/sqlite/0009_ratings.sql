-- Ratings and reviews. Kept in step with migrations/postgres/0009_ratings.sql.
--
-- The customer who owns a completed booking may rate it once (the primary key is what
-- makes it once): 1 to 5 stars and an optional comment. An admin may hide the comment,
-- with a reason; the stars still count. Each provider keeps the count and sum of their
-- stars, changed in the same transaction as the rating, from which matching ranks them
-- (a Bayesian average; see shared/src/rating) and pages show the plain mean.

CREATE TABLE ratings (
    booking_id    INTEGER PRIMARY KEY REFERENCES bookings (id),
    provider_id   INTEGER NOT NULL REFERENCES providers (id),
    customer_id   INTEGER NOT NULL REFERENCES users (id),
    stars         INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment       TEXT,
    hidden_at     INTEGER,
    hidden_by     INTEGER REFERENCES users (id),
    hidden_reason TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX ratings_by_provider ON ratings (provider_id, booking_id);

ALTER TABLE providers ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0);
ALTER TABLE providers ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0 CHECK (rating_sum >= 0);

-- Kept in step with migrations/sqlite/0019_waiting_bookings.sql: the bookings waiting for
-- an operator (their assignment exhausted), newest first, in a partial index of their own.
CREATE INDEX bookings_waiting ON bookings (id) WHERE assignment_exhausted;

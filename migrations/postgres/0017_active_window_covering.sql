-- Kept in step with migrations/sqlite/0017_active_window_covering.sql, which adds `status`
-- and `overlap_override` to `bookings_active_window` so that SQLite reads a window from
-- the index alone. PostgreSQL needs no change: its index-only scan of a partial index does
-- not need the column the index's condition names (the day's load is read that way), and
-- the overlap rule is its exclusion constraint.
SELECT 1;

-- Kept in step with migrations/sqlite/0017_active_window_covering.sql, which adds `status`
-- to `bookings_active_window` so that SQLite reads a window from the index alone.
-- PostgreSQL needs no change: an index-only scan of a partial index does not need the
-- columns its condition names.
SELECT 1;

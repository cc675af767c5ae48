-- A provider's active windows, with their status and override: the same index as
-- migration 0006's, now holding every column that matching's facts and the overlap rule
-- (the triggers of 0006) read of a window. SQLite does not count a partial index's
-- condition (status IN ...) as covering the column it names, so the index without
-- `status` had each window's row read from the table too; with it tied in cost, the
-- planner took `bookings_by_provider_start` (migration 0015) and read the table for every
-- booking the provider has that day. With 200 providers and a week of booked windows an
-- assignment's facts took 2.3 ms that way, 0.8 ms from this index alone (BENCHMARKS.md,
-- 2026-12-06).
DROP INDEX bookings_active_window;
CREATE INDEX bookings_active_window
    ON bookings (provider_id, starts_at, ends_at, status, overlap_override)
    WHERE status IN ('assigned', 'accepted', 'in_progress');

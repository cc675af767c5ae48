-- The search index (migration 0014) merged into one segment. 0014 built it in bulk
-- ('rebuild'), and FTS5 leaves a bulk build in large segments that its incremental merges
-- then go on rewriting a piece at a time, in the write of every later booking: with a
-- million bookings that was 1.1 ms a booking on average, and about one write in a hundred
-- waited 20 ms or more (up to 400 ms), holding the write turn meanwhile; once merged, 0.09
-- ms, and under 1 ms for all but a few (BENCHMARKS.md, 2026-12-06). Merged, later bookings
-- add small segments, as they do to an index grown one booking at a time. A million
-- bookings' index merges in about 3 s.
INSERT INTO bookings_search (bookings_search) VALUES ('optimize');

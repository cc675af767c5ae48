-- The search indexes merged: kept in step with migrations/sqlite/0018_search_merged.sql,
-- where a search index built in bulk had later bookings' writes rewriting it piece by
-- piece. Here migration 0014's trigram indexes were built whole by CREATE INDEX; what
-- later bookings added waits in each index's pending list (GIN's fast update) until
-- autovacuum or a full list moves it into the index proper. This moves it now, as
-- autovacuum would.
SELECT gin_clean_pending_list(index_name::regclass)
FROM (VALUES ('bookings_search_name'), ('bookings_search_email'), ('bookings_search_phone'),
             ('bookings_search_address'), ('bookings_search_service'),
             ('bookings_search_notes')) AS search (index_name);

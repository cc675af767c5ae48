-- Nothing to change on SQLite: with one writer, history rows commit in id order and the
-- id is the feed position. (migrations/postgres/0008_feed_order.sql gives PostgreSQL's
-- feed its commit order.) Kept so that both backends count the same migrations.
SELECT 1;

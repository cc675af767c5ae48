-- Text search over a booking's words (name, e-mail, phone, address, service, notes) by
-- indexes of their trigrams (pg_trgm, a contrib extension trusted since PostgreSQL 13):
-- `ILIKE '%piece%'` of three characters or more is answered from them instead of reading
-- every booking.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX bookings_search_name ON bookings USING gin (customer_name gin_trgm_ops);
CREATE INDEX bookings_search_email ON bookings USING gin (customer_email gin_trgm_ops);
CREATE INDEX bookings_search_phone ON bookings USING gin (customer_phone gin_trgm_ops);
CREATE INDEX bookings_search_address ON bookings USING gin (address gin_trgm_ops);
CREATE INDEX bookings_search_service ON bookings USING gin (service_type gin_trgm_ops);
CREATE INDEX bookings_search_notes ON bookings USING gin (notes gin_trgm_ops);

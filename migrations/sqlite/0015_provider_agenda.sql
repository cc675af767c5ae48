-- A provider's bookings in order of start: an operator's list of one provider's bookings
-- by start, and a search by a provider's name by start, read a page down this index
-- instead of fetching and sorting every booking the provider ever held.
CREATE INDEX bookings_by_provider_start ON bookings (provider_id, starts_at, id);

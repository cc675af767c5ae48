-- The bookings waiting for an operator (their assignment exhausted: no provider could be
-- found, or an operator cancelled the search), newest first: the console's "Waiting for
-- an operator" filter. Few at any time, so a partial index holds only them.
CREATE INDEX bookings_waiting ON bookings (id) WHERE assignment_exhausted;

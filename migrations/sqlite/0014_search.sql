-- Text search over a booking's words (name, e-mail, phone, address, service, notes) by an
-- index of their trigrams: any piece of three characters or more is found without reading
-- every booking, ignoring case, as `LIKE '%piece%'` would (shorter pieces still use LIKE).
-- Kept in step with the bookings by triggers, in the same transaction as each change.
CREATE VIRTUAL TABLE bookings_search USING fts5 (
    customer_name, customer_email, customer_phone, address, service_type, notes,
    content = 'bookings', content_rowid = 'id', tokenize = 'trigram'
);

INSERT INTO bookings_search (bookings_search) VALUES ('rebuild');

CREATE TRIGGER bookings_search_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO bookings_search
        (rowid, customer_name, customer_email, customer_phone, address, service_type, notes)
    VALUES (NEW.id, NEW.customer_name, NEW.customer_email, NEW.customer_phone, NEW.address,
            NEW.service_type, NEW.notes);
END;

CREATE TRIGGER bookings_search_update
AFTER UPDATE OF customer_name, customer_email, customer_phone, address, service_type, notes
ON bookings
BEGIN
    INSERT INTO bookings_search
        (bookings_search, rowid, customer_name, customer_email, customer_phone, address,
         service_type, notes)
    VALUES ('delete', OLD.id, OLD.customer_name, OLD.customer_email, OLD.customer_phone,
            OLD.address, OLD.service_type, OLD.notes);
    INSERT INTO bookings_search
        (rowid, customer_name, customer_email, customer_phone, address, service_type, notes)
    VALUES (NEW.id, NEW.customer_name, NEW.customer_email, NEW.customer_phone, NEW.address,
            NEW.service_type, NEW.notes);
END;

//! The booking room's statements whose text differs between SQLite and PostgreSQL, each
//! named once, as a pair.
//!
//! Writing a booking is one round trip: the booking, its first history row, its first
//! assignment job and its idempotency key, then the booking as stored. (Every statement
//! is a hand-off to SQLite's connection thread; separate statements halved the intake
//! rate.) The column lists come from the same definitions as the single statements
//! (`history_insert!`, `queue::new_job_columns!`), and a test checks that this chain and
//! the same writes made one by one leave identical rows.
//!
//! Parameters: $1 customer_id, $2 customer_name, $3 customer_phone, $4 customer_email,
//! $5 service_type, $6 address, $7 starts_at, $8 notes, $9 now, $10 changed_by,
//! $11 changed_by_name, $12 changed_by_role, $13 job queue, $14 job kind, $15
//! max_attempts, $16 idempotency key, $17 request hash, $18 backoff_base_ms, $19
//! ends_at, $20 time_zone, $21 the offer timeout in seconds.

use super::history::history_insert;
use super::rows::booking_columns;

macro_rules! insert_booking {
    () => {
        concat!(
            "INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, ",
            "service_type, address, starts_at, ends_at, time_zone, status, notes, created_at, updated_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $19, $20, 'pending', $8, $9, $9)"
        )
    };
}

/// SQLite runs the statements as a script, inside a savepoint (so that a booking refused
/// partway leaves nothing in a transaction shared with others), in which each statement
/// finds the new booking as the newest one, which it is: this transaction holds the
/// write lock.
pub(super) mod sqlite {
    use super::*;

    pub const CREATE: &str = concat!(
        "SAVEPOINT new_booking; ",
        insert_booking!(),
        "; ",
        history_insert!(),
        "SELECT MAX(id), NULL, 'pending', $10, $11, $12, 'booked', FALSE, NULL, $1, $9 FROM bookings; ",
        "INSERT INTO jobs (",
        queue::new_job_columns!(),
        ") SELECT $13, $14, json_object('booking_id', MAX(id), 'cycle', 1, 'offer_timeout_secs', $21), ",
        "MAX(id), 'scheduled', 1, ",
        "$15, $18, 1, $9, $9, $9 FROM bookings; ",
        "INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) ",
        "SELECT $1, $16, $17, newest, $9 FROM (SELECT MAX(id) AS newest FROM bookings) WHERE $16 IS NOT NULL; ",
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = (SELECT MAX(id) FROM bookings); ",
        "RELEASE new_booking"
    );

    /// Undoes what [`CREATE`] wrote after a statement of it failed.
    pub const UNDO_CREATE: &str = "ROLLBACK TO new_booking; RELEASE new_booking";
}

/// PostgreSQL chains the writes as CTEs in one statement, which fails as a whole.
pub(super) mod postgres {
    use super::*;

    pub const CREATE: &str = concat!(
        "WITH b AS (",
        insert_booking!(),
        " RETURNING *), ",
        "h AS (",
        history_insert!(),
        "SELECT id, NULL, 'pending', $10, $11, $12, 'booked', FALSE, NULL, $1, $9 FROM b), ",
        "j AS (INSERT INTO jobs (",
        queue::new_job_columns!(),
        ") SELECT $13, $14, jsonb_build_object('booking_id', id, 'cycle', 1, 'offer_timeout_secs', $21::bigint), ",
        "id, 'scheduled', 1, ",
        "$15, $18, 1, $9, $9, $9 FROM b), ",
        "k AS (INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) ",
        "SELECT $1, $16, $17, id, $9 FROM b WHERE $16 IS NOT NULL) ",
        "SELECT ",
        booking_columns!(),
        " FROM b"
    );

    /// Writes several bookings without idempotency keys in one statement: [`CREATE`]
    /// over rows unnested from one array per column, the bookings' ids drawn from their
    /// sequence first so that each history row, job and answer finds its own request.
    /// Returns the bookings as stored, each with `ord`, its place in the arrays (from 1).
    ///
    /// Parameters: $1 now, $2 job queue, $3 job kind, then one array each: $4
    /// customer_id, $5 customer_name, $6 customer_phone, $7 customer_email, $8
    /// service_type, $9 address, $10 starts_at, $11 ends_at, $12 time_zone, $13 notes,
    /// $14 changed_by, $15 changed_by_name, $16 changed_by_role, $17 max_attempts, $18
    /// backoff_base_ms, $19 the offer timeout in seconds.
    pub const CREATE_MANY: &str = concat!(
        "WITH i AS (SELECT * FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], ",
        "$8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], ",
        "$14::bigint[], $15::text[], $16::text[], $17::bigint[], $18::bigint[], $19::bigint[]) ",
        "WITH ORDINALITY AS i (customer_id, customer_name, customer_phone, customer_email, ",
        "service_type, address, starts_at, ends_at, time_zone, notes, changed_by, changed_by_name, ",
        "changed_by_role, max_attempts, backoff_base_ms, offer_timeout_secs, ord)), ",
        "n AS (SELECT nextval(pg_get_serial_sequence('bookings', 'id')) AS id, ord FROM i), ",
        "b AS (INSERT INTO bookings (id, customer_id, customer_name, customer_phone, customer_email, ",
        "service_type, address, starts_at, ends_at, time_zone, status, notes, created_at, updated_at) ",
        "OVERRIDING SYSTEM VALUE SELECT n.id, i.customer_id, i.customer_name, i.customer_phone, ",
        "i.customer_email, i.service_type, i.address, i.starts_at, i.ends_at, i.time_zone, 'pending', ",
        "i.notes, $1, $1 FROM i JOIN n ON n.ord = i.ord RETURNING *), ",
        "bi AS (SELECT b.id, b.customer_id, i.changed_by, i.changed_by_name, i.changed_by_role, ",
        "i.max_attempts, i.backoff_base_ms, i.offer_timeout_secs, i.ord ",
        "FROM b JOIN n ON n.id = b.id JOIN i ON i.ord = n.ord), ",
        "h AS (",
        history_insert!(),
        "SELECT id, NULL, 'pending', changed_by, changed_by_name, changed_by_role, 'booked', FALSE, ",
        "NULL, customer_id, $1 FROM bi ORDER BY ord), ",
        "j AS (INSERT INTO jobs (",
        queue::new_job_columns!(),
        ") SELECT $2, $3, jsonb_build_object('booking_id', id, 'cycle', 1, 'offer_timeout_secs', ",
        "offer_timeout_secs), id, 'scheduled', 1, max_attempts, backoff_base_ms, 1, $1, $1, $1 ",
        "FROM bi ORDER BY ord) ",
        "SELECT n.ord, ",
        booking_columns!(),
        " FROM b JOIN n USING (id) ORDER BY n.ord"
    );
}

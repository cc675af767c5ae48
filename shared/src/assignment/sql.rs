//! The assignment room's statements whose text differs between SQLite and PostgreSQL,
//! each named once, as a pair.
//!
//! An assignment costs round trips to the database, so two of its steps are chains:
//! reading the booking only if the job's lease still holds (the fence), and the write of
//! a successful attempt (the booking's compare-and-set, its history row, the attempt
//! record, the job done and the job that ends the offer if nobody answers it). Their
//! column lists and conditions come from the same definitions as the single statements
//! (`booking_cas!`, `history_insert!`, `attempt_insert!`, `queue::held_by_lease!`,
//! `queue::job_done_set!`, `queue::new_job_columns!`), and a test checks that the chain
//! and the same writes made one by one leave identical rows.

use super::attempt::{attempt_insert, attempt_upsert};
use crate::booking::history::history_insert;
use crate::booking::rows::{booking_cas, booking_columns};

/// The offer's expiry job, as `queue::enqueue` writes it (its parameters are ASSIGN's).
macro_rules! offer_expiry {
    () => {
        concat!(
            "INSERT INTO jobs (",
            queue::new_job_columns!(),
            ") SELECT $15, $16, $17, $1, 'scheduled', 1, $18, $19, 1, $20, $5, $5"
        )
    };
}

/// SQLite runs each chain as a script in which every statement after the first runs only
/// if the one before changed its row (`changes()`), and the last reports whether the
/// whole chain did.
pub(super) mod sqlite {
    use super::*;

    /// The job touched while this claim holds it: $1 job id, $2 lease token, $3 now.
    macro_rules! fence {
        () => {
            concat!(
                "UPDATE jobs SET updated_at = $3 WHERE ",
                queue::held_by_lease!("$1", "$2")
            )
        };
    }

    /// The fence alone, for a batch that read its bookings together: 1 while the claim
    /// holds the job.
    pub const FENCE: &str = concat!(fence!(), "; SELECT changes()");

    /// The fence, then the booking if it held: $4 booking id.
    pub const FENCED_BOOKING: &str = concat!(
        fence!(),
        "; SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $4 AND changes() = 1"
    );

    /// $1 booking id, $2 its version, $3 'assigned', $4 provider, $5 now, $6 old status,
    /// $7 worker, $8 reason, $9 cycle, $10 attempt, $11 job id, $12 lease token, $13 the
    /// candidates considered (JSON), $14 how many more there were; the offer's expiry
    /// job: $15 queue, $16 kind, $17 payload, $18 max attempts, $19 backoff base (ms),
    /// $20 due.
    pub const ASSIGN: &str = concat!(
        booking_cas!("NULL", "FALSE"),
        "; ",
        history_insert!(),
        "SELECT id, $6, status, NULL, $7, 'system', $8, FALSE, provider_id, customer_id, $5 ",
        "FROM bookings WHERE id = $1 AND changes() = 1; ",
        attempt_insert!(),
        "SELECT $1, $9, $10, $4, 'assigned', NULL, $13, $14, $5, $5 WHERE changes() = 1",
        attempt_upsert!(),
        "; UPDATE jobs SET ",
        queue::job_done_set!("$5"),
        " WHERE ",
        queue::held_by_lease!("$11", "$12"),
        " AND changes() = 1; ",
        offer_expiry!(),
        " WHERE changes() = 1; SELECT changes()"
    );
}

/// PostgreSQL chains them as CTEs in one statement, which succeeds or fails as a whole;
/// the fence also locks the booking, so that a status change through the API waits for
/// the assignment.
pub(super) mod postgres {
    use super::*;

    pub const FENCED_BOOKING: &str = concat!(
        "WITH fence AS (UPDATE jobs SET updated_at = $3 WHERE ",
        queue::held_by_lease!("$1", "$2"),
        " RETURNING id) SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $4 AND EXISTS (SELECT 1 FROM fence) FOR UPDATE"
    );

    pub const ASSIGN: &str = concat!(
        "WITH b AS (",
        booking_cas!("NULL", "FALSE"),
        " RETURNING id, status, provider_id, customer_id), ",
        "h AS (",
        history_insert!(),
        "SELECT id, $6, status, NULL, $7, 'system', $8, FALSE, provider_id, customer_id, $5 FROM b), ",
        "a AS (",
        attempt_insert!(),
        "SELECT id, $9, $10, $4, 'assigned', NULL, $13, $14, $5, $5 FROM b",
        attempt_upsert!(),
        "), j AS (UPDATE jobs SET ",
        queue::job_done_set!("$5"),
        " WHERE ",
        queue::held_by_lease!("$11", "$12"),
        " AND EXISTS (SELECT 1 FROM b) RETURNING id), ",
        "o AS (",
        offer_expiry!(),
        " FROM j RETURNING id) SELECT COUNT(*) FROM o"
    );
}

//! How a provider is chosen for a booking: the rule, as Rust you can read and test, and
//! the same rule as the SQL that runs it, side by side. A test checks that they agree on
//! random providers (`shared/tests/assignment.rs`).
//!
//! Eligible: available, offers the booking's service, and has not rejected or
//! no-showed this booking before. Among the eligible: fewest active bookings (assigned,
//! accepted or in progress), then the highest rating, then the lowest id.

use std::cmp::Ordering;

use db::{Tx, dialect, on};

use crate::booking::Booking;
use crate::error::StoreError;

/// What the rule looks at about one provider, for one booking.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub provider_id: i64,
    pub available: bool,
    pub offers_service: bool,
    /// Rejected or no-showed this booking in an earlier attempt.
    pub declined_before: bool,
    pub active_bookings: i64,
    pub rating: f64,
}

impl Candidate {
    /// May be chosen at all.
    pub fn is_eligible(&self) -> bool {
        self.available && self.offers_service && !self.declined_before
    }
}

/// Who comes first among eligible candidates.
pub fn rank(a: &Candidate, b: &Candidate) -> Ordering {
    a.active_bookings
        .cmp(&b.active_bookings)
        .then(b.rating.total_cmp(&a.rating))
        .then(a.provider_id.cmp(&b.provider_id))
}

/// The provider the rule chooses, if anyone is eligible.
pub fn choose(candidates: &[Candidate]) -> Option<i64> {
    candidates
        .iter()
        .filter(|c| c.is_eligible())
        .min_by(|a, b| rank(a, b))
        .map(|c| c.provider_id)
}

/// The rule in SQL, with the row lock that goes with it (`$lock`). `providers_by_load`
/// (migration 0002) serves the order.
macro_rules! choose_sql {
    ($lock:literal) => {
        concat!(
            "SELECT p.id FROM providers p JOIN provider_services s ON s.provider_id = p.id ",
            "WHERE s.service_type = $1 AND p.available AND p.id NOT IN ( ",
            "SELECT a.provider_id FROM assignment_attempts a WHERE a.booking_id = $2 ",
            "AND a.outcome IN ('rejected', 'no_show') AND a.provider_id IS NOT NULL) ",
            "ORDER BY p.active_bookings, p.rating DESC, p.id LIMIT 1",
            $lock
        )
    };
}

/// SQLite: the write transaction excludes every other assignment; one statement.
mod sqlite {
    pub const CHOOSE: &[&str] = &[choose_sql!("")];
}

/// PostgreSQL: first among the providers no other assignment is locking right now, so
/// that workers on many hosts spread over the eligible providers instead of queueing on
/// one row (its load counter); only when every eligible one is taken, wait for the best.
mod postgres {
    pub const CHOOSE: &[&str] = &[
        choose_sql!(" FOR UPDATE OF p SKIP LOCKED"),
        choose_sql!(" FOR UPDATE OF p"),
    ];
}

/// Runs the rule for `booking` in the database, locking the chosen provider's row
/// (PostgreSQL) until the transaction ends.
pub(crate) async fn choose_for(tx: &mut Tx, booking: &Booking) -> Result<Option<i64>, StoreError> {
    for sql in dialect!(tx, sqlite: sqlite::CHOOSE, postgres: postgres::CHOOSE) {
        let chosen: Option<i64> = on!(tx, |c| {
            sqlx::query_scalar(*sql)
                .bind(&booking.service_type)
                .bind(booking.id)
                .fetch_optional(c)
                .await
        })?;
        if chosen.is_some() {
            return Ok(chosen);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(provider_id: i64, active_bookings: i64, rating: f64) -> Candidate {
        Candidate {
            provider_id,
            available: true,
            offers_service: true,
            declined_before: false,
            active_bookings,
            rating,
        }
    }

    #[test]
    fn the_least_busy_comes_first_then_the_best_rated_then_the_lowest_id() {
        let all = [
            candidate(3, 1, 5.0),
            candidate(2, 0, 4.0),
            candidate(1, 0, 4.0),
            candidate(4, 0, 4.5),
        ];
        assert_eq!(
            choose(&all),
            Some(4),
            "fewest bookings, then the best rating"
        );
        assert_eq!(
            choose(&all[..3]),
            Some(1),
            "a tie on both goes to the lowest id"
        );
        assert_eq!(choose(&all[..1]), Some(3));
    }

    #[test]
    fn the_unavailable_those_without_the_service_and_those_who_declined_are_never_chosen() {
        let mut busy_but_willing = candidate(9, 7, 1.0);
        let mut away = candidate(1, 0, 5.0);
        away.available = false;
        let mut other_trade = candidate(2, 0, 5.0);
        other_trade.offers_service = false;
        let mut declined = candidate(3, 0, 5.0);
        declined.declined_before = true;
        assert_eq!(
            choose(&[
                away.clone(),
                other_trade.clone(),
                declined.clone(),
                busy_but_willing.clone()
            ]),
            Some(9)
        );
        busy_but_willing.available = false;
        assert_eq!(
            choose(&[away, other_trade, declined, busy_but_willing]),
            None
        );
        assert_eq!(choose(&[]), None);
    }
}

//! Bookings by status and service, as the database keeps them in step (migration
//! `0013_counts`): what the overview, the metrics and a list's total read instead of
//! counting every booking.
//!
//! On SQLite, one row per status and service, updated by the triggers. On PostgreSQL, rows
//! of deltas that the triggers insert (so that concurrent changes do not queue on one row's
//! lock), summed here, and folded back into one row per key once they number more than
//! [`FOLD_AFTER`].

use std::collections::BTreeMap;

use db::{Db, exec, on};

use crate::Status;
use crate::error::StoreError;

/// The delta rows a read sums before it folds them (PostgreSQL).
const FOLD_AFTER: i64 = 1_000;

/// Bookings by status and service type (keys with no bookings left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<(Status, String), i64>);

impl Counts {
    /// How many have one of `statuses` (any, when empty) and `service` (any, when none).
    pub fn matching(&self, statuses: &[Status], service: Option<&str>) -> i64 {
        self.0
            .iter()
            .filter(|((status, s), _)| {
                (statuses.is_empty() || statuses.contains(status))
                    && service.is_none_or(|want| want == s)
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Every status, zeros included.
    pub fn by_status(&self) -> BTreeMap<Status, i64> {
        Status::ALL
            .iter()
            .map(|s| (*s, self.matching(&[*s], None)))
            .collect()
    }
}

/// The counts as they stand.
pub async fn read(db: &Db) -> Result<Counts, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = on!(db, |p| {
        sqlx::query_as(
            "SELECT status, service_type, CAST(SUM(n) AS BIGINT), COUNT(*) FROM booking_counts \
             GROUP BY status, service_type",
        )
        .fetch_all(p)
        .await
    })?;
    let summed: i64 = rows.iter().map(|r| r.3).sum();
    if summed > FOLD_AFTER && db.backend() == db::Backend::Postgres {
        fold(db).await?;
    }
    let mut counts = BTreeMap::new();
    for (status, service, n, _) in rows {
        if n != 0 {
            counts.insert((crate::booking::rows::status(&status)?, service), n);
        }
    }
    Ok(Counts(counts))
}

/// Replaces PostgreSQL's delta rows by one row per key, in one statement: the rows it
/// deletes are the rows it sums, so changes committed meanwhile are kept as they are,
/// and a second fold at the same time skips the rows the first took.
async fn fold(db: &Db) -> Result<(), StoreError> {
    exec!(db, |p| {
        sqlx::query(
            "WITH gone AS (DELETE FROM booking_counts RETURNING status, service_type, n) \
             INSERT INTO booking_counts (status, service_type, n) \
             SELECT status, service_type, SUM(n) FROM gone GROUP BY status, service_type \
             HAVING SUM(n) <> 0",
        )
        .execute(p)
        .await
    })?;
    Ok(())
}

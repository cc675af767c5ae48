//! The admin overview: bookings by status, jobs by state, and the workers with their
//! heartbeats; [`Overview`] is its entry point.

use std::collections::BTreeMap;

use db::{Db, on};
use queue::{Queue, WorkerInfo};

use crate::Status;
use crate::error::StoreError;

/// Counts for the admin overview.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub bookings_by_status: BTreeMap<Status, i64>,
    pub jobs_by_state: BTreeMap<queue::JobState, i64>,
    pub workers: Vec<WorkerInfo>,
}

/// The overview's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Overview {
    db: Db,
    queue: Queue,
}

impl Overview {
    pub fn new(db: Db) -> Overview {
        Overview {
            queue: Queue::new(db.clone()),
            db,
        }
    }

    /// Bookings by status (every status, zeros included), jobs by state, and workers.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let counted: Vec<(String, i64)> = on!(self.db, |p| {
            sqlx::query_as("SELECT status, COUNT(*) FROM bookings GROUP BY status")
                .fetch_all(p)
                .await
        })?;
        let mut bookings_by_status: BTreeMap<Status, i64> =
            Status::ALL.iter().map(|s| (*s, 0)).collect();
        for (status, n) in counted {
            bookings_by_status.insert(crate::booking::rows::status(&status)?, n);
        }
        Ok(Stats {
            bookings_by_status,
            jobs_by_state: self.queue.count_by_state().await?,
            workers: self.queue.workers().await?,
        })
    }
}

//! The admin overview: bookings by status, jobs by state, and the workers with their
//! heartbeats; [`Overview`] is its entry point.

use std::collections::BTreeMap;

use db::Db;
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
        let bookings_by_status = crate::booking::counts::read(&self.db).await?.by_status();
        Ok(Stats {
            bookings_by_status,
            jobs_by_state: self.queue.count_by_state().await?,
            workers: self.queue.workers().await?,
        })
    }
}

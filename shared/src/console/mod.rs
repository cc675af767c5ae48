//! The operator console's room: what operators do to the queue (retry, cancel or run
//! jobs now, one by one, on a selection or on everything a filter matches; pause and
//! resume a queue) and the audit log that records every operator action.
//!
//! A bulk action is worked through in chunks of at most [`CHUNK`] jobs, each in a
//! transaction of its own that also ends after 20 ms, so that nothing else waits behind
//! it for long: a booking created meanwhile waits for at most one such transaction. A
//! running job is never touched.

mod audit;
mod jobs;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use db::{Db, Ts, dialect, on};
use queue::{JobFilter, JobKind, Queue, QueueInfo};

pub use audit::{AuditAction, AuditEntry, AuditFilter};
pub use jobs::{ActionReport, JobAction, JobSelection, SkippedJob};

pub(crate) use audit::{ensure_admin, record};

use crate::assignment::{AssignProvider, AssignmentPolicy};
use crate::error::StoreError;
use crate::{Actor, DomainError, Status};

/// Jobs changed per transaction by a bulk action.
pub const CHUNK: usize = 200;

/// The queues this application runs (the console lists them even when empty).
pub const QUEUES: [&str; 1] = [AssignProvider::QUEUE];

/// A booking as a job's row names it: what, for whom, when, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingSummary {
    pub service_type: String,
    pub customer_name: String,
    pub starts_at: DateTime<Utc>,
    /// The address's time zone.
    pub time_zone: String,
    pub status: Status,
}

/// The bookings whose ids a JSON array `$1` lists.
const SUMMARIES_SQLITE: &str = concat!(
    "SELECT id, service_type, customer_name, starts_at, time_zone, status FROM bookings WHERE id IN ",
    db::ids_of_json!(sqlite, "$1")
);
const SUMMARIES_POSTGRES: &str = concat!(
    "SELECT id, service_type, customer_name, starts_at, time_zone, status FROM bookings WHERE id IN ",
    db::ids_of_json!(postgres, "$1")
);

/// The console's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Console {
    db: Db,
    queue: Queue,
    /// How retried assignment jobs are retried from then on.
    policy: AssignmentPolicy,
}

/// What a metrics scrape shows of a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGauge {
    pub name: String,
    pub paused: bool,
    /// How long the oldest job that is due now has waited past its run time.
    pub oldest_due_ms: Option<i64>,
}

impl Console {
    pub fn new(db: Db, policy: AssignmentPolicy) -> Console {
        Console {
            queue: Queue::new(db.clone()),
            db,
            policy,
        }
    }

    /// Every queue with its depth by state, its oldest due job's wait and whether it is
    /// paused.
    pub async fn queues(&self, actor: &Actor) -> Result<Vec<QueueInfo>, StoreError> {
        audit::ensure_reader(actor, "see the queues")?;
        Ok(self.queue.queues(&QUEUES).await?)
    }

    /// Each queue's gauges for a metrics scrape: whether it is paused and its oldest due
    /// job's wait (not its depth or its runs, which cost a count of every job).
    pub async fn queue_gauges(&self, actor: &Actor) -> Result<Vec<QueueGauge>, StoreError> {
        audit::ensure_reader(actor, "see the queues")?;
        let gauges = self.queue.gauges(&QUEUES).await?;
        Ok(gauges
            .into_iter()
            .map(|g| QueueGauge {
                name: g.name,
                paused: g.paused.is_some(),
                oldest_due_ms: g.oldest_due_ms,
            })
            .collect())
    }

    /// Pauses or resumes `queue`; false when it already was so. Recorded in the audit
    /// log either way.
    pub async fn set_paused(
        &self,
        actor: &Actor,
        queue: &str,
        paused: bool,
    ) -> Result<bool, StoreError> {
        audit::ensure_admin(
            actor,
            if paused {
                "pause a queue"
            } else {
                "resume a queue"
            },
        )?;
        if !QUEUES.contains(&queue) {
            return Err(DomainError::field("queue", format!("no queue is named `{queue}`")).into());
        }
        let mut tx = self.db.write().await?;
        let changed = if paused {
            queue::pause(&mut tx, queue, &actor.name).await?
        } else {
            queue::resume(&mut tx, queue).await?
        };
        let (action, was) = if paused {
            (AuditAction::PauseQueue, "was paused already")
        } else {
            (AuditAction::ResumeQueue, "was not paused")
        };
        record(
            &mut tx,
            actor,
            action,
            &format!("queue {queue}"),
            u64::from(changed),
            (!changed).then_some(was),
        )
        .await?;
        tx.commit().await?;
        if changed {
            tracing::info!(queue, paused, by = %actor.name, "queue {}", if paused { "paused" } else { "resumed" });
        }
        Ok(changed)
    }

    /// The audit log, newest first.
    pub async fn audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows = audit::list(&mut tx, actor, filter).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// What the operator's job table says of each booking in `ids` (those that exist).
    pub async fn booking_summaries(
        &self,
        actor: &Actor,
        ids: &[i64],
    ) -> Result<HashMap<i64, BookingSummary>, StoreError> {
        audit::ensure_reader(actor, "see the jobs")?;
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = db::json_ids(ids);
        let sql = dialect!(self.db, sqlite: SUMMARIES_SQLITE, postgres: SUMMARIES_POSTGRES);
        let rows: Vec<(i64, String, String, Ts, String, String)> = on!(self.db, |p| {
            sqlx::query_as(sql).bind(&list).fetch_all(p).await
        })?;
        rows.into_iter()
            .map(
                |(id, service_type, customer_name, starts_at, time_zone, status)| {
                    Ok((
                        id,
                        BookingSummary {
                            service_type,
                            customer_name,
                            starts_at: starts_at.into(),
                            time_zone,
                            status: crate::booking::rows::status(&status)?,
                        },
                    ))
                },
            )
            .collect()
    }

    /// How many jobs `filter` matches (what "all matching" would act on).
    pub async fn count_matching(
        &self,
        actor: &Actor,
        filter: &JobFilter,
    ) -> Result<i64, StoreError> {
        audit::ensure_reader(actor, "see the jobs")?;
        Ok(self.queue.count_matching(filter).await?)
    }
}

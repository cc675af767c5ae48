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

use db::Db;
use queue::{JobFilter, JobKind, Queue, QueueInfo};

pub use audit::{AuditAction, AuditEntry, AuditFilter};
pub use jobs::{ActionReport, JobAction, JobSelection, SkippedJob};

pub(crate) use audit::record;

use crate::assignment::{AssignProvider, AssignmentPolicy};
use crate::error::StoreError;
use crate::{Actor, DomainError};

/// Jobs changed per transaction by a bulk action.
pub const CHUNK: usize = 200;

/// The queues this application runs (the console lists them even when empty).
pub const QUEUES: [&str; 1] = [AssignProvider::QUEUE];

/// The console's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Console {
    db: Db,
    queue: Queue,
    /// How retried assignment jobs are retried from then on.
    policy: AssignmentPolicy,
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
        audit::ensure_operator(actor, "see the queues")?;
        Ok(self.queue.queues(&QUEUES).await?)
    }

    /// Pauses or resumes `queue`; false when it already was so. Recorded in the audit
    /// log either way.
    pub async fn set_paused(
        &self,
        actor: &Actor,
        queue: &str,
        paused: bool,
    ) -> Result<bool, StoreError> {
        audit::ensure_operator(
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

    /// How many jobs `filter` matches (what "all matching" would act on).
    pub async fn count_matching(
        &self,
        actor: &Actor,
        filter: &JobFilter,
    ) -> Result<i64, StoreError> {
        audit::ensure_operator(actor, "see the jobs")?;
        Ok(self.queue.count_matching(filter).await?)
    }
}

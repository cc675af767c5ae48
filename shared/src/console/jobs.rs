//! Operator actions on jobs: retry, cancel, run now; on a list of ids or on everything a
//! filter matches, a chunk per transaction (see the module above).

use std::time::{Duration, Instant};

use queue::{Job, JobFilter, JobKind, JobState};

use super::audit::AuditAction;
use super::{CHUNK, Console, audit};
use crate::Actor;
use crate::assignment::{AssignProvider, ExpireOffer, cycle};
use crate::booking::history::{self, HistoryNote};
use crate::booking::rows;
use crate::error::StoreError;

/// What an operator does to jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// A dead or cancelled job starts over: a new cycle of its booking, attempt 1, now.
    Retry,
    /// A scheduled or retrying job is cancelled; its booking waits for an operator.
    Cancel,
    /// A scheduled or retrying job becomes due now.
    RunNow,
}

impl JobAction {
    fn audit(self) -> AuditAction {
        match self {
            JobAction::Retry => AuditAction::RetryJobs,
            JobAction::Cancel => AuditAction::CancelJobs,
            JobAction::RunNow => AuditAction::RunJobsNow,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            JobAction::Retry => "retry jobs",
            JobAction::Cancel => "cancel jobs",
            JobAction::RunNow => "run jobs now",
        }
    }
}

/// Which jobs an action is for.
#[derive(Debug, Clone)]
pub enum JobSelection {
    /// These jobs (the caller caps how many).
    Ids(Vec<i64>),
    /// Every job the filter matches when the action reaches it (its paging ignored).
    Matching(JobFilter),
}

/// A job that was not changed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedJob {
    pub id: i64,
    pub reason: String,
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionReport {
    /// How many jobs it changed.
    pub changed: u64,
    /// The first [`ActionReport::SKIPPED_LISTED`] jobs it skipped, with the reason.
    pub skipped: Vec<SkippedJob>,
    /// How many it skipped in all.
    pub skipped_count: u64,
}

impl ActionReport {
    /// How many skipped jobs a report lists (it counts them all).
    pub const SKIPPED_LISTED: usize = 1000;

    fn skip(&mut self, id: i64, reason: String) {
        self.skipped_count += 1;
        if self.skipped.len() < Self::SKIPPED_LISTED {
            self.skipped.push(SkippedJob { id, reason });
        }
    }
}

/// Pause between chunks, so that writers in other processes (workers, on SQLite) get the
/// database between two chunks.
const BETWEEN_CHUNKS: Duration = Duration::from_millis(5);

/// A transaction of a bulk action ends once it has run this long (or its chunk is done):
/// a booking created meanwhile waits for at most about this long, however slow each job
/// is on this machine and backend. (With 200 jobs per transaction and no budget, 100,000
/// retries on SQLite held each booking for up to 150 ms.)
const TRANSACTION_BUDGET: Duration = Duration::from_millis(20);

impl Console {
    /// Applies `action` to the selected jobs, a chunk per transaction; records it in the
    /// audit log. Jobs it cannot apply to are skipped, with the reason.
    pub async fn act_on_jobs(
        &self,
        actor: &Actor,
        action: JobAction,
        selection: JobSelection,
    ) -> Result<ActionReport, StoreError> {
        audit::ensure_admin(actor, action.verb())?;
        let mut report = ActionReport::default();
        let subject = match &selection {
            JobSelection::Ids(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                for chunk in ids.chunks(CHUNK) {
                    self.chunk(actor, action, chunk, &mut report).await?;
                }
                ids_subject(&ids)
            }
            JobSelection::Matching(filter) => {
                let mut after = 0;
                loop {
                    let ids = queue::retry_transient("selecting jobs", 8, || {
                        self.queue.matching_ids(filter, after, CHUNK as u32)
                    })
                    .await?;
                    let Some(&last) = ids.last() else { break };
                    self.chunk(actor, action, &ids, &mut report).await?;
                    after = last;
                }
                filter_subject(filter)
            }
        };
        let detail =
            (report.skipped_count > 0).then(|| format!("{} skipped", report.skipped_count));
        let mut tx = self.db.write().await?;
        audit::record(
            &mut tx,
            actor,
            action.audit(),
            &subject,
            report.changed,
            detail.as_deref(),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(action = action.verb(), changed = report.changed, skipped = report.skipped_count, by = %actor.name, "operator action on jobs");
        Ok(report)
    }

    /// A chunk of ids, in as many transactions as [`TRANSACTION_BUDGET`] asks for (each
    /// tried again while the database is busy), with a pause between two.
    async fn chunk(
        &self,
        actor: &Actor,
        action: JobAction,
        mut ids: &[i64],
        report: &mut ActionReport,
    ) -> Result<(), StoreError> {
        while !ids.is_empty() {
            let (done, used) = queue::retry_transient("acting on jobs", 8, || async {
                let mut tx = self.db.write().await?;
                let started = Instant::now();
                let mut part = ActionReport::default();
                let mut used = 0;
                for &id in ids {
                    match self.one(&mut tx, actor, action, id).await? {
                        None => part.changed += 1,
                        Some(reason) => part.skip(id, reason),
                    }
                    used += 1;
                    if started.elapsed() >= TRANSACTION_BUDGET {
                        break;
                    }
                }
                tx.commit().await?;
                Ok::<_, StoreError>((part, used))
            })
            .await?;
            report.changed += done.changed;
            report.skipped_count += done.skipped_count;
            let room = ActionReport::SKIPPED_LISTED.saturating_sub(report.skipped.len());
            report.skipped.extend(done.skipped.into_iter().take(room));
            ids = &ids[used..];
            tokio::time::sleep(BETWEEN_CHUNKS).await;
        }
        Ok(())
    }

    /// Applies `action` to job `id`; `Some(reason)` when it does not apply.
    async fn one(
        &self,
        tx: &mut db::Tx,
        actor: &Actor,
        action: JobAction,
        id: i64,
    ) -> Result<Option<String>, StoreError> {
        // Locked (PostgreSQL), so that two operators acting at once change it once.
        let Some(job) = queue::lock(tx, id).await? else {
            return Ok(Some("no such job".into()));
        };
        if job.state == JobState::Running {
            return Ok(Some(
                "the job is running; running jobs are never touched".into(),
            ));
        }
        match action {
            JobAction::Retry => self.retry(tx, actor, &job).await,
            JobAction::Cancel => cancel(tx, actor, &job).await,
            JobAction::RunNow => {
                if !job.state.is_pending() {
                    return Ok(Some(format!(
                        "the job is {}; only scheduled or retrying jobs run now",
                        job.state.as_str()
                    )));
                }
                if job.kind == ExpireOffer::KIND && job.state == JobState::Scheduled {
                    // Its time is the offer's deadline: run early, it would take the
                    // booking from a provider who still has time to answer, in the
                    // words of an offer that ran out.
                    return Ok(Some(format!(
                        "it ends an offer when the provider's time to answer is up ({}); \
                         reassign the booking to take the offer back sooner",
                        job.run_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    )));
                }
                queue::run_now(tx, job.id).await?;
                Ok(None)
            }
        }
    }

    /// A dead or cancelled assignment job starts a new cycle of its booking at attempt 1,
    /// due now (the booking's history says so).
    async fn retry(
        &self,
        tx: &mut db::Tx,
        actor: &Actor,
        job: &Job,
    ) -> Result<Option<String>, StoreError> {
        if !matches!(job.state, JobState::Dead | JobState::Cancelled) {
            return Ok(Some(format!(
                "the job is {}; only dead or cancelled jobs are retried",
                job.state.as_str()
            )));
        }
        let Some(booking_id) = job.subject_id.filter(|_| job.kind == AssignProvider::KIND) else {
            return Ok(Some(format!(
                "the job is not a booking's assignment (it is {})",
                job.kind
            )));
        };
        let booking = rows::lock(tx, booking_id).await?;
        if !booking.awaits_assignment() {
            return Ok(Some(format!(
                "booking {} is {}; it no longer awaits assignment",
                booking.id, booking.status
            )));
        }
        cycle::next_cycle(tx, &booking, true).await?;
        let booking = rows::fetch(tx, booking_id).await?;
        let payload = serde_json::to_value(self.policy.job(booking_id, booking.assignment_cycle))
            .map_err(|e| sqlx::Error::Encode(e.into()))?;
        queue::retry(tx, job.id, Some(&payload), self.policy.retry).await?;
        let note = HistoryNote {
            old_status: Some(booking.status),
            reason: Some(format!(
                "assignment retried by an admin (cycle {})",
                booking.assignment_cycle
            )),
            is_override: false,
            provider_id: None,
        };
        history::append(tx, &booking, actor, &note).await?;
        Ok(None)
    }
}

/// A scheduled or retrying job is cancelled. If it was the current assignment of a
/// booking that awaits one, the booking is marked exhausted (it waits for an operator's
/// retry or a manual assignment), with a history row saying so.
async fn cancel(tx: &mut db::Tx, actor: &Actor, job: &Job) -> Result<Option<String>, StoreError> {
    if !job.state.is_pending() {
        return Ok(Some(format!(
            "the job is {}; only scheduled or retrying jobs are cancelled",
            job.state.as_str()
        )));
    }
    if job.kind != AssignProvider::KIND {
        return Ok(Some(format!(
            "only assignment jobs are cancelled (this one is {})",
            job.kind
        )));
    }
    queue::cancel(tx, job.id).await?;
    let Some(booking_id) = job.subject_id else {
        return Ok(None);
    };
    let booking = rows::lock(tx, booking_id).await?;
    let current =
        job.payload.get("cycle").and_then(|c| c.as_i64()) == Some(booking.assignment_cycle);
    if current && booking.awaits_assignment() {
        cycle::mark_exhausted(
            tx,
            &booking,
            actor,
            "assignment cancelled by an admin; retry it or assign a provider by hand",
        )
        .await?;
    }
    Ok(None)
}

/// "jobs 3, 4 and 9" (at most ten named).
fn ids_subject(ids: &[i64]) -> String {
    let named: Vec<String> = ids.iter().take(10).map(i64::to_string).collect();
    match ids.len() {
        0 => "no jobs".into(),
        1 => format!("job {}", named[0]),
        n if n <= 10 => format!("jobs {}", named.join(", ")),
        n => format!("jobs {} and {} more", named.join(", "), n - 10),
    }
}

/// "jobs matching state=dead, q=rejected".
fn filter_subject(f: &JobFilter) -> String {
    let mut parts = Vec::new();
    if let Some(s) = f.state {
        parts.push(format!("state={}", s.as_str()));
    }
    if let Some(q) = &f.queue {
        parts.push(format!("queue={q}"));
    }
    if let Some(b) = f.subject_id {
        parts.push(format!("booking_id={b}"));
    }
    if let Some(q) = &f.error_text {
        parts.push(format!("q={q}"));
    }
    if let Some(t) = f.created_from {
        parts.push(format!("created_from={}", t.to_rfc3339()));
    }
    if let Some(t) = f.created_to {
        parts.push(format!("created_to={}", t.to_rfc3339()));
    }
    if parts.is_empty() {
        "every job".into()
    } else {
        format!("jobs matching {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_ids_or_the_filter() {
        assert_eq!(ids_subject(&[7]), "job 7");
        assert_eq!(ids_subject(&[1, 2, 3]), "jobs 1, 2, 3");
        let many: Vec<i64> = (1..=12).collect();
        assert_eq!(
            ids_subject(&many),
            "jobs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
        );
        let f = JobFilter {
            state: Some(JobState::Dead),
            error_text: Some("rejected".into()),
            ..Default::default()
        };
        assert_eq!(filter_subject(&f), "jobs matching state=dead, q=rejected");
        assert_eq!(filter_subject(&JobFilter::default()), "every job");
    }

    #[test]
    fn a_report_lists_a_thousand_skipped_jobs_and_counts_them_all() {
        let mut r = ActionReport::default();
        for id in 0..1500 {
            r.skip(id, "x".into());
        }
        assert_eq!((r.skipped.len(), r.skipped_count), (1000, 1500));
    }
}

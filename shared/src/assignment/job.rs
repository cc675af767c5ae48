//! Running an [`AssignProvider`] job: re-read the booking (only while the job's lease
//! holds), choose a provider by the rule of [`matching`](super::matching), and either
//! assign it or record why nobody could be; all in one transaction, fenced on the lease.

use tracing::Instrument;

use db::{dialect, on, ts};
use queue::{BoxError, ClaimedJob, Handler, JobKind};

use super::attempt::{self, AttemptOutcome};
use super::sql::{postgres, sqlite};
use super::{AssignProvider, Assignment, cycle, matching};
use crate::Status;
use crate::booking::Booking;
use crate::booking::rows::{self, BookingRow};
use crate::error::{DomainError, StoreError};

/// What running an assignment job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentOutcome {
    /// The booking was assigned to this provider; the job is done.
    Assigned { provider_id: i64 },
    /// Nobody eligible: the attempt failed; the job is retrying or dead.
    NoProvider { dead: bool },
    /// The booking no longer awaits assignment or the cycle was superseded; done.
    NoOp,
    /// The lease was lost (expired and reclaimed): nothing was changed.
    LeaseLost,
}

impl AssignmentOutcome {
    /// Its name in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            AssignmentOutcome::Assigned { .. } => "assigned",
            AssignmentOutcome::NoProvider { .. } => "no_provider",
            AssignmentOutcome::NoOp => "noop",
            AssignmentOutcome::LeaseLost => "lease_lost",
        }
    }
}

/// How many times a transaction that meets a busy database is tried.
const TRIES: u32 = 8;

impl Assignment {
    /// Runs one attempt of an assignment job (see the module documentation).
    pub async fn run(&self, job: &ClaimedJob) -> Result<AssignmentOutcome, StoreError> {
        let payload: AssignProvider = job
            .payload_as()
            .map_err(|e| sqlx::Error::Decode(e.into()))?;
        let span = tracing::info_span!(
            "assign",
            booking_id = payload.booking_id,
            cycle = payload.cycle
        );
        let outcome = queue::retry_transient("assigning", TRIES, || self.try_run(job, payload))
            .instrument(span)
            .await?;
        metrics::counter!("assignment_attempts_total", "outcome" => outcome.label()).increment(1);
        match &outcome {
            AssignmentOutcome::Assigned { provider_id } => {
                tracing::info!(
                    booking_id = payload.booking_id,
                    provider_id,
                    "booking assigned"
                )
            }
            AssignmentOutcome::NoProvider { dead } => {
                tracing::info!(
                    booking_id = payload.booking_id,
                    dead,
                    "no eligible provider"
                )
            }
            AssignmentOutcome::NoOp => tracing::debug!("nothing to do"),
            AssignmentOutcome::LeaseLost => {
                tracing::warn!("lease lost; another worker runs this job")
            }
        }
        Ok(outcome)
    }

    async fn try_run(
        &self,
        job: &ClaimedJob,
        payload: AssignProvider,
    ) -> Result<AssignmentOutcome, StoreError> {
        let mut tx = self.db.write().await?;
        let now = ts(tx.now());
        // The fence and the read in one round trip: the booking comes back only if this
        // claim still holds the job.
        let sql = dialect!(tx, sqlite: sqlite::FENCED_BOOKING, postgres: postgres::FENCED_BOOKING);
        let fenced: Option<BookingRow> = on!(tx, |c| {
            sqlx::query_as(sql)
                .bind(job.id())
                .bind(&job.lease.token)
                .bind(now)
                .bind(payload.booking_id)
                .fetch_optional(c)
                .await
        })?;
        let Some(booking) = fenced.map(Booking::try_from).transpose()? else {
            return Ok(AssignmentOutcome::LeaseLost);
        };
        if !booking.status.awaits_assignment() || booking.assignment_cycle != payload.cycle {
            queue::complete(&mut tx, &job.lease).await?;
            tx.commit().await?;
            return Ok(AssignmentOutcome::NoOp);
        }
        let outcome = match matching::choose_for(&mut tx, &booking).await? {
            Some(provider_id) => {
                let reason = format!(
                    "assigned automatically (attempt {} of {})",
                    job.attempt, job.max_attempts
                );
                let sql = dialect!(tx, sqlite: sqlite::ASSIGN, postgres: postgres::ASSIGN);
                let chained: i64 = on!(tx, |c| {
                    sqlx::query_scalar(sql)
                        .bind(booking.id)
                        .bind(booking.version)
                        .bind(Status::Assigned.as_str())
                        .bind(provider_id)
                        .bind(now)
                        .bind(booking.status.as_str())
                        .bind(&self.worker)
                        .bind(&reason)
                        .bind(booking.assignment_cycle)
                        .bind(job.attempt)
                        .bind(job.id())
                        .bind(&job.lease.token)
                        .fetch_one(c)
                        .await
                })?;
                if chained != 1 {
                    // Impossible under the write lock (SQLite) or the booking's row lock
                    // (PostgreSQL); refuse rather than assign twice.
                    return Err(DomainError::VersionConflict {
                        expected: booking.version,
                        actual: -1,
                    }
                    .into());
                }
                let waited = (tx.now() - booking.created_at).num_milliseconds().max(0);
                metrics::histogram!("assignment_create_to_assigned_seconds")
                    .record(waited as f64 / 1000.0);
                AssignmentOutcome::Assigned { provider_id }
            }
            None => {
                let error = format!(
                    "no eligible provider offers {} right now",
                    booking.service_type
                );
                attempt::record(
                    &mut tx,
                    &booking,
                    job.attempt,
                    None,
                    AttemptOutcome::NoProvider,
                    Some(&error),
                )
                .await?;
                let Some(failure) = queue::fail(&mut tx, &job.lease, &error).await? else {
                    return Ok(AssignmentOutcome::LeaseLost);
                };
                cycle::after_failure(&mut tx, &booking, failure, &error).await?;
                AssignmentOutcome::NoProvider {
                    dead: failure.is_dead(),
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Records that a run of `job` failed with `error` (an error, a timeout, a panic, a
    /// lost lease): for a job still in force, a failed attempt, retried with backoff or
    /// dead after the last; for one whose booking moved on, simply done. Fenced.
    pub async fn record_failure(&self, job: &ClaimedJob, error: &str) -> Result<(), StoreError> {
        let payload: AssignProvider = job
            .payload_as()
            .map_err(|e| sqlx::Error::Decode(e.into()))?;
        let mut recorded = false;
        let mut tx = self.db.write().await?;
        if !queue::touch(&mut tx, &job.lease).await? {
            return Ok(());
        }
        let booking = rows::lock(&mut tx, payload.booking_id).await?;
        if !booking.status.awaits_assignment() || booking.assignment_cycle != payload.cycle {
            queue::complete(&mut tx, &job.lease).await?;
        } else {
            recorded = true;
            let error = format!("error while assigning ({}): {error}", self.worker);
            attempt::record(
                &mut tx,
                &booking,
                job.attempt,
                None,
                AttemptOutcome::Error,
                Some(&error),
            )
            .await?;
            if let Some(failure) = queue::fail(&mut tx, &job.lease, &error).await? {
                cycle::after_failure(&mut tx, &booking, failure, &error).await?;
            }
        }
        tx.commit().await?;
        if recorded {
            metrics::counter!("assignment_attempts_total", "outcome" => "error").increment(1);
        }
        Ok(())
    }
}

impl Handler for Assignment {
    type Output = AssignmentOutcome;

    fn queue(&self) -> &'static str {
        AssignProvider::QUEUE
    }

    async fn run(&self, job: &ClaimedJob) -> Result<AssignmentOutcome, BoxError> {
        Assignment::run(self, job).await.map_err(StoreError::boxed)
    }

    async fn failed(&self, job: &ClaimedJob, error: &str) -> Result<(), BoxError> {
        self.record_failure(job, error)
            .await
            .map_err(StoreError::boxed)
    }
}

#[cfg(test)]
mod tests {
    //! The chained assignment against the same writes made one statement at a time.

    use std::sync::Arc;

    use db::{Db, ManualClock};

    use super::*;
    use crate::booking::history::{self, HistoryNote};
    use crate::booking::intake::tests::{BOOKING_COLUMNS, HISTORY_COLUMNS, JOB_COLUMNS, rows_of};
    use crate::booking::validation::BookingInput;
    use crate::{Actor, Bookings, Providers, Role};

    const ATTEMPT_COLUMNS: &[&str] = &[
        "cycle",
        "attempt",
        "provider_id",
        "outcome",
        "reason",
        "created_at",
        "updated_at",
    ];

    #[tokio::test]
    async fn the_chained_assignment_and_the_step_by_step_one_leave_identical_rows() {
        let database = testkit::TestDatabase::create().await;
        let clock = ManualClock::new("2026-12-02T10:00:00Z".parse().unwrap());
        let db = Db::connect(&database.url)
            .await
            .unwrap()
            .with_clock(Arc::new(clock));
        db.migrate().await.unwrap();
        let customer = crate::account::Accounts::new(db.clone())
            .create_user(crate::account::NewUser {
                email: "c@example.com".into(),
                name: "C".into(),
                password_hash: "x".into(),
                role: Role::Customer,
            })
            .await
            .unwrap()
            .actor();
        let provider = Providers::new(db.clone())
            .create(crate::provider::NewProvider {
                name: "Pat".into(),
                email: "pat@example.com".into(),
                service_types: vec!["plumbing".into()],
                available: true,
                rating: 4.0,
                ..Default::default()
            })
            .await
            .unwrap()
            .id;
        let policy = queue::RetryPolicy::default();
        let bookings = Bookings::new(db.clone(), policy);
        let input = BookingInput {
            customer_name: "Ada".into(),
            customer_phone: "555 010 0199".into(),
            customer_email: "ada@example.com".into(),
            service_type: "plumbing".into(),
            address: "1 Pipe Lane".into(),
            scheduled_date: "2026-12-05T10:00:00Z".into(),
            notes: None,
        };
        let mut ids = Vec::new();
        for _ in 0..2 {
            let new = input.validate(db.now()).unwrap();
            ids.push(bookings.create(&customer, new, None).await.unwrap().0.id);
        }
        let queue = queue::Queue::new(db.clone());
        let lease = std::time::Duration::from_secs(10);
        let jobs = queue
            .claim(AssignProvider::QUEUE, "w", 2, lease)
            .await
            .unwrap();
        let assignment = Assignment::new(db.clone(), "w");
        assert_eq!(
            assignment.run(&jobs[0]).await.unwrap(),
            AssignmentOutcome::Assigned {
                provider_id: provider
            }
        );

        // The same, step by step.
        let job = &jobs[1];
        let mut tx = db.write().await.unwrap();
        assert!(queue::touch(&mut tx, &job.lease).await.unwrap());
        let booking = rows::lock(&mut tx, ids[1]).await.unwrap();
        assert_eq!(
            matching::choose_for(&mut tx, &booking).await.unwrap(),
            Some(provider)
        );
        let updated = rows::compare_and_set(&mut tx, &booking, Status::Assigned, Some(provider))
            .await
            .unwrap();
        let note = HistoryNote {
            old_status: Some(Status::Pending),
            reason: Some("assigned automatically (attempt 1 of 4)".into()),
            is_override: false,
            provider_id: Some(provider),
        };
        history::append(&mut tx, &updated, &Actor::system("w"), &note)
            .await
            .unwrap();
        attempt::record(
            &mut tx,
            &updated,
            1,
            Some(provider),
            AttemptOutcome::Assigned,
            None,
        )
        .await
        .unwrap();
        assert!(queue::complete(&mut tx, &job.lease).await.unwrap());
        tx.commit().await.unwrap();

        for (table, key, columns) in [
            ("bookings", "id", BOOKING_COLUMNS),
            ("booking_history", "booking_id", HISTORY_COLUMNS),
            ("assignment_attempts", "booking_id", ATTEMPT_COLUMNS),
            ("jobs", "subject_id", JOB_COLUMNS),
        ] {
            let chained = rows_of(&db, table, key, ids[0], columns).await;
            let stepped = rows_of(&db, table, key, ids[1], columns).await;
            assert!(!chained.is_empty(), "{table}");
            assert_eq!(chained, stepped, "{table}");
        }
    }
}

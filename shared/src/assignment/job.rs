//! Running the assignment queue's jobs. An [`AssignProvider`] job: re-read the booking
//! (only while the job's lease holds), choose a provider by the rule of
//! [`matching`](super::matching), and either assign it (an offer, which will expire
//! unless answered) or record why nobody could be; all in one transaction, fenced on
//! the lease. An [`ExpireOffer`] job: if the offer it is about is still unanswered,
//! expire it (a failed attempt, as a rejection is).

use tracing::Instrument;

use db::{dialect, on, ts};
use queue::{BoxError, ClaimedJob, Handler, JobKind};

use super::attempt::{self, AttemptOutcome};
use super::sql::{postgres, sqlite};
use super::{AssignProvider, Assignment, ExpireOffer, cycle, matching};
use crate::booking::Booking;
use crate::booking::rows::{self, BookingRow};
use crate::booking::transition::Change;
use crate::error::{Again, DomainError, StoreError};
use crate::{Actor, Status};

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
    /// The offer to this provider was not answered in time: it expired.
    Expired { provider_id: i64 },
}

impl AssignmentOutcome {
    /// Its name in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            AssignmentOutcome::Assigned { .. } => "assigned",
            AssignmentOutcome::NoProvider { .. } => "no_provider",
            AssignmentOutcome::NoOp => "noop",
            AssignmentOutcome::LeaseLost => "lease_lost",
            AssignmentOutcome::Expired { .. } => "expired",
        }
    }
}

/// How many times a transaction that meets a busy database is tried.
const TRIES: u32 = 8;
/// An assignment is worked out again when, on PostgreSQL, another assignment gave the
/// chosen provider an overlapping booking after this one read who was free.
const CHOOSING_AGAIN: Again = Again {
    when: rows::is_overlap,
    tries: 4,
    what: "the chosen provider was just given an overlapping booking; choosing again",
};

impl Assignment {
    /// Runs one attempt of a job of the assignment queue (see the module documentation),
    /// in a transaction of its own.
    pub async fn run(&self, job: &ClaimedJob) -> Result<AssignmentOutcome, StoreError> {
        if job.kind == ExpireOffer::KIND {
            return self.expire(job).await;
        }
        let payload = payload_of(job)?;
        let outcome = CHOOSING_AGAIN
            .run(|| {
                queue::retry_transient("assigning", TRIES, || self.try_run(job, payload))
                    .instrument(span_of(payload))
            })
            .await?;
        report(payload, &outcome);
        Ok(outcome)
    }

    /// Runs an [`ExpireOffer`] job: expires the offer if it is still the booking's and
    /// unanswered; otherwise does nothing. Either way the job is done.
    async fn expire(&self, job: &ClaimedJob) -> Result<AssignmentOutcome, StoreError> {
        let payload: ExpireOffer = job
            .payload_as()
            .map_err(|e| sqlx::Error::Decode(e.into()))?;
        let span = tracing::info_span!("expire_offer", booking_id = payload.booking_id);
        let outcome =
            queue::retry_transient("expiring an offer", TRIES, || self.try_expire(job, payload))
                .instrument(span)
                .await?;
        if let AssignmentOutcome::Expired { provider_id } = outcome {
            metrics::counter!("assignment_attempts_total", "outcome" => "expired").increment(1);
            tracing::info!(
                booking_id = payload.booking_id,
                provider_id,
                "offer expired"
            );
        }
        Ok(outcome)
    }

    async fn try_expire(
        &self,
        job: &ClaimedJob,
        offer: ExpireOffer,
    ) -> Result<AssignmentOutcome, StoreError> {
        let mut tx = self.db.write().await?;
        if !queue::touch(&mut tx, &job.lease).await? {
            return Ok(AssignmentOutcome::LeaseLost);
        }
        let booking = rows::lock(&mut tx, offer.booking_id).await?;
        let unanswered = booking.status == Status::Assigned
            && booking.assignment_cycle == offer.cycle
            && booking.provider_id == Some(offer.provider_id)
            && attempt::open_attempt(&mut tx, &booking).await? == Some(offer.attempt);
        let outcome = if unanswered {
            let change = Change::ExpireOffer {
                after: std::time::Duration::from_secs(offer.offer_timeout_secs),
            };
            crate::booking::write::apply(
                &mut tx,
                &Actor::system(&self.worker),
                &booking,
                &change,
                None,
                self.policy,
            )
            .await?;
            AssignmentOutcome::Expired {
                provider_id: offer.provider_id,
            }
        } else {
            AssignmentOutcome::NoOp
        };
        queue::complete(&mut tx, &job.lease).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn try_run(
        &self,
        job: &ClaimedJob,
        payload: AssignProvider,
    ) -> Result<AssignmentOutcome, StoreError> {
        let mut tx = self.db.write().await?;
        let outcome = self.assign_in(&mut tx, job, payload, None).await?;
        if outcome != AssignmentOutcome::LeaseLost {
            tx.commit().await?;
            metrics::counter!("assignment_transactions_total").increment(1);
        }
        Ok(outcome)
    }

    /// The attempt of `job` (an [`AssignProvider`] job with `payload`), written in `tx`
    /// and not committed; with `savepoint`, after a savepoint of that name. When it
    /// answers [`AssignmentOutcome::LeaseLost`] or fails, what it wrote must not be
    /// committed: the caller rolls it back (to the savepoint, which may not have been
    /// taken if it failed).
    pub(super) async fn assign_in(
        &self,
        tx: &mut db::Tx,
        job: &ClaimedJob,
        payload: AssignProvider,
        savepoint: Option<&str>,
    ) -> Result<AssignmentOutcome, StoreError> {
        let now = ts(tx.now());
        if let Some(name) = savepoint {
            let savepoint = sqlx::AssertSqlSafe(format!("SAVEPOINT {name}"));
            db::exec!(tx, |c| sqlx::raw_sql(savepoint).execute(c).await)?;
        }
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
        if !booking.awaits_assignment() || booking.assignment_cycle != payload.cycle {
            queue::complete(tx, &job.lease).await?;
            return Ok(AssignmentOutcome::NoOp);
        }
        // A shared transaction (one with savepoints) never waits for a provider another
        // holds: a job that would is tried again alone, after the others are committed.
        let wait = match savepoint {
            Some(_) => matching::Wait::Never,
            None => matching::Wait::ForTheBest,
        };
        let choice = matching::choose_for(tx, &booking, wait).await?;
        let (candidates, others) = attempt::stored(Some(&choice.explanation));
        let outcome = match choice.chosen {
            Some(provider_id) => {
                let write = self.assign_write(job, payload, &booking, provider_id, tx.now())?;
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
                        .bind(&write.reason)
                        .bind(booking.assignment_cycle)
                        .bind(job.attempt)
                        .bind(job.id())
                        .bind(&job.lease.token)
                        .bind(&candidates)
                        .bind(others)
                        .bind(ExpireOffer::QUEUE)
                        .bind(ExpireOffer::KIND)
                        .bind(sqlx::types::Json(&write.expiry))
                        .bind(i64::from(super::EXPIRY_RETRY.max_attempts))
                        .bind(super::EXPIRY_RETRY.base_ms())
                        .bind(ts(write.due))
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
                assigned_after(&booking, tx.now());
                AssignmentOutcome::Assigned { provider_id }
            }
            None => {
                let error = format!(
                    "no eligible provider for {} at {}",
                    booking.service_type,
                    crate::schedule::rules::wall_clock(booking.starts_at, booking.time_zone)
                );
                attempt::record(
                    tx,
                    &booking,
                    job.attempt,
                    None,
                    AttemptOutcome::NoProvider,
                    Some(&error),
                    Some(&choice.explanation),
                )
                .await?;
                let Some(failure) = queue::fail(tx, &job.lease, &error).await? else {
                    return Ok(AssignmentOutcome::LeaseLost);
                };
                cycle::after_failure(tx, &booking, failure, &error).await?;
                AssignmentOutcome::NoProvider {
                    dead: failure.is_dead(),
                }
            }
        };
        Ok(outcome)
    }

    /// The attempt of `job` (an [`AssignProvider`] job with `payload`) in a batch on a
    /// SQLite connection's own handle ([`db::Tx::direct`]), after a savepoint the caller
    /// took; `booking` as the batch read it. Only an attempt that assigns is written
    /// here. `None` is one that must run alone, through [`Assignment::run`]: its booking
    /// no longer awaits this job, nobody is eligible (the failed attempt's record is the
    /// general path's), or the write did not take (an earlier job of the batch changed
    /// the booking). On `None` and [`AssignmentOutcome::LeaseLost`] the caller rolls
    /// back to the savepoint.
    pub(super) fn assign_direct(
        &self,
        s: &mut db::Scripts<'_>,
        job: &ClaimedJob,
        payload: AssignProvider,
        booking: &Booking,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<AssignmentOutcome>, StoreError> {
        let at = ts(now).millis();
        let fenced: Option<i64> = s.scalar(sqlite::FENCE, &[&job.id(), &job.lease.token, &at])?;
        if fenced != Some(1) {
            return Ok(Some(AssignmentOutcome::LeaseLost));
        }
        if !booking.awaits_assignment() || booking.assignment_cycle != payload.cycle {
            return Ok(None);
        }
        let candidates = matching::candidates_direct(s, booking)?;
        let Some(provider_id) = matching::choose(&candidates) else {
            return Ok(None);
        };
        let explanation = matching::explain(&candidates, Some(provider_id));
        let (listed, others) = attempt::stored(Some(&explanation));
        let write = self.assign_write(job, payload, booking, provider_id, now)?;
        let expiry = write.expiry.to_string();
        let chained: Option<i64> = s.scalar(
            sqlite::ASSIGN,
            &[
                &booking.id,
                &booking.version,
                &Status::Assigned.as_str(),
                &provider_id,
                &at,
                &booking.status.as_str(),
                &self.worker,
                &write.reason,
                &booking.assignment_cycle,
                &job.attempt,
                &job.id(),
                &job.lease.token,
                &listed,
                &others,
                &ExpireOffer::QUEUE,
                &ExpireOffer::KIND,
                &expiry,
                &i64::from(super::EXPIRY_RETRY.max_attempts),
                &super::EXPIRY_RETRY.base_ms(),
                &ts(write.due).millis(),
            ],
        )?;
        if chained != Some(1) {
            return Ok(None);
        }
        assigned_after(booking, now);
        Ok(Some(AssignmentOutcome::Assigned { provider_id }))
    }

    /// What the chained write of an attempt that offers `booking` to `provider_id`
    /// writes besides the booking's own fields.
    fn assign_write(
        &self,
        job: &ClaimedJob,
        payload: AssignProvider,
        booking: &Booking,
        provider_id: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AssignWrite, StoreError> {
        let reason = format!(
            "assigned automatically (attempt {} of {})",
            job.attempt, job.max_attempts
        );
        // The job that ends the offer if nobody answers it, written in the chain. It is
        // never due at once (an offer lasts at least a second): nobody to wake.
        let timeout = std::time::Duration::from_secs(payload.offer_timeout_secs);
        let (expiry, due) = super::offer_expiry(booking, provider_id, job.attempt, timeout, now);
        let expiry = serde_json::to_value(expiry).map_err(|e| sqlx::Error::Encode(e.into()))?;
        Ok(AssignWrite {
            reason,
            expiry,
            due,
        })
    }

    /// Records that a run of `job` failed with `error` (an error, a timeout, a panic, a
    /// lost lease): for a job still in force, a failed attempt, retried with backoff or
    /// dead after the last; for one whose booking moved on, simply done. Fenced.
    pub async fn record_failure(&self, job: &ClaimedJob, error: &str) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        if !queue::touch(&mut tx, &job.lease).await? {
            return Ok(());
        }
        if job.kind == ExpireOffer::KIND {
            // The expiry is tried again soon; the booking is not touched meanwhile.
            queue::fail(&mut tx, &job.lease, error).await?;
            tx.commit().await?;
            return Ok(());
        }
        let payload = payload_of(job)?;
        let mut recorded = false;
        let booking = rows::lock(&mut tx, payload.booking_id).await?;
        if !booking.awaits_assignment() || booking.assignment_cycle != payload.cycle {
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
                None,
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

/// The payload of an [`AssignProvider`] job.
pub(super) fn payload_of(job: &ClaimedJob) -> Result<AssignProvider, StoreError> {
    Ok(job
        .payload_as()
        .map_err(|e| sqlx::Error::Decode(e.into()))?)
}

/// The span an assignment's work is logged in.
pub(super) fn span_of(payload: AssignProvider) -> tracing::Span {
    tracing::info_span!(
        "assign",
        booking_id = payload.booking_id,
        cycle = payload.cycle
    )
}

/// What an assignment's chained write (`ASSIGN`) writes besides the booking's own
/// fields: the history's reason, and the offer's expiry job and when it is due.
struct AssignWrite {
    reason: String,
    expiry: serde_json::Value,
    due: chrono::DateTime<chrono::Utc>,
}

/// Records how long `booking` waited from its creation to being assigned at `now`.
fn assigned_after(booking: &Booking, now: chrono::DateTime<chrono::Utc>) {
    let waited = (now - booking.created_at).num_milliseconds().max(0);
    metrics::histogram!("assignment_create_to_assigned_seconds").record(waited as f64 / 1000.0);
}

/// Counts and logs what an attempt of the job with `payload` did, once it is committed.
pub(super) fn report(payload: AssignProvider, outcome: &AssignmentOutcome) {
    metrics::counter!("assignment_attempts_total", "outcome" => outcome.label()).increment(1);
    match outcome {
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
        AssignmentOutcome::Expired { .. } => {}
    }
}

impl Handler for Assignment {
    type Output = AssignmentOutcome;

    fn queue(&self) -> &'static str {
        AssignProvider::QUEUE
    }

    async fn run(&self, job: &ClaimedJob) -> Result<AssignmentOutcome, BoxError> {
        self.run_batched(job).await.map_err(StoreError::boxed)
    }

    async fn failed(&self, job: &ClaimedJob, error: &str) -> Result<(), BoxError> {
        self.record_failure(job, error)
            .await
            .map_err(StoreError::boxed)
    }
}

#[cfg(test)]
mod tests {
    //! The chained assignment against the same writes made one statement at a time, and
    //! made in a batch.

    use std::sync::Arc;

    use db::{Db, ManualClock};

    use super::*;
    use crate::booking::history::{self, HistoryNote};
    use crate::booking::intake::tests::{BOOKING_COLUMNS, HISTORY_COLUMNS, JOB_COLUMNS, rows_of};
    use crate::booking::validation::BookingInput;
    use crate::error::tests::tried;
    use crate::{Actor, Bookings, Providers, Role};

    #[tokio::test]
    async fn an_assignment_beaten_to_its_provider_chooses_again_four_times_in_all() {
        let chosen = |beaten, then| tried(&CHOOSING_AGAIN, "23P01", beaten, then);
        let (answer, tries) = chosen(3, None).await;
        assert_eq!((answer.unwrap(), tries), (4, 4));
        let (answer, tries) = chosen(u32::MAX, None).await;
        assert!(matches!(answer, Err(StoreError::Db(e)) if rows::is_overlap(&e)));
        assert_eq!(tries, 4);
        // Any other failure is answered at once.
        let (answer, tries) = chosen(0, Some(sqlx::Error::RowNotFound)).await;
        assert!(matches!(
            answer,
            Err(StoreError::Db(db::Error::Sqlx(sqlx::Error::RowNotFound)))
        ));
        assert_eq!(tries, 1);
    }

    const ATTEMPT_COLUMNS: &[&str] = &[
        "cycle",
        "attempt",
        "provider_id",
        "outcome",
        "reason",
        "candidates",
        "others_not_listed",
        "created_at",
        "updated_at",
    ];

    #[tokio::test]
    async fn the_chained_assignment_the_step_by_step_one_and_a_batch_leave_identical_rows() {
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
            .create(
                &crate::Actor::system("setup"),
                crate::provider::NewProvider {
                    name: "Pat".into(),
                    email: "pat@example.com".into(),
                    service_types: vec!["plumbing".into()],
                    available: true,
                    rating: 4.0,
                    ..Default::default()
                },
            )
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
            starts_at: "2026-12-05T10:00:00Z".into(),
            starts_at_field: "starts_at",
            time_zone: None,
            notes: None,
        };
        // On four days, so that the one provider is free for each, and as loaded each day.
        let mut ids = Vec::new();
        for day in ["2026-12-05", "2026-12-06", "2026-12-07", "2026-12-08"] {
            let input = BookingInput {
                starts_at: format!("{day}T10:00:00Z"),
                ..input.clone()
            };
            let new = input
                .validate(db.now(), &crate::schedule::ScheduleRules::default())
                .unwrap();
            ids.push(bookings.create(&customer, new, None).await.unwrap().0.id);
        }
        let queue = queue::Queue::new(db.clone());
        let lease = std::time::Duration::from_secs(10);
        let jobs = queue
            .claim(AssignProvider::QUEUE, "w", 4, lease)
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
        let choice = matching::choose_for(&mut tx, &booking, matching::Wait::ForTheBest)
            .await
            .unwrap();
        assert_eq!(choice.chosen, Some(provider));
        let updated = rows::compare_and_set(
            &mut tx,
            &booking,
            Status::Assigned,
            Some(provider),
            rows::CasExtra::default(),
        )
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
            Some(&choice.explanation),
        )
        .await
        .unwrap();
        super::super::offer(&mut tx, &updated, 1, std::time::Duration::from_secs(900))
            .await
            .unwrap();
        assert!(queue::complete(&mut tx, &job.lease).await.unwrap());
        tx.commit().await.unwrap();

        // And two in a batch (on SQLite, on the connection's own handle).
        let outcomes = assignment.run_together(&[&jobs[2], &jobs[3]]).await;
        for outcome in outcomes {
            assert_eq!(
                outcome.unwrap(),
                AssignmentOutcome::Assigned {
                    provider_id: provider
                }
            );
        }

        let same_but_the_day: Vec<&str> = BOOKING_COLUMNS
            .iter()
            .copied()
            .filter(|c| !matches!(*c, "starts_at" | "ends_at"))
            .collect();
        for (table, key, columns) in [
            ("bookings", "id", same_but_the_day.as_slice()),
            ("booking_history", "booking_id", HISTORY_COLUMNS),
            ("assignment_attempts", "booking_id", ATTEMPT_COLUMNS),
            ("jobs", "subject_id", JOB_COLUMNS),
        ] {
            let chained = rows_of(&db, table, key, ids[0], columns).await;
            assert!(!chained.is_empty(), "{table}");
            for (how, id) in [
                ("step by step", ids[1]),
                ("batched", ids[2]),
                ("batched", ids[3]),
            ] {
                let rows = rows_of(&db, table, key, id, columns).await;
                assert_eq!(chained, rows, "{table}, {how}");
            }
        }

        // A batch reads its bookings together: those that exist, each as read alone.
        let mut tx = db.read().await.unwrap();
        let each = rows::fetch_each(&mut tx, &[ids[3], ids[0], -1])
            .await
            .unwrap();
        assert_eq!(each.len(), 2);
        for id in [ids[0], ids[3]] {
            assert_eq!(each[&id], rows::fetch(&mut tx, id).await.unwrap());
        }
    }
}

//! Creating bookings: each written with its first history row, its first assignment job
//! and its idempotency key in one transaction; bookings asked for at the same time share
//! one (group commit).
//!
//! What a booking's write costs is mostly what surrounds it rather than its rows: on
//! SQLite the transaction (`BEGIN IMMEDIATE` and `COMMIT`, each a hand-off to the
//! connection's thread, and the commit's write to the log; one writer at a time); on
//! PostgreSQL each statement's start, its triggers' and constraints' set-up, its round
//! trip and its commit. So bookings go through one task per process, which writes those
//! waiting together: under load, many per commit; alone, one, as it would be without
//! the task. SQLite writes them in one transaction, each in a savepoint; PostgreSQL in
//! one statement over arrays ([`postgres::CREATE_MANY`]). Each booking still succeeds or
//! fails on its own: on SQLite a booking refused (an unknown service, an idempotency key
//! reused) leaves nothing behind and the others go on; if the transaction or statement
//! fails (on PostgreSQL, for any booking of it), nothing of it was written and each
//! booking is tried again in a transaction of its own, so that each gets its own answer;
//! if it cannot start, each gets that error. A booking whose caller has stopped waiting
//! (a request timed out or was dropped) before its turn is not written. The task is
//! started by the first booking, again if it ever stopped, and ends when the last handle
//! on the room is gone.
//!
//! On PostgreSQL a booking with an idempotency key is written by a statement of its own,
//! beside the task: it may find the booking an earlier request made, or race another
//! request with the same key, and either needs its own answer.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use db::{Backend, Tx, dialect, exec, on, ts};
use queue::JobKind;

use super::rows::{self, BookingRow};
use super::sql::{postgres, sqlite};
use super::validation::NewBooking;
use super::{Booking, Bookings};
use crate::assignment::{AssignProvider, AssignmentPolicy};
use crate::error::{DomainError, StoreError};
use crate::schedule::rules::wall_clock;
use crate::schedule::{self, Servable};
use crate::{Actor, Role};

/// At most this many bookings share a transaction (and the write lock, meanwhile).
const MAX_BATCH: usize = 64;
/// Bookings waiting for the task; further requests wait to hand theirs over.
const QUEUE: usize = 1024;

/// An `Idempotency-Key` as received, with the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    /// The request body in a canonical form; only its SHA-256 is stored.
    pub canonical_request: String,
}

type Outcome = Result<(Booking, bool), StoreError>;

/// A booking to write, as checked, with the time it was asked for.
#[derive(Debug)]
pub(super) struct BookingWrite {
    actor: Actor,
    user_id: i64,
    new: NewBooking,
    key: Option<String>,
    /// The SHA-256 of the canonical request, when there is a key.
    hash: Option<String>,
    /// Where its window ends: its service's duration after its start.
    ends_at: DateTime<Utc>,
    policy: AssignmentPolicy,
}

/// A booking handed to the task, with where its answer goes.
#[derive(Debug)]
pub(super) struct Pending {
    write: BookingWrite,
    answer: oneshot::Sender<Outcome>,
}

/// The way to the room's intake task, while it runs.
pub(super) type Intake = db::lane::Lane<Pending>;

/// How writing a batch together went.
enum Together {
    /// Committed; each booking's outcome, in order.
    Written(Vec<Outcome>),
    /// The transaction could not start: nothing was tried.
    NotStarted(db::Error),
    /// It failed partway or at commit: nothing of it was written.
    Failed(StoreError),
}

impl Bookings {
    /// Writes a booking, its first history row and its first assignment job in one
    /// transaction. With an idempotency key already used for the same request, returns
    /// the booking it created and `false`; used for another request, a conflict.
    pub async fn create(
        &self,
        actor: &Actor,
        new: NewBooking,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<(Booking, bool), StoreError> {
        let user_id = match (actor.role, actor.user_id) {
            (Role::Customer | Role::Admin, Some(id)) => id,
            (role, _) => return Err(DomainError::not_permitted(role, "book a service").into()),
        };
        let ends_at = self.admit(user_id, &new, idempotency.as_ref()).await?;
        let write = BookingWrite {
            actor: actor.clone(),
            user_id,
            hash: idempotency
                .as_ref()
                .map(|k| hex::encode(Sha256::digest(k.canonical_request.as_bytes()))),
            key: idempotency.map(|k| k.key),
            new,
            ends_at,
            policy: self.assignment_policy(),
        };
        match (self.db.backend(), &write.key) {
            (Backend::Postgres, Some(_)) => match self.create_alone(&write).await {
                // Two requests with one key raced (both looked before either wrote); the
                // loser finds the winner's booking now.
                Err(StoreError::Db(db::Error::Sqlx(sqlx::Error::Database(e))))
                    if e.is_unique_violation() =>
                {
                    self.create_alone(&write).await
                }
                result => result,
            },
            _ => self.create_in_intake(write).await,
        }
    }

    /// The booking an earlier request with this idempotency key made, if one did: asked
    /// before the request is checked, so that a retry gets the first answer even when the
    /// clock has since moved past what a new booking may ask (the lead time). A key used
    /// for another request is a conflict.
    pub async fn replayed(
        &self,
        actor: &Actor,
        idempotency: &IdempotencyKey,
    ) -> Result<Option<Booking>, StoreError> {
        let Some(user_id) = actor.user_id else {
            return Ok(None);
        };
        let hash = hex::encode(Sha256::digest(idempotency.canonical_request.as_bytes()));
        let mut tx = self.db.read().await?;
        replay(&mut tx, user_id, &idempotency.key, &hash).await
    }

    /// Checks that someone could serve `new` then, and returns where its window ends. A
    /// request repeated with its idempotency key is let through: it finds its booking.
    async fn admit(
        &self,
        user_id: i64,
        new: &NewBooking,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let seen = match idempotency {
            Some(key) => on!(self.db, |p| {
                sqlx::query_scalar::<_, i64>(
                    "SELECT booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
                )
                .bind(user_id)
                .bind(&key.key)
                .fetch_optional(p)
                .await
            })?
            .is_some(),
            None => false,
        };
        let Some(((_, ends_at), servable)) =
            schedule::admission(&self.db, &new.service_type, new.starts_at).await?
        else {
            return Err(DomainError::field(
                "service_type",
                format!("`{}` is not a service type we offer", new.service_type),
            )
            .into());
        };
        if seen {
            return Ok(ends_at);
        }
        match servable {
            Servable::By(_) => Ok(ends_at),
            Servable::NobodyOffers => Err(DomainError::field(
                "service_type",
                format!("nobody offers {} at the moment", new.service_type),
            )
            .into()),
            Servable::NobodyFree => Err(DomainError::field(
                new.starts_at_field,
                format!(
                    "nobody can do {} at {}: someone took that time first, or nobody works then; choose another time",
                    new.service_type,
                    wall_clock(new.starts_at, new.time_zone)
                ),
            )
            .into()),
        }
    }

    /// Deletes idempotency keys made before `before`; returns how many.
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.db.write().await?;
        let purged = exec!(tx, |c| {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(ts(before))
                .execute(c)
                .await
        })?;
        tx.commit().await?;
        Ok(purged)
    }

    /// Writes one booking in a transaction of its own: on PostgreSQL, its one statement
    /// ([`db::Db::write_one`]; looking up an idempotency key before it only reads).
    async fn create_alone(&self, write: &BookingWrite) -> Outcome {
        let mut tx = self.db.write_one().await?;
        let result = insert(&mut tx, write).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Writes `write` with whatever other bookings are waiting, and answers for it alone.
    async fn create_in_intake(&self, write: BookingWrite) -> Outcome {
        db::lane::ask(self.intake_queue(), |answer| Pending { write, answer }).await?
    }

    /// The running task's queue, starting the task if it is not running.
    fn intake_queue(&self) -> mpsc::Sender<Pending> {
        self.intake.queue(QUEUE, |receiver| {
            // The task's own handle has no intake: it must not keep itself alive.
            let writer = Bookings {
                intake: Intake::default(),
                ..self.clone()
            };
            writer.run_intake(receiver)
        })
    }

    async fn run_intake(self, mut receiver: mpsc::Receiver<Pending>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            self.write_batch(&mut batch).await;
        }
    }

    /// Writes `batch` together, and answers each booking of it.
    async fn write_batch(&self, batch: &mut Vec<Pending>) {
        batch.retain(|pending| !pending.answer.is_closed());
        match batch.len() {
            0 => {}
            1 => self.write_each_alone(batch).await,
            n => match self.write_together(batch).await {
                Together::Written(outcomes) => {
                    for (pending, outcome) in batch.drain(..).zip(outcomes) {
                        let _ = pending.answer.send(outcome);
                    }
                }
                Together::NotStarted(error) => {
                    let error = match error {
                        db::Error::Sqlx(e) => Arc::new(e),
                        db::Error::Shared(e) => e,
                        other => Arc::new(sqlx::Error::Protocol(other.to_string())),
                    };
                    for pending in batch.drain(..) {
                        let _ = pending
                            .answer
                            .send(Err(StoreError::Db(db::Error::Shared(error.clone()))));
                    }
                }
                Together::Failed(error) => {
                    tracing::warn!(%error, bookings = n, "a shared booking transaction failed; writing each booking alone");
                    self.write_each_alone(batch).await;
                }
            },
        }
    }

    /// Writes the bookings of `batch` one transaction each, skipping those nobody waits
    /// for any more.
    async fn write_each_alone(&self, batch: &mut Vec<Pending>) {
        for pending in batch.drain(..) {
            if !pending.answer.is_closed() {
                let outcome = self.create_alone(&pending.write).await;
                let _ = pending.answer.send(outcome);
            }
        }
    }

    /// Every booking of `batch` in one transaction, each with its own outcome.
    async fn write_together(&self, batch: &[Pending]) -> Together {
        match self.db.backend() {
            Backend::Sqlite => self.write_together_in_savepoints(batch).await,
            Backend::Postgres => self.write_together_in_one_statement(batch).await,
        }
    }

    /// PostgreSQL: the bookings of `batch` (none with an idempotency key: those are
    /// written alone) in one statement, which writes all or none of them.
    async fn write_together_in_one_statement(&self, batch: &[Pending]) -> Together {
        debug_assert!(batch.iter().all(|p| p.write.key.is_none()));
        let mut tx = match self.db.write_one().await {
            Ok(tx) => tx,
            Err(e) => return Together::NotStarted(e),
        };
        // The bookings' first assignment jobs are due at once: idle workers are woken at
        // commit.
        tx.wake(AssignProvider::QUEUE);
        let written = match insert_together(&mut tx, batch).await {
            Ok(bookings) => bookings,
            Err(e) => return Together::Failed(e.into()),
        };
        match tx.commit().await {
            Ok(()) => Together::Written(written.into_iter().map(|b| Ok((b, true))).collect()),
            Err(e) => Together::Failed(e.into()),
        }
    }

    /// SQLite: the bookings of `batch` in one transaction, each in a savepoint of its own.
    async fn write_together_in_savepoints(&self, batch: &[Pending]) -> Together {
        let mut tx = match self.db.write().await {
            Ok(tx) => tx,
            Err(e) => return Together::NotStarted(e),
        };
        let mut outcomes = Vec::with_capacity(batch.len());
        for pending in batch {
            match insert(&mut tx, &pending.write).await {
                Err(StoreError::Domain(refused)) => outcomes.push(Err(refused.into())),
                Err(e) => return Together::Failed(e),
                written => outcomes.push(written),
            }
        }
        match tx.commit().await {
            Ok(()) => Together::Written(outcomes),
            Err(e) => Together::Failed(e.into()),
        }
    }
}

/// PostgreSQL: writes the bookings of `batch` in `tx` with one statement; returns them in
/// the batch's order.
async fn insert_together(tx: &mut Tx, batch: &[Pending]) -> Result<Vec<Booking>, sqlx::Error> {
    let now = ts(tx.now()).0;
    let db::Either::Postgres(c) = tx.split() else {
        unreachable!("bookings are written together in one statement on PostgreSQL only");
    };
    // One array per column, in the batch's order.
    fn each<'a, T>(batch: &'a [Pending], f: impl Fn(&'a BookingWrite) -> T) -> Vec<T> {
        batch.iter().map(|p| f(&p.write)).collect()
    }
    let rows: Vec<BookingRow> = sqlx::query_as(postgres::CREATE_MANY)
        .bind(now)
        .bind(AssignProvider::QUEUE)
        .bind(AssignProvider::KIND)
        .bind(each(batch, |w| w.user_id))
        .bind(each(batch, |w| w.new.customer_name.as_str()))
        .bind(each(batch, |w| w.new.customer_phone.as_str()))
        .bind(each(batch, |w| w.new.customer_email.as_str()))
        .bind(each(batch, |w| w.new.service_type.as_str()))
        .bind(each(batch, |w| w.new.address.as_str()))
        .bind(each(batch, |w| ts(w.new.starts_at).0))
        .bind(each(batch, |w| ts(w.ends_at).0))
        .bind(each(batch, |w| w.new.time_zone.name()))
        .bind(each(batch, |w| w.new.notes.as_deref()))
        .bind(each(batch, |w| w.actor.user_id))
        .bind(each(batch, |w| w.actor.name.as_str()))
        .bind(each(batch, |w| w.actor.role.as_str()))
        .bind(each(batch, |w| i64::from(w.policy.retry.max_attempts)))
        .bind(each(batch, |w| w.policy.retry.base_ms()))
        .bind(each(batch, |w| {
            i64::try_from(w.policy.offer_timeout.as_secs()).unwrap_or(i64::MAX)
        }))
        .fetch_all(&mut *c)
        .await?;
    if rows.len() != batch.len() {
        return Err(sqlx::Error::Protocol(format!(
            "writing {} bookings returned {} rows",
            batch.len(),
            rows.len()
        )));
    }
    rows.into_iter().map(Booking::try_from).collect()
}

/// The booking `key` of `user_id` already made, for a request of this `hash`; a
/// conflict when the key was used for another request.
async fn replay(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
    hash: &str,
) -> Result<Option<Booking>, StoreError> {
    let seen: Option<(String, i64)> = on!(tx, |c| {
        sqlx::query_as(
            "SELECT request_hash, booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(c)
        .await
    })?;
    let Some((seen_hash, booking_id)) = seen else {
        return Ok(None);
    };
    if seen_hash != hash {
        return Err(DomainError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was already used for a different booking request".into(),
        }
        .into());
    }
    Ok(Some(rows::fetch(tx, booking_id).await?))
}

/// Writes `write` in `tx`, or finds the booking its idempotency key already made. On
/// failure nothing of it is left in `tx` (on SQLite its statements run inside a
/// savepoint, rolled back on error), so that a transaction holding several bookings
/// can go on with the others when it fails with a [`StoreError::Domain`] error.
async fn insert(tx: &mut Tx, write: &BookingWrite) -> Result<(Booking, bool), StoreError> {
    let BookingWrite {
        actor,
        user_id,
        new,
        key,
        hash,
        ends_at,
        policy,
    } = write;
    if let (Some(key), Some(hash)) = (key, hash)
        && let Some(booking) = replay(tx, *user_id, key, hash).await?
    {
        return Ok((booking, false));
    }
    let now = ts(tx.now());
    // The booking's first assignment job is due at once: idle workers are woken at commit.
    tx.wake(AssignProvider::QUEUE);
    let sql = dialect!(tx, sqlite: sqlite::CREATE, postgres: postgres::CREATE);
    let written = on!(tx, |c| {
        sqlx::query_as::<_, BookingRow>(sql)
            .bind(user_id)
            .bind(&new.customer_name)
            .bind(&new.customer_phone)
            .bind(&new.customer_email)
            .bind(&new.service_type)
            .bind(&new.address)
            .bind(ts(new.starts_at))
            .bind(&new.notes)
            .bind(now)
            .bind(actor.user_id)
            .bind(&actor.name)
            .bind(actor.role.as_str())
            .bind(AssignProvider::QUEUE)
            .bind(AssignProvider::KIND)
            .bind(i64::from(policy.retry.max_attempts))
            .bind(key)
            .bind(hash)
            .bind(policy.retry.base_ms())
            .bind(ts(*ends_at))
            .bind(new.time_zone.name())
            .bind(i64::try_from(policy.offer_timeout.as_secs()).unwrap_or(i64::MAX))
            .fetch_all(c)
            .await
    })
    .and_then(|rows| match <[BookingRow; 1]>::try_from(rows) {
        Ok([row]) => Booking::try_from(row),
        Err(rows) => Err(sqlx::Error::Protocol(format!(
            "writing a booking returned {} rows",
            rows.len()
        ))),
    });
    let error = match written {
        Ok(booking) => return Ok((booking, true)),
        Err(e) => e,
    };
    if tx.backend() == Backend::Sqlite {
        let undone = exec!(tx, |c| sqlx::raw_sql(sqlite::UNDO_CREATE).execute(c).await);
        // SQLite ends the whole transaction on some errors (full, I/O, busy); then the
        // savepoint is gone with it, and the error that did it is the one to report, as
        // a failure of the transaction, not of this booking alone.
        if let Err(undo) = undone {
            tracing::debug!(%undo, "no savepoint to roll back to");
            return Err(error.into());
        }
    }
    Err(match error {
        // The service type is the only foreign key a client chooses.
        sqlx::Error::Database(e) if e.is_foreign_key_violation() => DomainError::field(
            "service_type",
            format!("`{}` is not a service type we offer", new.service_type),
        )
        .into(),
        e => e.into(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    //! The chained write against the same writes made one statement at a time.

    use std::sync::Arc;

    use db::{Db, ManualClock};

    use super::*;
    use crate::booking::history::{self, HistoryNote};
    use crate::booking::validation::BookingInput;

    /// Writes what [`insert`] writes, one statement at a time, with the helpers every
    /// other write uses.
    async fn insert_step_by_step(tx: &mut Tx, write: &BookingWrite) -> Booking {
        let now = ts(tx.now());
        let new = &write.new;
        let id: i64 = on!(tx, |c| {
            sqlx::query_scalar(concat!(
                "INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, ",
                "service_type, address, starts_at, ends_at, time_zone, status, notes, created_at, ",
                "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $11, 'pending', $8, $9, $9) ",
                "RETURNING id"
            ))
            .bind(write.user_id)
            .bind(&new.customer_name)
            .bind(&new.customer_phone)
            .bind(&new.customer_email)
            .bind(&new.service_type)
            .bind(&new.address)
            .bind(ts(new.starts_at))
            .bind(&new.notes)
            .bind(now)
            .bind(ts(write.ends_at))
            .bind(new.time_zone.name())
            .fetch_one(c)
            .await
        })
        .unwrap();
        let booking = rows::fetch(tx, id).await.unwrap();
        let note = HistoryNote {
            old_status: None,
            reason: Some("booked".into()),
            is_override: false,
            provider_id: None,
        };
        history::append(tx, &booking, &write.actor, &note)
            .await
            .unwrap();
        let job = write.policy.job(id, 1);
        queue::enqueue(tx, &job, tx.now(), write.policy.retry)
            .await
            .unwrap();
        booking
    }

    /// The rows of `table` whose `key` is `id`, each column as text (a `payload` column
    /// with the booking's id left out: ids differ between the two writes).
    pub(crate) async fn rows_of(
        db: &Db,
        table: &str,
        key: &str,
        id: i64,
        columns: &[&str],
    ) -> Vec<Vec<Option<String>>> {
        use sqlx::Row;
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} WHERE {key} = $1 ORDER BY id",
            select.join(", ")
        );
        let rows: Vec<Vec<Option<String>>> = on!(db, |p| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (0..columns.len())
                        .map(|i| r.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        });
        rows.into_iter()
            .map(|row| {
                row.into_iter()
                    .zip(columns)
                    .map(|(value, column)| match (*column, value) {
                        ("payload", Some(text)) => {
                            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                            v["booking_id"] = serde_json::Value::Null;
                            Some(v.to_string())
                        }
                        (_, value) => value,
                    })
                    .collect()
            })
            .collect()
    }

    pub(crate) const BOOKING_COLUMNS: &[&str] = &[
        "customer_id",
        "customer_name",
        "customer_phone",
        "customer_email",
        "service_type",
        "address",
        "starts_at",
        "ends_at",
        "time_zone",
        "status",
        "provider_id",
        "notes",
        "version",
        "assignment_cycle",
        "assignment_exhausted",
        "absent",
        "overlap_override",
        "created_at",
        "updated_at",
    ];
    pub(crate) const HISTORY_COLUMNS: &[&str] = &[
        "old_status",
        "new_status",
        "changed_by",
        "changed_by_name",
        "changed_by_role",
        "reason",
        "is_override",
        "provider_id",
        "customer_id",
        "timestamp",
    ];
    pub(crate) const JOB_COLUMNS: &[&str] = &[
        "queue",
        "kind",
        "payload",
        "state",
        "attempt",
        "max_attempts",
        "backoff_base_ms",
        "round",
        "run_at",
        "lease_owner",
        "last_error",
        "errors",
        "created_at",
        "updated_at",
        "finished_at",
    ];

    /// The intake task (SQLite's writer of bookings that arrive together): one for the
    /// store while it runs, a new one once it stopped (its runtime ended), and holding no
    /// handle on the store's intake itself (or it would keep itself alive).
    #[test]
    fn the_intake_task_is_shared_started_again_once_stopped_and_ends_with_its_store() {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let first = runtime();
        let bookings = first.block_on(async {
            let db = Db::connect("sqlite::memory:").await.unwrap();
            Bookings::new(db, queue::RetryPolicy::default())
        });
        let queue = first.block_on(async { bookings.intake_queue() });
        assert!(
            first
                .block_on(async { bookings.intake_queue() })
                .same_channel(&queue)
        );
        drop(first);
        assert!(queue.is_closed(), "the task ended with its runtime");
        let second = runtime();
        let again = second.block_on(async { bookings.intake_queue() });
        assert!(!again.is_closed(), "a new task");
        let (sender, receiver) = mpsc::channel(1);
        drop(sender);
        second.block_on(async {
            let ran = bookings.clone().run_intake(receiver);
            tokio::time::timeout(std::time::Duration::from_secs(5), ran)
                .await
                .expect("a task whose senders are all gone ends");
        });
        let intake = bookings.intake.downgrade();
        drop(bookings);
        assert!(
            intake.upgrade().is_none(),
            "the task holds no handle on the intake"
        );
        drop(second);
    }

    /// A migrated database on the test backend, its clock at 2026-12-02 10:00 UTC, with
    /// one customer; and that customer's id.
    async fn database_with_a_customer() -> (testkit::TestDatabase, Db, i64) {
        let database = testkit::TestDatabase::create().await;
        let clock = ManualClock::new("2026-12-02T10:00:00Z".parse().unwrap());
        let db = Db::connect(&database.url)
            .await
            .unwrap()
            .with_clock(Arc::new(clock));
        db.migrate().await.unwrap();
        let user = crate::account::Accounts::new(db.clone())
            .create_user(crate::account::NewUser {
                email: "c@example.com".into(),
                name: "C".into(),
                password_hash: "x".into(),
                role: Role::Customer,
            })
            .await
            .unwrap();
        (database, db, user.id)
    }

    /// The write of a plumbing booking by customer `user_id` asked for at `now`, the `i`th
    /// of a few that differ in every field a request or the policy sets.
    fn write_of(now: DateTime<Utc>, user_id: i64, i: u32) -> BookingWrite {
        let input = BookingInput {
            customer_name: format!("Ada {i}"),
            customer_phone: format!("555 010 01{i:02}"),
            customer_email: format!("ada{i}@example.com"),
            service_type: "plumbing".into(),
            address: format!("{i} Pipe Lane"),
            starts_at: format!("2026-12-05T1{i}:00:00Z"),
            starts_at_field: "starts_at",
            time_zone: Some(["Europe/Berlin", "America/New_York", "UTC"][i as usize % 3].into()),
            notes: i.is_multiple_of(2).then(|| format!("ring {i} times")),
        };
        let new = input
            .validate(now, &crate::schedule::ScheduleRules::default())
            .unwrap();
        BookingWrite {
            actor: Actor {
                user_id: Some(user_id),
                name: format!("C{i}"),
                role: Role::Customer,
                provider_id: None,
            },
            user_id,
            ends_at: new.starts_at + chrono::Duration::minutes(120 + i64::from(i)),
            new,
            key: None,
            hash: None,
            policy: AssignmentPolicy {
                retry: queue::RetryPolicy {
                    base: std::time::Duration::from_millis(1500 + u64::from(i)),
                    max_attempts: 5 + i,
                },
                offer_timeout: std::time::Duration::from_secs(300 + u64::from(i)),
            },
        }
    }

    /// Booking `a` and booking `b` have the same rows in every table a create writes.
    async fn assert_same_rows(db: &Db, a: i64, b: i64) {
        for (table, key, columns) in [
            ("bookings", "id", BOOKING_COLUMNS),
            ("booking_history", "booking_id", HISTORY_COLUMNS),
            ("jobs", "subject_id", JOB_COLUMNS),
        ] {
            let of_a = rows_of(db, table, key, a, columns).await;
            let of_b = rows_of(db, table, key, b, columns).await;
            assert_eq!(of_a.len(), 1, "{table}: {of_a:?}");
            assert_eq!(of_a, of_b, "{table}");
        }
    }

    #[tokio::test]
    async fn the_chained_create_and_the_step_by_step_one_leave_identical_rows() {
        let (_database, db, user_id) = database_with_a_customer().await;
        let mut tx = db.write().await.unwrap();
        let write = write_of(tx.now(), user_id, 1);
        let (chained, created) = insert(&mut tx, &write).await.unwrap();
        assert!(created);
        let stepped = insert_step_by_step(&mut tx, &write).await;
        tx.commit().await.unwrap();
        assert_same_rows(&db, chained.id, stepped.id).await;
    }

    /// Bookings written together (on PostgreSQL one statement over arrays, on SQLite one
    /// transaction of savepoints) leave the rows each written alone leaves, and each
    /// answer is its own request's booking.
    #[tokio::test]
    async fn bookings_written_together_leave_the_rows_each_written_alone_would() {
        let (_database, db, user_id) = database_with_a_customer().await;
        let bookings = Bookings::new(db.clone(), queue::RetryPolicy::default());
        let batch: Vec<Pending> = (0..4)
            .map(|i| Pending {
                write: write_of(db.now(), user_id, i),
                answer: oneshot::channel().0,
            })
            .collect();
        let Together::Written(outcomes) = bookings.write_together(&batch).await else {
            panic!("the batch was not written");
        };
        assert_eq!(outcomes.len(), batch.len());
        for (pending, outcome) in batch.iter().zip(outcomes) {
            let (together, created) = outcome.unwrap();
            assert!(created);
            assert_eq!(together.address, pending.write.new.address);
            let (alone, _) = bookings.create_alone(&pending.write).await.unwrap();
            assert_same_rows(&db, together.id, alone.id).await;
        }
    }
}

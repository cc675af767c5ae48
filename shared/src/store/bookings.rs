//! Creating, reading and listing bookings, and their audit trail.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Store;
use super::db::{Backend, Tx, dialect, exec, on, ts};
use super::jobs::{ASSIGNMENT_JOB, ASSIGNMENT_QUEUE, AssignmentState, assignment_state};
use super::rows::{AttemptRow, BookingRow, HistoryRow, booking_columns, convert, history_columns};
use crate::booking::permission::can_see;
use crate::booking::validation::NewBooking;
use crate::booking::{Attempt, Booking, HistoryEntry};
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role, Status};

/// An `Idempotency-Key` as received, with the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    /// The request body in a canonical form; only its SHA-256 is stored.
    pub canonical_request: String,
}

/// What `GET /bookings` may filter on. Visibility is applied on top, always.
#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub status: Option<Status>,
    pub provider_id: Option<i64>,
    /// Case-insensitive text search over name, e-mail, phone, address, service and notes.
    pub q: Option<String>,
    /// Only bookings with an id below this one (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// One page of bookings, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct BookingPage {
    pub items: Vec<Booking>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A booking with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct BookingDetail {
    #[serde(flatten)]
    pub booking: Booking,
    pub history: Vec<HistoryEntry>,
    pub attempts: Vec<Attempt>,
    pub assignment: Option<AssignmentState>,
    /// The names of the providers this booking mentions (its own, and those in its
    /// history and attempts), so that every reader of the page can name them.
    pub provider_names: std::collections::BTreeMap<i64, String>,
}

impl Store {
    /// Writes a booking, its first history row and its first assignment job in one
    /// transaction. With an idempotency key already used for the same request, returns
    /// the booking it created and `false`; used for another request, a conflict.
    ///
    /// On SQLite, bookings asked for at the same time are written together, in one
    /// transaction ([`super::intake`]); each still succeeds or fails on its own.
    pub async fn create_booking(
        &self,
        actor: &Actor,
        new: NewBooking,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<(Booking, bool), StoreError> {
        let user_id = match (actor.role, actor.user_id) {
            (Role::Customer | Role::Admin, Some(id)) => id,
            (role, _) => return Err(DomainError::not_permitted(role, "book a service").into()),
        };
        let write = BookingWrite {
            actor: actor.clone(),
            user_id,
            hash: idempotency
                .as_ref()
                .map(|k| hex::encode(Sha256::digest(k.canonical_request.as_bytes()))),
            key: idempotency.map(|k| k.key),
            new,
            now: self.now(),
            max_attempts: self.policy.max_attempts,
        };
        match self.backend() {
            Backend::Sqlite => self.create_in_intake(write).await,
            Backend::Postgres => match self.create_alone(&write).await {
                // Two requests with one key raced (both looked before either wrote); the
                // loser finds the winner's booking now.
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if write.key.is_some() && e.is_unique_violation() =>
                {
                    self.create_alone(&write).await
                }
                result => result,
            },
        }
    }

    /// Writes one booking in a transaction of its own.
    pub(super) async fn create_alone(
        &self,
        write: &BookingWrite,
    ) -> Result<(Booking, bool), StoreError> {
        let mut tx = self.write().await?;
        let result = insert_booking(&mut tx, write).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// The booking if `actor` may see it; otherwise `NotFound`, so that nobody learns
    /// which ids exist.
    pub async fn booking_for(&self, actor: &Actor, id: i64) -> Result<Booking, StoreError> {
        let mut tx = self.read().await?;
        visible(&mut tx, actor, id).await
    }

    /// The booking with its history, attempts and assignment state, read in one
    /// transaction so that they agree (a job seen dead has its booking seen exhausted).
    pub async fn booking_detail(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<BookingDetail, StoreError> {
        let mut tx = self.read().await?;
        let booking = visible(&mut tx, actor, id).await?;
        let history = history_of(&mut tx, id).await?;
        let attempts: Vec<AttemptRow> = on!(tx, |c| {
            sqlx::query_as(
                "SELECT id, booking_id, cycle, attempt, provider_id, outcome, reason, created_at, updated_at \
                 FROM assignment_attempts WHERE booking_id = $1 ORDER BY cycle, attempt",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?;
        let assignment = assignment_state(&mut tx, &booking).await?;
        let provider_names: Vec<(i64, String)> = on!(tx, |c| {
            sqlx::query_as(
                "SELECT id, name FROM providers WHERE id IN ( \
                     SELECT provider_id FROM bookings WHERE id = $1 \
                     UNION SELECT provider_id FROM booking_history WHERE booking_id = $1 \
                     UNION SELECT provider_id FROM assignment_attempts WHERE booking_id = $1)",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?;
        tx.commit().await?;
        Ok(BookingDetail {
            booking,
            history,
            attempts: convert(attempts)?,
            assignment,
            provider_names: provider_names.into_iter().collect(),
        })
    }

    /// The audit trail of a booking `actor` may see, oldest first.
    pub async fn history_for(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut tx = self.read().await?;
        visible(&mut tx, actor, id).await?;
        history_of(&mut tx, id).await
    }

    /// A page of the bookings `actor` may see, matching `filter`, newest first.
    pub async fn list_bookings(
        &self,
        actor: &Actor,
        filter: &BookingFilter,
    ) -> Result<BookingPage, StoreError> {
        let (customer, provider) = match actor.role {
            Role::Admin | Role::System => (None, None),
            Role::Customer => (Some(actor.user_id.unwrap_or(-1)), None),
            Role::Provider => (None, Some(actor.provider_id.unwrap_or(-1))),
        };
        let limit = filter.limit.clamp(1, 100);
        let pattern = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| {
                let escaped = q
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            });
        // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is the same search.
        macro_rules! list_sql {
            ($like:literal) => {
                concat!(
                    "SELECT ",
                    booking_columns!(),
                    " FROM bookings WHERE ($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR provider_id = $2) ",
                    "AND ($3 IS NULL OR provider_id = $3) AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR id < $5) ",
                    "AND ($6 IS NULL OR customer_name ", $like, " $6 ESCAPE '\\' OR customer_email ", $like, " $6 ESCAPE '\\' ",
                    "OR customer_phone ", $like, " $6 ESCAPE '\\' OR address ", $like, " $6 ESCAPE '\\' ",
                    "OR service_type ", $like, " $6 ESCAPE '\\' OR notes ", $like, " $6 ESCAPE '\\') ",
                    "ORDER BY id DESC LIMIT $7"
                )
            };
        }
        let sql = dialect!(self.pool, sqlite: list_sql!("LIKE"), postgres: list_sql!("ILIKE"));
        let rows: Vec<BookingRow> = on!(self.pool, |p| {
            sqlx::query_as(sql)
                .bind(customer)
                .bind(provider)
                .bind(filter.provider_id)
                .bind(filter.status.map(Status::as_str))
                .bind(filter.before_id)
                .bind(&pattern)
                .bind(i64::from(limit) + 1)
                .fetch_all(p)
                .await
        })?;
        let mut items: Vec<Booking> = convert(rows)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|b| b.id.to_string())
        } else {
            None
        };
        Ok(BookingPage { items, next_cursor })
    }
}

/// The booking if `actor` may see it; otherwise `NotFound`.
async fn visible(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Booking, StoreError> {
    let booking = fetch_booking(tx, id).await?;
    if !can_see(actor.role, booking.relation_to(actor)) {
        return Err(DomainError::NotFound {
            entity: "booking",
            id,
        }
        .into());
    }
    Ok(booking)
}

async fn history_of(tx: &mut Tx, id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
    let rows: Vec<HistoryRow> = on!(tx, |c| {
        sqlx::query_as(concat!(
            "SELECT ",
            history_columns!(),
            " FROM booking_history WHERE booking_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(c)
        .await
    })?;
    Ok(convert(rows)?)
}

/// A booking to write, as [`Store::create_booking`] checked it, with the time it was
/// asked for.
#[derive(Debug)]
pub(super) struct BookingWrite {
    actor: Actor,
    user_id: i64,
    new: NewBooking,
    key: Option<String>,
    /// The SHA-256 of the canonical request, when there is a key.
    hash: Option<String>,
    now: DateTime<Utc>,
    max_attempts: u32,
}

/// Writes `write` in `tx`, or finds the booking its idempotency key already made. On
/// failure nothing of it is left in `tx` (on SQLite its statements run inside a
/// savepoint, rolled back on error), so that a transaction holding several bookings
/// can go on with the others when it fails with a [`StoreError::Domain`] error.
pub(super) async fn insert_booking(
    tx: &mut Tx,
    write: &BookingWrite,
) -> Result<(Booking, bool), StoreError> {
    let BookingWrite {
        actor,
        user_id,
        new,
        key,
        hash,
        now,
        max_attempts,
    } = write;
    if let (Some(key), Some(hash)) = (key, hash) {
        let seen: Option<(String, i64)> = on!(tx, |c| {
            sqlx::query_as(
                "SELECT request_hash, booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(key)
            .fetch_optional(c)
            .await
        })?;
        if let Some((seen_hash, booking_id)) = seen {
            if &seen_hash != hash {
                return Err(DomainError::Conflict {
                    code: "idempotency_key_reused",
                    message:
                        "this Idempotency-Key was already used for a different booking request"
                            .into(),
                }
                .into());
            }
            let booking = fetch_booking(tx, booking_id).await?;
            return Ok((booking, false));
        }
    }
    // One round trip for every write of the booking: the booking, its first history row,
    // its first assignment job and the idempotency key, then the booking as stored.
    // (Every statement is a hand-off to SQLite's connection thread; separate statements
    // halved the intake rate.) SQLite runs them as a script, inside a savepoint, in which
    // each statement finds the new booking as the newest one, which it is: this
    // transaction holds the write lock. PostgreSQL chains them as CTEs in one statement,
    // which fails as a whole.
    let sql = dialect!(tx,
        sqlite: concat!(
            "SAVEPOINT new_booking; ",
            "INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, ",
            "service_type, address, scheduled_date, status, notes, created_at, updated_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9); ",
            "INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, changed_by_name, ",
            "changed_by_role, reason, is_override, provider_id, customer_id, timestamp) ",
            "SELECT MAX(id), NULL, 'pending', $10, $11, $12, 'booked', FALSE, NULL, $1, $9 FROM bookings; ",
            "INSERT INTO jobs (queue, kind, payload, booking_id, state, attempt, max_attempts, run_at, ",
            "created_at, updated_at) SELECT $13, $14, json_object('booking_id', MAX(id), 'cycle', 1), ",
            "MAX(id), 'scheduled', 1, $15, $9, $9, $9 FROM bookings; ",
            "INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) ",
            "SELECT $1, $16, $17, newest, $9 FROM (SELECT MAX(id) AS newest FROM bookings) WHERE $16 IS NOT NULL; ",
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE id = (SELECT MAX(id) FROM bookings); ",
            "RELEASE new_booking"
        ),
        postgres: concat!(
            "WITH b AS (INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, ",
            "service_type, address, scheduled_date, status, notes, created_at, updated_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9) RETURNING *), ",
            "h AS (INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, changed_by_name, ",
            "changed_by_role, reason, is_override, provider_id, customer_id, timestamp) ",
            "SELECT id, NULL, 'pending', $10, $11, $12, 'booked', FALSE, NULL, $1, $9 FROM b), ",
            "j AS (INSERT INTO jobs (queue, kind, payload, booking_id, state, attempt, max_attempts, run_at, ",
            "created_at, updated_at) SELECT $13, $14, jsonb_build_object('booking_id', id, 'cycle', 1), ",
            "id, 'scheduled', 1, $15, $9, $9, $9 FROM b), ",
            "k AS (INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) ",
            "SELECT $1, $16, $17, id, $9 FROM b WHERE $16 IS NOT NULL) ",
            "SELECT ",
            booking_columns!(),
            " FROM b"
        ),
    );
    let written = on!(tx, |c| {
        sqlx::query_as::<_, BookingRow>(sql)
            .bind(user_id)
            .bind(&new.customer_name)
            .bind(&new.customer_phone)
            .bind(&new.customer_email)
            .bind(&new.service_type)
            .bind(&new.address)
            .bind(ts(new.scheduled_date))
            .bind(&new.notes)
            .bind(ts(*now))
            .bind(actor.user_id)
            .bind(&actor.name)
            .bind(actor.role.as_str())
            .bind(ASSIGNMENT_QUEUE)
            .bind(ASSIGNMENT_JOB)
            .bind(i64::from(*max_attempts))
            .bind(key)
            .bind(hash)
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
        let undone = exec!(tx, |c| {
            sqlx::raw_sql("ROLLBACK TO new_booking; RELEASE new_booking")
                .execute(c)
                .await
        });
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

/// The booking with this id, or `NotFound`.
pub(crate) async fn fetch_booking(tx: &mut Tx, id: i64) -> Result<Booking, StoreError> {
    booking_by_id(tx, id, false).await
}

/// The booking with this id, locked against other writers until the transaction ends,
/// or `NotFound`. (A SQLite write transaction excludes every other writer anyway; on
/// PostgreSQL this is the row lock that serialises changes to one booking.)
pub(crate) async fn lock_booking(tx: &mut Tx, id: i64) -> Result<Booking, StoreError> {
    booking_by_id(tx, id, true).await
}

async fn booking_by_id(tx: &mut Tx, id: i64, lock: bool) -> Result<Booking, StoreError> {
    const SELECT: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $1"
    );
    const SELECT_FOR_UPDATE: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $1 FOR UPDATE"
    );
    let sql = dialect!(tx, sqlite: SELECT, postgres: if lock { SELECT_FOR_UPDATE } else { SELECT });
    let row: Option<BookingRow> =
        on!(tx, |c| sqlx::query_as(sql).bind(id).fetch_optional(c).await)?;
    match row {
        Some(row) => Ok(Booking::try_from(row)?),
        None => Err(DomainError::NotFound {
            entity: "booking",
            id,
        }
        .into()),
    }
}

/// Appends a row to the audit trail. `booking` is the booking after the change.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_history(
    tx: &mut Tx,
    booking: &Booking,
    old_status: Option<Status>,
    actor: &Actor,
    reason: Option<&str>,
    is_override: bool,
    provider_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, StoreError> {
    Ok(on!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, changed_by_name, \
             changed_by_role, reason, is_override, provider_id, customer_id, timestamp) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(booking.id)
        .bind(old_status.map(Status::as_str))
        .bind(booking.status.as_str())
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(actor.role.as_str())
        .bind(reason)
        .bind(is_override)
        .bind(provider_id.or(booking.provider_id))
        .bind(booking.customer_id)
        .bind(ts(now))
        .fetch_one(c)
        .await
    })?)
}

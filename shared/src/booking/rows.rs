//! A booking's row: the columns every query selects, how a row becomes a [`Booking`],
//! reading one (optionally locked), and the compare-and-set that every status change is.

use sqlx::FromRow;

use db::{Ts, Tx, dialect, exec, on, ts};

use super::Booking;
use crate::Status;
use crate::error::{DomainError, StoreError};

/// The columns every booking query selects, in [`BookingRow`]'s order (a macro, so that
/// `concat!` builds each query as one static string).
macro_rules! booking_columns {
    () => {
        "id, customer_id, customer_name, customer_phone, customer_email, service_type, \
         address, scheduled_date, status, provider_id, notes, version, assignment_cycle, \
         assignment_exhausted, created_at, updated_at"
    };
}
pub(crate) use booking_columns;

#[derive(FromRow)]
pub(crate) struct BookingRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    customer_phone: String,
    customer_email: String,
    service_type: String,
    address: String,
    scheduled_date: Ts,
    status: String,
    provider_id: Option<i64>,
    notes: Option<String>,
    version: i64,
    assignment_cycle: i64,
    assignment_exhausted: bool,
    created_at: Ts,
    updated_at: Ts,
}

/// A value the CHECK constraints should have kept out: a decode error, never a panic.
pub(crate) fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} `{value}` in the database").into())
}

pub(crate) fn status(s: &str) -> Result<Status, sqlx::Error> {
    s.parse().map_err(|_| decode_error("status", s))
}

impl TryFrom<BookingRow> for Booking {
    type Error = sqlx::Error;
    fn try_from(r: BookingRow) -> Result<Self, Self::Error> {
        Ok(Booking {
            id: r.id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            customer_phone: r.customer_phone,
            customer_email: r.customer_email,
            service_type: r.service_type,
            address: r.address,
            scheduled_date: r.scheduled_date.into(),
            status: status(&r.status)?,
            provider_id: r.provider_id,
            notes: r.notes,
            version: r.version,
            assignment_cycle: r.assignment_cycle,
            assignment_exhausted: r.assignment_exhausted,
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        })
    }
}

/// Converts every row, failing on the first that does not decode.
pub(crate) fn convert<R, T: TryFrom<R, Error = sqlx::Error>>(
    rows: Vec<R>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.into_iter().map(T::try_from).collect()
}

/// SQLite: a write transaction excludes every other writer, so a plain read is a locked
/// one. PostgreSQL: the row lock that serialises changes to one booking.
mod sqlite {
    pub const LOCK: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $1"
    );
}
mod postgres {
    pub const LOCK: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $1 FOR UPDATE"
    );
}

/// The booking with this id, or `NotFound`.
pub(crate) async fn fetch(tx: &mut Tx, id: i64) -> Result<Booking, StoreError> {
    let row: Option<BookingRow> = on!(tx, |c| {
        sqlx::query_as(concat!(
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(c)
        .await
    })?;
    found(row, id)
}

/// The booking with this id, locked against other writers until the transaction ends,
/// or `NotFound`.
pub(crate) async fn lock(tx: &mut Tx, id: i64) -> Result<Booking, StoreError> {
    let sql = dialect!(tx, sqlite: sqlite::LOCK, postgres: postgres::LOCK);
    let row: Option<BookingRow> =
        on!(tx, |c| sqlx::query_as(sql).bind(id).fetch_optional(c).await)?;
    found(row, id)
}

fn found(row: Option<BookingRow>, id: i64) -> Result<Booking, StoreError> {
    match row {
        Some(row) => Ok(Booking::try_from(row)?),
        None => Err(DomainError::NotFound {
            entity: "booking",
            id,
        }
        .into()),
    }
}

/// The compare-and-set of every status change: $1 booking id, $2 the version it was read
/// at, $3 the new status, $4 its provider, $5 now. Moving to `assigned` clears the
/// "assignment exhausted" mark.
macro_rules! booking_cas {
    () => {
        "UPDATE bookings SET status = $3, provider_id = $4, version = version + 1, updated_at = $5, \
         assignment_exhausted = CASE WHEN $3 = 'assigned' THEN FALSE ELSE assignment_exhausted END \
         WHERE id = $1 AND version = $2"
    };
}
pub(crate) use booking_cas;

/// Moves the booking from the version it was read at to `to`, held by `provider_id`;
/// someone else having moved it first is a version conflict. Returns it as it now is.
pub(crate) async fn compare_and_set(
    tx: &mut Tx,
    booking: &Booking,
    to: Status,
    provider_id: Option<i64>,
) -> Result<Booking, StoreError> {
    let now = ts(tx.now());
    let changed = exec!(tx, |c| {
        sqlx::query(booking_cas!())
            .bind(booking.id)
            .bind(booking.version)
            .bind(to.as_str())
            .bind(provider_id)
            .bind(now)
            .execute(c)
            .await
    })?;
    if changed == 0 {
        let now_at = fetch(tx, booking.id).await?;
        return Err(DomainError::VersionConflict {
            expected: booking.version,
            actual: now_at.version,
        }
        .into());
    }
    fetch(tx, booking.id).await
}

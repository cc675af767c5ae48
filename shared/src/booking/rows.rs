//! A booking's row: the columns every query selects, how a row becomes a [`Booking`],
//! reading one (optionally locked), and the compare-and-set that every status change is.

use sqlx::FromRow;

use db::{Ts, Tx, dialect, exec, on, ts};

use super::{Absent, Booking};
use crate::Status;
use crate::error::{DomainError, StoreError};

/// The columns every booking query selects, in [`BookingRow`]'s order (a macro, so that
/// `concat!` builds each query as one static string).
macro_rules! booking_columns {
    () => {
        "id, customer_id, customer_name, customer_phone, customer_email, service_type, \
         address, starts_at, ends_at, time_zone, status, provider_id, notes, version, \
         assignment_cycle, assignment_exhausted, absent, overlap_override, created_at, updated_at"
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
    starts_at: Ts,
    ends_at: Ts,
    time_zone: String,
    status: String,
    provider_id: Option<i64>,
    notes: Option<String>,
    version: i64,
    assignment_cycle: i64,
    assignment_exhausted: bool,
    absent: Option<String>,
    overlap_override: bool,
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
            starts_at: r.starts_at.into(),
            ends_at: r.ends_at.into(),
            time_zone: r
                .time_zone
                .parse()
                .map_err(|_| decode_error("time zone", &r.time_zone))?,
            status: status(&r.status)?,
            provider_id: r.provider_id,
            notes: r.notes,
            version: r.version,
            assignment_cycle: r.assignment_cycle,
            assignment_exhausted: r.assignment_exhausted,
            absent: r
                .absent
                .as_deref()
                .map(|a| Absent::parse(a).ok_or_else(|| decode_error("absent", a)))
                .transpose()?,
            overlap_override: r.overlap_override,
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
    /// $1 the ids, as a JSON array.
    pub const EACH: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id IN ",
        db::ids_of_json!(sqlite, "$1")
    );
}
mod postgres {
    pub const LOCK: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id = $1 FOR UPDATE"
    );
    pub const EACH: &str = concat!(
        "SELECT ",
        booking_columns!(),
        " FROM bookings WHERE id IN ",
        db::ids_of_json!(postgres, "$1")
    );
}

/// The bookings with these ids that exist, by id, in one statement.
pub(crate) async fn fetch_each(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Booking>, StoreError> {
    let ids = db::json_ids(ids);
    let sql = dialect!(tx, sqlite: sqlite::EACH, postgres: postgres::EACH);
    let rows: Vec<BookingRow> = on!(tx, |c| sqlx::query_as(sql).bind(&ids).fetch_all(c).await)?;
    Ok(convert::<_, Booking>(rows)?
        .into_iter()
        .map(|b| (b.id, b))
        .collect())
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
/// at, $3 the new status, $4 its provider, $5 now; `$absent` who was absent (a no-show),
/// `$overlap` whether an admin allows its window to overlap another of its provider's.
/// Moving to `assigned` clears the "assignment exhausted" mark; leaving the active
/// statuses clears an allowed overlap (it was allowed for that assignment). The first
/// move to `assigned` and to `accepted` keep their time (the analytics' waits): here, in
/// the one statement every status change runs, not in a second write of the row (on
/// PostgreSQL a second write re-checks the exclusion constraint, and two assignments
/// racing for one provider's time then deadlock instead of one of them losing).
macro_rules! booking_cas {
    ($absent:literal, $overlap:literal) => {
        concat!(
            "UPDATE bookings SET status = $3, provider_id = $4, version = version + 1, updated_at = $5, ",
            "assignment_exhausted = CASE WHEN $3 = 'assigned' THEN FALSE ELSE assignment_exhausted END, ",
            "assigned_at = CASE WHEN $3 = 'assigned' THEN COALESCE(assigned_at, $5) ELSE assigned_at END, ",
            "accepted_at = CASE WHEN $3 = 'accepted' THEN COALESCE(accepted_at, $5) ELSE accepted_at END, ",
            "absent = ", $absent, ", ",
            "overlap_override = CASE WHEN $3 IN ('assigned', 'accepted', 'in_progress') ",
            "THEN (overlap_override OR ", $overlap, ") ELSE FALSE END ",
            "WHERE id = $1 AND version = $2"
        )
    };
}
pub(crate) use booking_cas;

/// What a status change writes besides the status and provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CasExtra {
    /// Who was absent (a no-show); cleared by every other change.
    pub absent: Option<Absent>,
    /// An admin allows the window to overlap another of the provider's.
    pub allow_overlap: bool,
}

/// Moves the booking from the version it was read at to `to`, held by `provider_id`;
/// someone else having moved it first is a version conflict; an overlap with another of
/// the provider's active windows is [`DomainError::ProviderBusy`] (on SQLite; on
/// PostgreSQL the transaction is spoilt by then, and the caller finds out after it).
/// Returns the booking as it now is.
pub(crate) async fn compare_and_set(
    tx: &mut Tx,
    booking: &Booking,
    to: Status,
    provider_id: Option<i64>,
    extra: CasExtra,
) -> Result<Booking, StoreError> {
    let now = ts(tx.now());
    let changed = exec!(tx, |c| {
        sqlx::query(booking_cas!("$6", "$7"))
            .bind(booking.id)
            .bind(booking.version)
            .bind(to.as_str())
            .bind(provider_id)
            .bind(now)
            .bind(extra.absent.map(Absent::as_str))
            .bind(extra.allow_overlap)
            .execute(c)
            .await
    });
    let changed = match changed {
        Err(e) if is_overlap_sqlx(&e) && tx.backend() == db::Backend::Sqlite => {
            let provider_id = provider_id.unwrap_or_default();
            let other = overlapping(tx, provider_id, booking.window(), booking.id).await?;
            return Err(DomainError::ProviderBusy {
                provider_id,
                booking_id: other.unwrap_or_default(),
            }
            .into());
        }
        other => other?,
    };
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

/// The error the database raises for two overlapping active windows of one provider:
/// SQLite's trigger, PostgreSQL's exclusion constraint.
pub(crate) fn is_overlap(e: &db::Error) -> bool {
    e.sqlx().is_some_and(is_overlap_sqlx)
}

fn is_overlap_sqlx(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("23P01") || d.message().contains("provider_busy")
        }
        _ => false,
    }
}

/// The first active booking of `provider_id` other than `except` whose window overlaps
/// `window`, if any.
pub(crate) async fn overlapping(
    tx: &mut Tx,
    provider_id: i64,
    window: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    except: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT id FROM bookings WHERE provider_id = $1 \
             AND status IN ('assigned', 'accepted', 'in_progress') \
             AND starts_at > $2 AND starts_at < $3 AND ends_at > $4 AND id <> $5 \
             ORDER BY starts_at LIMIT 1",
        )
        .bind(provider_id)
        .bind(ts(window.0 - chrono::Duration::days(1)))
        .bind(ts(window.1))
        .bind(ts(window.0))
        .bind(except)
        .fetch_optional(c)
        .await
    })?)
}

//! The audit trail: one append-only row per change, saying who, in what role, when and
//! why. Rows are written here one at a time, and by the statement chains that save round
//! trips, which take their column list from [`history_insert!`].

use sqlx::FromRow;

use db::{Ts, Tx, on, ts};

use super::rows::{decode_error, status};
use super::{Booking, HistoryEntry};
use crate::error::StoreError;
use crate::{Actor, Role, Status};

/// `INSERT INTO booking_history (...)`: the columns a history row is written with, in
/// the order of [`append`]'s values. Every writer of the trail starts with this.
macro_rules! history_insert {
    () => {
        "INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, \
         changed_by_name, changed_by_role, reason, is_override, provider_id, customer_id, \
         timestamp) "
    };
}
pub(crate) use history_insert;

macro_rules! history_columns {
    () => {
        "id, booking_id, old_status, new_status, changed_by, changed_by_name, \
         changed_by_role, reason, is_override, provider_id, customer_id, timestamp"
    };
}
pub(crate) use history_columns;

#[derive(FromRow)]
pub(crate) struct HistoryRow {
    id: i64,
    booking_id: i64,
    old_status: Option<String>,
    new_status: String,
    changed_by: Option<i64>,
    changed_by_name: String,
    changed_by_role: String,
    reason: Option<String>,
    is_override: bool,
    pub(crate) provider_id: Option<i64>,
    pub(crate) customer_id: i64,
    timestamp: Ts,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = sqlx::Error;
    fn try_from(r: HistoryRow) -> Result<Self, Self::Error> {
        Ok(HistoryEntry {
            id: r.id,
            booking_id: r.booking_id,
            old_status: r.old_status.as_deref().map(status).transpose()?,
            new_status: status(&r.new_status)?,
            changed_by: r.changed_by,
            changed_by_name: r.changed_by_name,
            changed_by_role: r
                .changed_by_role
                .parse::<Role>()
                .map_err(|_| decode_error("role", &r.changed_by_role))?,
            reason: r.reason,
            is_override: r.is_override,
            provider_id: r.provider_id,
            timestamp: r.timestamp.into(),
        })
    }
}

/// What a history row says beyond the booking it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryNote {
    /// `None` for the row that records the booking's creation.
    pub old_status: Option<Status>,
    pub reason: Option<String>,
    pub is_override: bool,
    /// The provider the change concerns, when not the booking's own (one who declined).
    pub provider_id: Option<i64>,
}

/// Appends a row to the trail for `booking` as it is after the change, made by `actor`.
pub(crate) async fn append(
    tx: &mut Tx,
    booking: &Booking,
    actor: &Actor,
    note: &HistoryNote,
) -> Result<i64, StoreError> {
    let now = ts(tx.now());
    Ok(on!(tx, |c| {
        sqlx::query_scalar(concat!(
            history_insert!(),
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
        ))
        .bind(booking.id)
        .bind(note.old_status.map(Status::as_str))
        .bind(booking.status.as_str())
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(actor.role.as_str())
        .bind(note.reason.as_deref())
        .bind(note.is_override)
        .bind(note.provider_id.or(booking.provider_id))
        .bind(booking.customer_id)
        .bind(now)
        .fetch_one(c)
        .await
    })?)
}

/// The trail of one booking, oldest first.
pub(crate) async fn of_booking(tx: &mut Tx, id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
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
    Ok(super::rows::convert(rows)?)
}

//! Rows as the store returns them, and their conversion into domain types.
//!
//! A value that cannot be converted (an unknown status, say) would mean the CHECK
//! constraints were bypassed; it is reported as a decode error, never a panic.

use sqlx::FromRow;

use super::db::Ts;
use crate::booking::{Attempt, AttemptOutcome, Booking, HistoryEntry};
use crate::{Role, Status};

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

macro_rules! history_columns {
    () => {
        "id, booking_id, old_status, new_status, changed_by, changed_by_name, \
         changed_by_role, reason, is_override, provider_id, customer_id, timestamp"
    };
}
pub(crate) use history_columns;

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

pub(crate) fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} `{value}` in the database").into())
}

pub(crate) fn status(s: &str) -> Result<Status, sqlx::Error> {
    s.parse().map_err(|_| decode_error("status", s))
}

pub(crate) fn role(s: &str) -> Result<Role, sqlx::Error> {
    s.parse().map_err(|_| decode_error("role", s))
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
            changed_by_role: role(&r.changed_by_role)?,
            reason: r.reason,
            is_override: r.is_override,
            provider_id: r.provider_id,
            timestamp: r.timestamp.into(),
        })
    }
}

#[derive(FromRow)]
pub(crate) struct AttemptRow {
    id: i64,
    booking_id: i64,
    cycle: i64,
    attempt: i64,
    provider_id: Option<i64>,
    outcome: String,
    reason: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<AttemptRow> for Attempt {
    type Error = sqlx::Error;
    fn try_from(r: AttemptRow) -> Result<Self, Self::Error> {
        Ok(Attempt {
            id: r.id,
            booking_id: r.booking_id,
            cycle: r.cycle,
            attempt: r.attempt,
            provider_id: r.provider_id,
            outcome: AttemptOutcome::parse(&r.outcome)
                .ok_or_else(|| decode_error("attempt outcome", &r.outcome))?,
            reason: r.reason,
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

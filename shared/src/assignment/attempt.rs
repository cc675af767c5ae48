//! The record of assignment attempts: for each attempt of each cycle, who was chosen or
//! why nobody was, and what came of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;

use db::{Ts, Tx, exec, on, ts};

pub use super::matching::{Considered, Explanation};
use crate::booking::Booking;
use crate::booking::rows::{convert, decode_error};
use crate::error::StoreError;

/// What came of one assignment attempt.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A provider was chosen; they may still decline.
    Assigned,
    NoProvider,
    Rejected,
    NoShow,
    /// The provider neither accepted nor rejected the offer in time.
    Expired,
    Error,
    /// An admin assigned by hand, ending the cycle.
    Manual,
}

impl AttemptOutcome {
    pub const ALL: [AttemptOutcome; 7] = [
        AttemptOutcome::Assigned,
        AttemptOutcome::NoProvider,
        AttemptOutcome::Rejected,
        AttemptOutcome::NoShow,
        AttemptOutcome::Expired,
        AttemptOutcome::Error,
        AttemptOutcome::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Assigned => "assigned",
            AttemptOutcome::NoProvider => "no_provider",
            AttemptOutcome::Rejected => "rejected",
            AttemptOutcome::NoShow => "no_show",
            AttemptOutcome::Expired => "expired",
            AttemptOutcome::Error => "error",
            AttemptOutcome::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        AttemptOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// One assignment attempt of one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub booking_id: i64,
    pub cycle: i64,
    pub attempt: i64,
    pub provider_id: Option<i64>,
    pub outcome: AttemptOutcome,
    pub reason: Option<String>,
    /// Whom the attempt considered, and why each was or was not chosen; `None` for an
    /// assignment by hand or an attempt recorded before explanations were kept.
    pub explanation: Option<Explanation>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `INSERT INTO assignment_attempts (...)`, in the order of [`record`]'s values.
macro_rules! attempt_insert {
    () => {
        "INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, \
         reason, candidates, others_not_listed, created_at, updated_at) "
    };
}
pub(crate) use attempt_insert;

/// A later run of the same attempt replaces what an earlier one recorded (one whose
/// transaction committed before its worker lost the lease cannot exist: the fence).
macro_rules! attempt_upsert {
    () => {
        " ON CONFLICT (booking_id, cycle, attempt) DO UPDATE SET provider_id = excluded.provider_id, \
         outcome = excluded.outcome, reason = excluded.reason, candidates = excluded.candidates, \
         others_not_listed = excluded.others_not_listed, updated_at = excluded.updated_at"
    };
}
pub(crate) use attempt_upsert;

#[derive(FromRow)]
struct AttemptRow {
    id: i64,
    booking_id: i64,
    cycle: i64,
    attempt: i64,
    provider_id: Option<i64>,
    outcome: String,
    reason: Option<String>,
    candidates: Option<String>,
    others_not_listed: i64,
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
            explanation: r
                .candidates
                .as_deref()
                .map(|json| {
                    serde_json::from_str(json)
                        .map(|listed| Explanation {
                            listed,
                            others_not_listed: r.others_not_listed,
                        })
                        .map_err(|_| decode_error("attempt candidates", json))
                })
                .transpose()?,
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
        })
    }
}

/// Records attempt `attempt` of the booking's current cycle with its outcome.
pub(crate) async fn record(
    tx: &mut Tx,
    booking: &Booking,
    attempt: i64,
    provider_id: Option<i64>,
    outcome: AttemptOutcome,
    reason: Option<&str>,
    explanation: Option<&Explanation>,
) -> Result<(), StoreError> {
    let now = ts(tx.now());
    let (candidates, others) = stored(explanation);
    exec!(tx, |c| {
        sqlx::query(concat!(
            attempt_insert!(),
            "VALUES ($1, $2, $3, $4, $5, $6, $8, $9, $7, $7)",
            attempt_upsert!()
        ))
        .bind(booking.id)
        .bind(booking.assignment_cycle)
        .bind(attempt)
        .bind(provider_id)
        .bind(outcome.as_str())
        .bind(reason)
        .bind(now)
        .bind(&candidates)
        .bind(others)
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Closes the current cycle's open attempt (the one that assigned the provider who now
/// declines or did not come) with `outcome`, returning its number. Without such a row
/// (a status forced by an override), the failure is recorded as a new attempt.
pub(crate) async fn close_open(
    tx: &mut Tx,
    booking: &Booking,
    outcome: AttemptOutcome,
    reason: Option<&str>,
) -> Result<i64, StoreError> {
    let open: Option<(i64, i64)> = on!(tx, |c| {
        sqlx::query_as(
            "SELECT id, attempt FROM assignment_attempts WHERE booking_id = $1 AND cycle = $2 \
             AND outcome IN ('assigned', 'manual') ORDER BY attempt DESC LIMIT 1",
        )
        .bind(booking.id)
        .bind(booking.assignment_cycle)
        .fetch_optional(c)
        .await
    })?;
    if let Some((attempt_id, attempt)) = open {
        let now = ts(tx.now());
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE assignment_attempts SET outcome = $2, reason = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(attempt_id)
            .bind(outcome.as_str())
            .bind(reason)
            .bind(now)
            .execute(c)
            .await
        })?;
        return Ok(attempt);
    }
    let attempt: i64 = on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(attempt), 0) + 1 FROM assignment_attempts WHERE booking_id = $1 AND cycle = $2",
        )
        .bind(booking.id)
        .bind(booking.assignment_cycle)
        .fetch_one(c)
        .await
    })?;
    record(
        tx,
        booking,
        attempt,
        booking.provider_id,
        outcome,
        reason,
        None,
    )
    .await?;
    Ok(attempt)
}

/// The number of the current cycle's open attempt: the one whose offer the provider
/// holds (assigned automatically or by hand).
pub(crate) async fn open_attempt(
    tx: &mut Tx,
    booking: &Booking,
) -> Result<Option<i64>, StoreError> {
    Ok(on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT attempt FROM assignment_attempts WHERE booking_id = $1 AND cycle = $2 \
             AND outcome IN ('assigned', 'manual') ORDER BY attempt DESC LIMIT 1",
        )
        .bind(booking.id)
        .bind(booking.assignment_cycle)
        .fetch_optional(c)
        .await
    })?)
}

/// Every attempt of a booking, by cycle and number.
pub(crate) async fn of_booking(tx: &mut Tx, booking_id: i64) -> Result<Vec<Attempt>, StoreError> {
    let rows: Vec<AttemptRow> = on!(tx, |c| {
        sqlx::query_as(
            "SELECT id, booking_id, cycle, attempt, provider_id, outcome, reason, candidates, \
             CAST(others_not_listed AS BIGINT) AS others_not_listed, created_at, updated_at \
             FROM assignment_attempts WHERE booking_id = $1 ORDER BY cycle, attempt",
        )
        .bind(booking_id)
        .fetch_all(c)
        .await
    })?;
    Ok(convert(rows)?)
}

/// An explanation as its two columns: the candidates as JSON, and the count of the rest.
pub(crate) fn stored(explanation: Option<&Explanation>) -> (Option<String>, i64) {
    match explanation {
        Some(e) => (
            Some(serde_json::to_string(&e.listed).unwrap_or_else(|_| "[]".to_owned())),
            e.others_not_listed,
        ),
        None => (None, 0),
    }
}

//! Status changes: the compare-and-set on `(id, version)`, the history row, and the
//! effects on the queue, in one transaction each.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Store;
use super::bookings::{fetch_booking, insert_history, lock_booking};
use super::db::{Tx, exec, on, ts};
use super::jobs::cancel_pending_jobs;
use super::queue::record_attempt;
use crate::booking::permission::{authorize, can_see, check_override};
use crate::booking::{AttemptOutcome, Booking};
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role, Status};

/// A requested status change (the body of `PATCH /bookings/{id}/status`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: Status,
    #[serde(default)]
    pub reason: Option<String>,
    /// An admin forcing the status past the state machine.
    #[serde(default, rename = "override")]
    pub is_override: bool,
    /// When given, the change applies only if the booking is still at this version.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

impl Store {
    /// Applies a status change for `actor` (see [`StatusChange`]): visibility, version,
    /// the transition table and the role's rights are checked in that order.
    pub async fn change_status(
        &self,
        actor: &Actor,
        id: i64,
        change: StatusChange,
    ) -> Result<Booking, StoreError> {
        let reason = change
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 1000) {
            return Err(DomainError::field("reason", "must be at most 1000 characters").into());
        }
        let now = self.now();
        let mut tx = self.write().await?;
        let booking = lock_booking(&mut tx, id).await?;
        let rel = booking.relation_to(actor);
        if !can_see(actor.role, rel) {
            return Err(DomainError::NotFound {
                entity: "booking",
                id,
            }
            .into());
        }
        if let Some(expected) = change.expected_version
            && expected != booking.version
        {
            return Err(DomainError::VersionConflict {
                expected,
                actual: booking.version,
            }
            .into());
        }
        let (from, to) = (booking.status, change.status);
        if change.is_override {
            check_override(actor.role, from, to, reason)?;
        } else {
            authorize(actor.role, rel, from, to)?;
        }
        if to == Status::Assigned {
            return Err(DomainError::field(
                "status",
                "assigning needs a provider: use POST /bookings/{id}/assign",
            )
            .into());
        }
        if to.is_active_for_provider() && booking.provider_id.is_none() {
            return Err(DomainError::field(
                "status",
                format!("the booking has no provider, so it cannot be {to}; assign one first"),
            )
            .into());
        }
        // A booking that waits for assignment is held by nobody; the provider it leaves
        // is kept on the history row (and excluded from its next attempts).
        let new_provider = if to.awaits_assignment() {
            None
        } else {
            booking.provider_id
        };
        let updated = compare_and_set(&mut tx, &booking, to, new_provider, now).await?;
        insert_history(
            &mut tx,
            &updated,
            Some(from),
            actor,
            reason,
            change.is_override,
            booking.provider_id,
            now,
        )
        .await?;

        let updated = match to {
            Status::Rejected | Status::NoShow => {
                let outcome = if to == Status::Rejected {
                    AttemptOutcome::Rejected
                } else {
                    AttemptOutcome::NoShow
                };
                let attempt = close_attempt(&mut tx, &booking, outcome, reason, now).await?;
                let who = booking
                    .provider_id
                    .map_or("the provider".to_owned(), |p| format!("provider {p}"));
                let error = match (to, reason) {
                    (Status::Rejected, Some(r)) => format!("{who} rejected the booking: {r}"),
                    (Status::Rejected, None) => format!("{who} rejected the booking"),
                    (_, Some(r)) => format!("{who} marked a no-show: {r}"),
                    (_, None) => format!("{who} marked a no-show"),
                };
                self.after_failed_attempt(&mut tx, &updated, attempt, &error, now)
                    .await?;
                fetch_booking(&mut tx, id).await?
            }
            // Forced back to the start: assignment begins again.
            Status::Pending => self.start_new_cycle(&mut tx, &updated, now).await?,
            _ => {
                cancel_pending_jobs(&mut tx, id, now).await?;
                updated
            }
        };
        tx.commit().await?;
        Ok(updated)
    }

    /// An admin assigns a provider by hand: the booking is assigned in a new cycle, and
    /// any job still pending for it is cancelled (a running one becomes a no-op).
    pub async fn assign_by_hand(
        &self,
        actor: &Actor,
        id: i64,
        provider_id: i64,
        reason: Option<&str>,
    ) -> Result<Booking, StoreError> {
        if actor.role != Role::Admin {
            return Err(DomainError::not_permitted(actor.role, "assign a provider by hand").into());
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let now = self.now();
        let mut tx = self.write().await?;
        let booking = lock_booking(&mut tx, id).await?;
        booking.status.transition(Status::Assigned)?;
        let offers: Option<i64> = on!(tx, |c| {
            sqlx::query_scalar(
                "SELECT p.id FROM providers p JOIN provider_services s ON s.provider_id = p.id \
                 WHERE p.id = $1 AND s.service_type = $2",
            )
            .bind(provider_id)
            .bind(&booking.service_type)
            .fetch_optional(c)
            .await
        })?;
        if offers.is_none() {
            return Err(DomainError::field(
                "provider_id",
                format!(
                    "provider {provider_id} does not exist or does not offer {}",
                    booking.service_type
                ),
            )
            .into());
        }
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE bookings SET assignment_cycle = assignment_cycle + 1, \
                 assignment_exhausted = FALSE WHERE id = $1",
            )
            .bind(id)
            .execute(c)
            .await
        })?;
        let booking = fetch_booking(&mut tx, id).await?;
        let updated =
            compare_and_set(&mut tx, &booking, Status::Assigned, Some(provider_id), now).await?;
        insert_history(
            &mut tx,
            &updated,
            Some(booking.status),
            actor,
            Some(reason.unwrap_or("assigned by hand")),
            false,
            Some(provider_id),
            now,
        )
        .await?;
        exec!(tx, |c| {
            sqlx::query(
                "INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, reason, created_at, updated_at) \
                 VALUES ($1, $2, 1, $3, 'manual', $4, $5, $5)",
            )
            .bind(id)
            .bind(updated.assignment_cycle)
            .bind(provider_id)
            .bind(reason)
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        cancel_pending_jobs(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(updated)
    }
}

/// Moves the booking from the version it was read at; 0 rows means someone else won.
async fn compare_and_set(
    tx: &mut Tx,
    booking: &Booking,
    to: Status,
    provider_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Booking, StoreError> {
    let changed = exec!(tx, |c| {
        sqlx::query(
            "UPDATE bookings SET status = $3, provider_id = $4, version = version + 1, updated_at = $5, \
             assignment_exhausted = CASE WHEN $3 = 'assigned' THEN FALSE ELSE assignment_exhausted END \
             WHERE id = $1 AND version = $2",
        )
        .bind(booking.id)
        .bind(booking.version)
        .bind(to.as_str())
        .bind(provider_id)
        .bind(ts(now))
        .execute(c)
        .await
    })?;
    if changed == 0 {
        let now_at = fetch_booking(&mut *tx, booking.id).await?;
        return Err(DomainError::VersionConflict {
            expected: booking.version,
            actual: now_at.version,
        }
        .into());
    }
    fetch_booking(tx, booking.id).await
}

/// Closes the current cycle's open attempt (the one that assigned the provider who now
/// rejects or no-shows) with `outcome`, returning its number. Without such a row (a
/// status forced by an override), the failure is recorded as a new attempt.
async fn close_attempt(
    tx: &mut Tx,
    booking: &Booking,
    outcome: AttemptOutcome,
    reason: Option<&str>,
    now: DateTime<Utc>,
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
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE assignment_attempts SET outcome = $2, reason = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(attempt_id)
            .bind(outcome.as_str())
            .bind(reason)
            .bind(ts(now))
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
    record_attempt(
        tx,
        booking,
        attempt,
        booking.provider_id,
        outcome,
        reason,
        now,
    )
    .await?;
    Ok(attempt)
}

//! Writing a status change: the compare-and-set on `(id, version)`, the history row and
//! the effect on the booking's assignment, in one transaction, as
//! [`transition::decide`](super::transition::decide) said.

use db::{Tx, on};

use super::history;
use super::rows;
use super::transition::{self, AssignmentEffect, Change};
use super::{Booking, Bookings};
use crate::assignment;
use crate::error::StoreError;
use crate::{Actor, Status};

impl Bookings {
    /// Applies `change` of booking `id` for `actor`, if the booking is still at
    /// `expected_version` when one is given.
    pub async fn change(
        &self,
        actor: &Actor,
        id: i64,
        change: &Change,
        expected_version: Option<i64>,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.db.write().await?;
        let booking = rows::lock(&mut tx, id).await?;
        let effects = transition::decide(&booking, actor, change, expected_version)?;
        let updated =
            rows::compare_and_set(&mut tx, &booking, effects.to, effects.provider_id).await?;
        history::append(&mut tx, &updated, actor, &effects.note).await?;
        let updated =
            assignment::follow_change(&mut tx, &booking, updated, &effects.assignment, self.policy)
                .await?;
        tx.commit().await?;
        if let AssignmentEffect::AttemptFailed { outcome, .. } = &effects.assignment {
            metrics::counter!("assignment_attempts_total", "outcome" => outcome.as_str())
                .increment(1);
        }
        Ok(updated)
    }

    /// An admin assigns `provider_id` by hand: the booking is assigned in a new cycle,
    /// closed by a manual attempt, and its pending assignment jobs are cancelled (a
    /// running one becomes a no-op).
    pub async fn assign_by_hand(
        &self,
        actor: &Actor,
        id: i64,
        provider_id: i64,
        reason: Option<&str>,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.db.write().await?;
        let booking = rows::lock(&mut tx, id).await?;
        let offers = offers_service(&mut tx, provider_id, &booking.service_type).await?;
        let note = transition::decide_assign_by_hand(&booking, actor, provider_id, offers, reason)?;
        let booking = assignment::begin_manual_cycle(&mut tx, &booking).await?;
        let updated =
            rows::compare_and_set(&mut tx, &booking, Status::Assigned, Some(provider_id)).await?;
        history::append(&mut tx, &updated, actor, &note).await?;
        let given = reason.map(str::trim).filter(|r| !r.is_empty());
        assignment::record_manual(&mut tx, &updated, provider_id, given).await?;
        tx.commit().await?;
        Ok(updated)
    }
}

/// Whether provider `provider_id` offers `service_type`; `None` when there is no such
/// provider.
async fn offers_service(
    tx: &mut Tx,
    provider_id: i64,
    service_type: &str,
) -> Result<Option<bool>, StoreError> {
    Ok(on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM provider_services s WHERE s.provider_id = p.id \
             AND s.service_type = $2) FROM providers p WHERE p.id = $1",
        )
        .bind(provider_id)
        .bind(service_type)
        .fetch_optional(c)
        .await
    })?)
}

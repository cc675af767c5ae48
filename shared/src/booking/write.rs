//! Writing changes: a status change (the compare-and-set on `(id, version)`, the history
//! row and the effect on the booking's assignment, in one transaction, as
//! [`transition::decide`](super::transition::decide) said), an admin's assignment by
//! hand, and a move to another time.

use chrono::{DateTime, Utc};

use db::{Db, Tx, exec, on, ts};

use super::history::{self, HistoryNote};
use super::permission::{Relation, can_see};
use super::rows::{self, CasExtra};
use super::transition::{self, AssignmentEffect, Change, Effects, ProviderFacts};
use super::validation::check_start;
use super::{Booking, Bookings};
use queue::JobKind;

use crate::assignment::{self, AssignmentPolicy, ExpireOffer, attempt};
use crate::console::AuditAction;
use crate::error::{Again, DomainError, StoreError};
use crate::schedule::rules::{RESCHEDULE_NOTICE, wall_clock};
use crate::schedule::{self, Servable, slots};
use crate::{Actor, Role, Status};

/// Applies `change` to `booking` (read locked in `tx`) for `actor`: decides it, writes
/// the status, the history row and what follows for the assignment. Returns the booking
/// as it now is, with what the change caused.
pub(crate) async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    booking: &Booking,
    change: &Change,
    expected_version: Option<i64>,
    policy: AssignmentPolicy,
) -> Result<(Booking, Effects), StoreError> {
    let effects = transition::decide(booking, actor, change, expected_version, tx.now())?;
    // An admin's override into a provider's status is allowed to overlap; it is
    // marked so only when it does.
    let allow_overlap = match effects.provider_id {
        Some(provider) if effects.note.is_override && effects.to.is_active_for_provider() => {
            rows::overlapping(tx, provider, booking.window(), booking.id)
                .await?
                .is_some()
        }
        _ => false,
    };
    let extra = CasExtra {
        absent: effects.absent,
        allow_overlap,
    };
    let updated =
        rows::compare_and_set(tx, booking, effects.to, effects.provider_id, extra).await?;
    history::append(tx, &updated, actor, &effects.note).await?;
    let updated =
        assignment::follow_change(tx, booking, updated, &effects.assignment, policy).await?;
    Ok((updated, effects))
}

/// On PostgreSQL an overlap refused by the exclusion constraint spoils the transaction:
/// the error becomes [`DomainError::ProviderBusy`], naming the other booking as a new
/// transaction finds it.
async fn busy_after(
    db: &Db,
    error: StoreError,
    provider_id: Option<i64>,
    booking: &Booking,
) -> StoreError {
    let (StoreError::Db(e), Some(provider_id)) = (&error, provider_id) else {
        return error;
    };
    if !rows::is_overlap(e) {
        return error;
    }
    let other = async {
        let mut tx = db.read().await?;
        rows::overlapping(&mut tx, provider_id, booking.window(), booking.id).await
    };
    match other.await {
        Ok(other) => DomainError::ProviderBusy {
            provider_id,
            booking_id: other.unwrap_or_default(),
        }
        .into(),
        Err(_) => error,
    }
}

/// A change is made again when PostgreSQL ended it as a deadlock. Two transactions that
/// give one provider overlapping windows at the same moment can each wait for the other
/// at the exclusion constraint; the server ends one of them. Run again, it finds the
/// other's booking and answers as any overlap does ([`DomainError::ProviderBusy`]).
const AFTER_DEADLOCK: Again = Again {
    when: is_deadlock,
    tries: 3,
    what: "a change met another at the exclusion constraint; again",
};

/// PostgreSQL's "deadlock detected".
fn is_deadlock(e: &db::Error) -> bool {
    matches!(e.sqlx(), Some(sqlx::Error::Database(d)) if d.code().as_deref() == Some("40P01"))
}

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
        AFTER_DEADLOCK
            .run(|| self.try_change(actor, id, change, expected_version))
            .await
    }

    async fn try_change(
        &self,
        actor: &Actor,
        id: i64,
        change: &Change,
        expected_version: Option<i64>,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.db.write().await?;
        let booking = rows::lock(&mut tx, id).await?;
        let written = apply(
            &mut tx,
            actor,
            &booking,
            change,
            expected_version,
            self.assignment_policy(),
        )
        .await;
        let (updated, effects) = match written {
            Ok(done) => done,
            Err(e) => {
                drop(tx);
                return Err(busy_after(&self.db, e, booking.provider_id, &booking).await);
            }
        };
        if let Change::Override { to, reason, .. } = change {
            crate::console::record(
                &mut tx,
                actor,
                AuditAction::OverrideStatus,
                &format!("booking {id}"),
                1,
                Some(&format!(
                    "{} to {to}: {}",
                    booking.status,
                    reason.as_deref().unwrap_or_default()
                )),
            )
            .await?;
        }
        tx.commit().await?;
        if let AssignmentEffect::AttemptFailed { outcome, .. } = &effects.assignment {
            metrics::counter!("assignment_attempts_total", "outcome" => outcome.as_str())
                .increment(1);
        }
        Ok(updated)
    }

    /// An admin assigns `provider_id` by hand: the booking is assigned in a new cycle,
    /// closed by a manual attempt, its pending assignment jobs are cancelled (a running
    /// one becomes a no-op, and so does the expiry of an earlier offer) and the offer will
    /// expire unless answered. A booking another provider holds and has not started is
    /// reassigned so, in one step. A provider busy
    /// then is refused unless `allow_overlap` and a reason are given.
    pub async fn assign_by_hand(
        &self,
        actor: &Actor,
        id: i64,
        provider_id: i64,
        allow_overlap: bool,
        reason: Option<&str>,
    ) -> Result<Booking, StoreError> {
        AFTER_DEADLOCK
            .run(|| self.try_assign_by_hand(actor, id, provider_id, allow_overlap, reason))
            .await
    }

    async fn try_assign_by_hand(
        &self,
        actor: &Actor,
        id: i64,
        provider_id: i64,
        allow_overlap: bool,
        reason: Option<&str>,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.db.write().await?;
        let booking = rows::lock(&mut tx, id).await?;
        let written = async {
            let facts = provider_facts(&mut tx, provider_id, &booking).await?;
            let holder_name: Option<String> = match booking.provider_id {
                Some(holder) => on!(tx, |c| {
                    sqlx::query_scalar("SELECT name FROM providers WHERE id = $1")
                        .bind(holder)
                        .fetch_optional(c)
                        .await
                })?,
                None => None,
            };
            let note = transition::decide_assign_by_hand(
                &booking,
                actor,
                provider_id,
                facts,
                allow_overlap,
                reason,
                holder_name.as_deref(),
            )?;
            let cycled = assignment::begin_manual_cycle(&mut tx, &booking).await?;
            let extra = CasExtra {
                absent: None,
                allow_overlap: note.is_override,
            };
            let updated =
                rows::compare_and_set(&mut tx, &cycled, Status::Assigned, Some(provider_id), extra)
                    .await?;
            history::append(&mut tx, &updated, actor, &note).await?;
            let given = transition::given_reason(reason)?;
            assignment::record_manual(
                &mut tx,
                &updated,
                provider_id,
                given,
                self.rules.offer_timeout,
            )
            .await?;
            crate::console::record(
                &mut tx,
                actor,
                AuditAction::AssignBooking,
                &format!("booking {id}"),
                1,
                Some(&match (booking.provider_id, given) {
                    (Some(was), Some(reason)) => {
                        format!("to provider {provider_id}, from provider {was}: {reason}")
                    }
                    (Some(was), None) => format!("to provider {provider_id}, from provider {was}"),
                    (None, Some(reason)) => format!("to provider {provider_id}: {reason}"),
                    (None, None) => format!("to provider {provider_id}"),
                }),
            )
            .await?;
            Ok::<_, StoreError>(updated)
        }
        .await;
        match written {
            Ok(updated) => {
                tx.commit().await?;
                Ok(updated)
            }
            Err(e) => {
                drop(tx);
                Err(busy_after(&self.db, e, Some(provider_id), &booking).await)
            }
        }
    }

    /// An admin deactivates provider `provider_id` (`active` false) or reactivates them.
    /// Deactivated, they are offered no work and cannot be assigned by hand; the bookings
    /// they hold and have not started (assigned, accepted) go back to dispatch in the same
    /// transaction, each in a new assignment cycle with a history row saying why (work
    /// under way stays theirs to finish). Returns the ids of the bookings sent back.
    pub async fn set_provider_active(
        &self,
        actor: &Actor,
        provider_id: i64,
        active: bool,
    ) -> Result<Vec<i64>, StoreError> {
        if !actor.is_admin() {
            return Err(DomainError::not_permitted(
                actor.role,
                if active {
                    "reactivate a provider"
                } else {
                    "deactivate a provider"
                },
            )
            .into());
        }
        let mut tx = self.db.write().await?;
        let now = ts(tx.now());
        let changed = exec!(tx, |c| {
            sqlx::query(
                "UPDATE providers SET deactivated_at = CASE WHEN $2 THEN NULL \
                 ELSE COALESCE(deactivated_at, $3) END, updated_at = $3 WHERE id = $1",
            )
            .bind(provider_id)
            .bind(active)
            .bind(now)
            .execute(c)
            .await
        })?;
        if changed == 0 {
            return Err(DomainError::NotFound {
                entity: "provider",
                id: provider_id,
            }
            .into());
        }
        let held: Vec<i64> = if active {
            Vec::new()
        } else {
            on!(tx, |c| {
                sqlx::query_scalar(
                    "SELECT id FROM bookings WHERE provider_id = $1 \
                     AND status IN ('assigned', 'accepted') ORDER BY id",
                )
                .bind(provider_id)
                .fetch_all(c)
                .await
            })?
        };
        let back_to_dispatch = Change::Override {
            to: Status::Pending,
            reason: Some(format!(
                "provider {provider_id} was deactivated: back to dispatch"
            )),
            absent: None,
        };
        for id in &held {
            let booking = rows::lock(&mut tx, *id).await?;
            apply(
                &mut tx,
                actor,
                &booking,
                &back_to_dispatch,
                None,
                self.assignment_policy(),
            )
            .await?;
        }
        let detail = match (active, held.as_slice()) {
            (true, _) => "reactivated".to_owned(),
            (false, []) => "deactivated".to_owned(),
            (false, ids) => format!(
                "deactivated; back to dispatch: {}",
                ids.iter()
                    .map(|id| format!("booking {id}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        crate::console::record(
            &mut tx,
            actor,
            AuditAction::UpdateProvider,
            &format!("provider {provider_id}"),
            1,
            Some(&detail),
        )
        .await?;
        tx.commit().await?;
        Ok(held)
    }

    /// Moves booking `id` to start at `starts_at` (as asked, RFC 3339), keeping its
    /// length: its owner until two hours before it starts, an admin any time before the
    /// work starts. The new start must be bookable (on the grid, after the lead time,
    /// someone free then). A provider who holds it and is free then keeps it, and is
    /// asked to accept again; otherwise it goes back to dispatch. Outside the status
    /// table: the history records it as a move.
    pub async fn reschedule(
        &self,
        actor: &Actor,
        id: i64,
        starts_at: &str,
        expected_version: Option<i64>,
    ) -> Result<Booking, StoreError> {
        AFTER_DEADLOCK
            .run(|| self.try_reschedule(actor, id, starts_at, expected_version))
            .await
    }

    async fn try_reschedule(
        &self,
        actor: &Actor,
        id: i64,
        starts_at: &str,
        expected_version: Option<i64>,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.db.write().await?;
        let booking = rows::lock(&mut tx, id).await?;
        let relation = booking.relation_to(actor);
        if !can_see(actor.role, relation) {
            return Err(DomainError::NotFound {
                entity: "booking",
                id,
            }
            .into());
        }
        if !(actor.role == Role::Admin || relation == Relation::Owner) {
            return Err(DomainError::not_permitted(actor.role, "move a booking").into());
        }
        if let Some(expected) = expected_version
            && expected != booking.version
        {
            return Err(DomainError::VersionConflict {
                expected,
                actual: booking.version,
            }
            .into());
        }
        let movable = matches!(
            booking.status,
            Status::Pending | Status::Assigned | Status::Accepted | Status::Rejected
        ) || booking.awaits_assignment();
        if !movable {
            return Err(DomainError::Conflict {
                code: "not_movable",
                message: format!("a booking that is {} cannot be moved", booking.status),
            }
            .into());
        }
        let now = tx.now();
        if actor.role != Role::Admin && now > booking.starts_at - RESCHEDULE_NOTICE {
            return Err(DomainError::TooLate {
                message: format!(
                    "too late to move: a booking can be moved until {}",
                    wall_clock(booking.starts_at - RESCHEDULE_NOTICE, booking.time_zone)
                ),
                until: booking.starts_at - RESCHEDULE_NOTICE,
            }
            .into());
        }
        let new_start = check_start(starts_at, "starts_at", now, booking.time_zone, &self.rules)
            .map_err(DomainError::Validation)?;
        if new_start == booking.starts_at {
            return Err(DomainError::field("starts_at", "is the booking's start already").into());
        }
        let window = (new_start, new_start + (booking.ends_at - booking.starts_at));
        match schedule::servable(&mut tx, &booking.service_type, window, Some(id)).await? {
            Servable::By(_) => {}
            Servable::NobodyOffers => {
                return Err(DomainError::field(
                    "starts_at",
                    format!("nobody offers {} at the moment", booking.service_type),
                )
                .into());
            }
            Servable::NobodyFree => {
                return Err(DomainError::field(
                    "starts_at",
                    format!(
                        "nobody can do {} at {}: someone took that time first, or nobody works then; choose another time",
                        booking.service_type,
                        wall_clock(new_start, booking.time_zone)
                    ),
                )
                .into());
            }
        }
        let moved = format!(
            "rescheduled from {} to {}",
            wall_clock(booking.starts_at, booking.time_zone),
            wall_clock(new_start, booking.time_zone)
        );
        let holder = booking
            .provider_id
            .filter(|_| matches!(booking.status, Status::Assigned | Status::Accepted));
        let keeps = match holder {
            Some(provider) => provider_free(&mut tx, provider, &booking, window).await?,
            None => false,
        };
        let policy = self.assignment_policy();
        queue::cancel_pending(&mut tx, ExpireOffer::KIND, id).await?;
        let updated = if keeps {
            set_window(&mut tx, id, window).await?;
            let booking = rows::fetch(&mut tx, id).await?;
            let updated = rows::compare_and_set(
                &mut tx,
                &booking,
                Status::Assigned,
                booking.provider_id,
                CasExtra::default(),
            )
            .await?;
            let note = HistoryNote {
                old_status: Some(booking.status),
                reason: Some(format!(
                    "{moved}; the provider is free then, keeps it and is asked to accept again"
                )),
                is_override: false,
                provider_id: updated.provider_id,
            };
            history::append(&mut tx, &updated, actor, &note).await?;
            let attempt = attempt::open_attempt(&mut tx, &updated).await?.unwrap_or(1);
            assignment::offer(&mut tx, &updated, attempt, policy.offer_timeout).await?;
            updated
        } else {
            let released = match holder {
                Some(_) => {
                    rows::compare_and_set(
                        &mut tx,
                        &booking,
                        Status::Pending,
                        None,
                        CasExtra::default(),
                    )
                    .await?
                }
                None => booking.clone(),
            };
            set_window(&mut tx, id, window).await?;
            let released = rows::fetch(&mut tx, released.id).await?;
            let updated = assignment::cycle::start_new_cycle(&mut tx, &released, policy).await?;
            let reason = match holder {
                Some(_) => {
                    format!("{moved}; the provider is not free then, so it goes back to dispatch")
                }
                None => format!("{moved}; dispatch starts again for the new time"),
            };
            let note = HistoryNote {
                old_status: Some(booking.status),
                reason: Some(reason),
                is_override: false,
                provider_id: booking.provider_id,
            };
            history::append(&mut tx, &updated, actor, &note).await?;
            updated
        };
        tx.commit().await?;
        Ok(updated)
    }
}

/// Sets a booking's window (its version moves on).
async fn set_window(
    tx: &mut Tx,
    id: i64,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Result<(), StoreError> {
    let now = ts(tx.now());
    exec!(tx, |c| {
        sqlx::query(
            "UPDATE bookings SET starts_at = $2, ends_at = $3, overlap_override = FALSE, \
             version = version + 1, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(ts(window.0))
        .bind(ts(window.1))
        .bind(now)
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Whether `provider_id` could take `booking` over `window`: available, offering its
/// service, working then and not busy with another booking.
async fn provider_free(
    tx: &mut Tx,
    provider_id: i64,
    booking: &Booking,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Result<bool, StoreError> {
    let providers =
        schedule::provider_times(tx, &booking.service_type, window, Some(booking.id)).await?;
    Ok(providers
        .iter()
        .find(|p| p.provider_id == provider_id)
        .is_some_and(|p| slots::is_free(p, window)))
}

/// What an assignment by hand needs to know about provider `provider_id`; `None` when
/// there is no such provider.
async fn provider_facts(
    tx: &mut Tx,
    provider_id: i64,
    booking: &Booking,
) -> Result<Option<ProviderFacts>, StoreError> {
    let found: Option<(bool, bool)> = on!(tx, |c| {
        sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM provider_services s WHERE s.provider_id = p.id \
             AND s.service_type = $2), p.deactivated_at IS NULL FROM providers p WHERE p.id = $1",
        )
        .bind(provider_id)
        .bind(&booking.service_type)
        .fetch_optional(c)
        .await
    })?;
    let Some((offers, active)) = found else {
        return Ok(None);
    };
    let busy_with = rows::overlapping(tx, provider_id, booking.window(), booking.id).await?;
    Ok(Some(ProviderFacts {
        offers,
        active,
        busy_with,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::tests::tried;

    #[tokio::test]
    async fn a_change_ended_as_a_deadlock_is_made_again_three_times_in_all() {
        let made = |deadlocks, then| tried(&AFTER_DEADLOCK, "40P01", deadlocks, then);
        let (answer, tries) = made(2, None).await;
        assert_eq!((answer.unwrap(), tries), (3, 3));
        let (answer, tries) = made(u32::MAX, None).await;
        assert!(matches!(answer, Err(StoreError::Db(e)) if is_deadlock(&e)));
        assert_eq!(tries, 3);
        // Any other failure, an overlap included, is answered at once.
        let (answer, tries) = made(0, Some(testkit::database_error("23P01"))).await;
        assert!(matches!(answer, Err(StoreError::Db(e)) if rows::is_overlap(&e)));
        assert_eq!(tries, 1);
    }
}

//! Transitions named after their events. Each is decided here, without a database: who
//! may make it, from where, and what it causes — the booking's new status and provider,
//! the history row, and what happens to its assignment ([`AssignmentEffect`]). The
//! booking room then writes those effects in one transaction (`booking::write`).

use chrono::{DateTime, Utc};

use crate::assignment::AttemptOutcome;
use crate::booking::history::HistoryNote;
use crate::booking::permission::{authorize, can_see, check_override};
use crate::booking::{Absent, Booking};
use crate::error::DomainError;
use crate::schedule::rules::{START_EARLY, wall_clock};
use crate::{Actor, Role, Status};

/// The longest reason a change may carry.
pub const MAX_REASON: usize = 1000;

/// Something that happens to a booking, asked for by someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The assigned provider takes the job.
    Accept,
    /// The assigned provider declines it: the assignment attempt failed.
    Reject {
        reason: Option<String>,
    },
    /// Work starts.
    Start,
    /// The work is done; the provider may leave a note on it for dispatch.
    Complete {
        reason: Option<String>,
    },
    /// Somebody did not turn up: the provider reports the customer absent (from
    /// `in_progress`: the booking closes), the customer or an admin the provider (from
    /// `accepted`: the provider never started; the attempt failed and it goes back to
    /// dispatch). `absent` may be left out: the status says who it can be.
    MarkNoShow {
        absent: Option<Absent>,
        reason: Option<String>,
    },
    Cancel {
        reason: Option<String>,
    },
    /// Back to the start: no move of the table leads there, so only an admin's override
    /// does; asked for plainly, it is refused as an invalid transition.
    Reopen {
        reason: Option<String>,
    },
    /// An admin forces a status past the rules, saying why (and, to `no_show`, who
    /// was absent).
    Override {
        to: Status,
        reason: Option<String>,
        absent: Option<Absent>,
    },
    /// The system: the provider neither accepted nor rejected the offer within
    /// `after`; the attempt failed and the booking goes back to dispatch.
    ExpireOffer {
        after: std::time::Duration,
    },
}

impl Change {
    /// The change that a request for status `to` names (`PATCH .../status`); with
    /// `is_override`, an override to `to`.
    pub fn to(
        to: Status,
        reason: Option<String>,
        absent: Option<Absent>,
        is_override: bool,
    ) -> Result<Change, DomainError> {
        if absent.is_some() && to != Status::NoShow {
            return Err(DomainError::field(
                "absent",
                "only a no-show says who was absent",
            ));
        }
        if is_override {
            return Ok(Change::Override { to, reason, absent });
        }
        Ok(match to {
            Status::Accepted => Change::Accept,
            Status::Rejected => Change::Reject { reason },
            Status::InProgress => Change::Start,
            Status::Completed => Change::Complete { reason },
            Status::NoShow => Change::MarkNoShow { absent, reason },
            Status::Cancelled => Change::Cancel { reason },
            Status::Assigned => {
                return Err(DomainError::field(
                    "status",
                    "assigning needs a provider: use POST /bookings/{id}/assign",
                ));
            }
            Status::Pending => Change::Reopen { reason },
        })
    }

    /// The status the change leads to.
    pub fn target(&self) -> Status {
        match self {
            Change::Accept => Status::Accepted,
            Change::Reject { .. } => Status::Rejected,
            Change::Start => Status::InProgress,
            Change::Complete { .. } => Status::Completed,
            Change::MarkNoShow { .. } => Status::NoShow,
            Change::Cancel { .. } => Status::Cancelled,
            Change::Reopen { .. } => Status::Pending,
            Change::Override { to, .. } => *to,
            Change::ExpireOffer { .. } => Status::Rejected,
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Change::Reject { reason }
            | Change::Complete { reason }
            | Change::MarkNoShow { reason, .. }
            | Change::Cancel { reason }
            | Change::Reopen { reason }
            | Change::Override { reason, .. } => reason.as_deref(),
            Change::Accept | Change::Start | Change::ExpireOffer { .. } => None,
        }
    }
}

/// What a change does to the booking's assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentEffect {
    /// The booking no longer awaits a provider: its pending assignment jobs stop.
    CancelJobs,
    /// The attempt that assigned the provider failed with `outcome` (a rejection, a
    /// no-show) for the `reason` given: recorded, and the next attempt scheduled with
    /// backoff (the job keeps `error`), or the job dead.
    AttemptFailed {
        outcome: AttemptOutcome,
        reason: Option<String>,
        error: String,
    },
    /// Forced back to the start: a new assignment cycle begins at attempt 1, now.
    NewCycle,
    /// The booking closed with its provider (a customer absent): its jobs stop, and
    /// nothing is dispatched again.
    Close,
    /// Nothing changes: an admin forced a status that awaits assignment (rejected, a
    /// provider's no-show) on a booking nobody holds, so no one's attempt failed; its
    /// assignment goes on as it stood (or stays dead, to be retried).
    Keep,
}

/// Everything a change causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub to: Status,
    /// The provider holding the booking afterwards: nobody while it awaits assignment.
    pub provider_id: Option<i64>,
    pub note: HistoryNote,
    pub assignment: AssignmentEffect,
    /// Who was absent, on a no-show.
    pub absent: Option<Absent>,
}

/// The reason a caller gave, trimmed; `None` when blank. At most [`MAX_REASON`]
/// characters as given.
pub(crate) fn given_reason(reason: Option<&str>) -> Result<Option<&str>, DomainError> {
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(DomainError::field(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    Ok(reason.map(str::trim).filter(|r| !r.is_empty()))
}

/// Decides `change` of `booking` for `actor` at `now`. Checked in this order: the
/// reason's length (422), whether the actor may see the booking at all (404), the
/// version it expects (409), the transition table and the actor's rights (409, then
/// 403), whether the target makes sense for this booking (422), and the clock (409
/// `too_early`: work starts at most an hour before the window, a no-show is reported
/// from its start; an override is not held to the clock).
pub fn decide(
    booking: &Booking,
    actor: &Actor,
    change: &Change,
    expected_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Effects, DomainError> {
    let reason = given_reason(change.reason())?;
    let relation = booking.relation_to(actor);
    if !can_see(actor.role, relation) {
        return Err(DomainError::NotFound {
            entity: "booking",
            id: booking.id,
        });
    }
    if let Some(expected) = expected_version
        && expected != booking.version
    {
        return Err(DomainError::VersionConflict {
            expected,
            actual: booking.version,
        });
    }
    let (from, to) = (booking.status, change.target());
    let is_override = matches!(change, Change::Override { .. });
    match change {
        Change::Override { .. } => check_override(actor.role, from, to, reason)?,
        Change::ExpireOffer { .. } => {
            if actor.role != Role::System {
                return Err(DomainError::not_permitted(actor.role, "expire an offer"));
            }
            if from != Status::Assigned {
                return Err(DomainError::InvalidTransition { from, to });
            }
        }
        _ => authorize(actor.role, relation, from, to)?,
    }
    if to == Status::Assigned {
        return Err(DomainError::field(
            "status",
            "assigning needs a provider: use POST /bookings/{id}/assign",
        ));
    }
    if to.is_active_for_provider() && booking.provider_id.is_none() {
        return Err(DomainError::Conflict {
            code: "no_provider",
            message: format!("the booking has no provider, so it cannot be {to}; assign one first"),
        });
    }
    let absent = match change {
        Change::MarkNoShow { absent, .. } => Some(who_was_absent(from, *absent)?),
        Change::Override {
            to: Status::NoShow,
            absent,
            ..
        } => Some(absent.ok_or_else(|| {
            DomainError::field("absent", "say who was absent: customer or provider")
        })?),
        _ => None,
    };
    if !is_override {
        check_clock(booking, to, now)?;
    }
    // A booking that waits for assignment is held by nobody; the provider it leaves is
    // kept on the history row (and excluded from its next attempts). One whose customer
    // was absent keeps its provider: it is closed, not waiting.
    let closes_with_provider = absent == Some(Absent::Customer);
    let provider_id = if to.awaits_assignment() && !closes_with_provider {
        None
    } else {
        booking.provider_id
    };
    let who = booking
        .provider_id
        .map_or("the provider".to_owned(), |p| format!("provider {p}"));
    // An override is the admin's word, not the provider's: the attempt ends, said as such.
    let failed = |outcome: AttemptOutcome, what: &str, reason: Option<&str>| {
        let said = if is_override {
            format!("an admin set the booking to {to}, ending the attempt of {who}")
        } else {
            format!("{who} {what}")
        };
        let error = match reason {
            Some(r) => format!("{said}: {r}"),
            None => said,
        };
        AssignmentEffect::AttemptFailed {
            outcome,
            reason: reason.map(str::to_owned),
            error,
        }
    };
    let mut note_reason = reason.map(str::to_owned);
    let assignment = match (change, to) {
        (Change::ExpireOffer { after }, _) => {
            let expired = format!(
                "the offer expired: {who} did not answer within {}",
                minutes(*after)
            );
            note_reason = Some(expired.clone());
            AssignmentEffect::AttemptFailed {
                outcome: AttemptOutcome::Expired,
                reason: Some(expired.clone()),
                error: expired,
            }
        }
        (_, Status::Rejected | Status::NoShow)
            if booking.provider_id.is_none() && !closes_with_provider =>
        {
            AssignmentEffect::Keep
        }
        (_, Status::Rejected) => failed(AttemptOutcome::Rejected, "rejected the booking", reason),
        (_, Status::NoShow) if closes_with_provider => AssignmentEffect::Close,
        (_, Status::NoShow) => failed(AttemptOutcome::NoShow, "did not show", reason),
        (_, Status::Pending) => AssignmentEffect::NewCycle,
        _ => AssignmentEffect::CancelJobs,
    };
    Ok(Effects {
        to,
        provider_id,
        note: HistoryNote {
            old_status: Some(from),
            reason: note_reason,
            is_override,
            provider_id: booking.provider_id,
        },
        assignment,
        absent,
    })
}

/// `90 seconds`, `15 minutes`, `2 hours`.
fn minutes(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 3600 == 0 && s >= 3600 => {
            format!("{} hour{}", s / 3600, if s == 3600 { "" } else { "s" })
        }
        s if s % 60 == 0 && s >= 60 => {
            format!("{} minute{}", s / 60, if s == 60 { "" } else { "s" })
        }
        s => format!("{s} seconds"),
    }
}

/// Who a no-show from `from` can be about: from `accepted` the provider never started
/// (the provider was absent); from `in_progress` the provider came (the customer was).
fn who_was_absent(from: Status, said: Option<Absent>) -> Result<Absent, DomainError> {
    let implied = match from {
        Status::Accepted => Absent::Provider,
        _ => Absent::Customer,
    };
    match said {
        Some(said) if said != implied => Err(DomainError::field(
            "absent",
            match implied {
                Absent::Provider => {
                    "the work has not started, so only the provider can have been absent"
                }
                Absent::Customer => {
                    "the provider started the work, so only the customer can have been absent"
                }
            },
        )),
        _ => Ok(implied),
    }
}

/// The clock's rules for moves along the table.
fn check_clock(booking: &Booking, to: Status, now: DateTime<Utc>) -> Result<(), DomainError> {
    let (from, what) = match to {
        Status::InProgress => (booking.starts_at - START_EARLY, "work can start"),
        Status::NoShow => (booking.starts_at, "a no-show can be reported"),
        _ => return Ok(()),
    };
    if now < from {
        return Err(DomainError::TooEarly {
            message: format!(
                "too early: {what} from {}",
                wall_clock(from, booking.time_zone)
            ),
            from,
        });
    }
    Ok(())
}

/// What an admin's assignment by hand found out about the provider first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderFacts {
    /// The provider offers the booking's service.
    pub offers: bool,
    /// Not deactivated by an admin.
    pub active: bool,
    /// Another active booking of the provider whose window overlaps this one.
    pub busy_with: Option<i64>,
}

/// Decides an admin's assignment of `provider_id` by hand. Whether that provider exists,
/// is active, offers the service and is free is the caller's to find out first
/// (`facts`: `None` when there is no such provider). A provider busy then is refused (409
/// `provider_busy`), unless the admin allows the overlap (`allow_overlap`) with a
/// reason: then it is recorded as an override. A booking another provider holds and has
/// not started (assigned or accepted) is reassigned in the same step: the history says
/// from whom (`holder_name`, the holder's name as the caller found it).
pub fn decide_assign_by_hand(
    booking: &Booking,
    actor: &Actor,
    provider_id: i64,
    facts: Option<ProviderFacts>,
    allow_overlap: bool,
    reason: Option<&str>,
    holder_name: Option<&str>,
) -> Result<HistoryNote, DomainError> {
    if !actor.is_admin() {
        return Err(DomainError::not_permitted(
            actor.role,
            "assign a provider by hand",
        ));
    }
    let reason = given_reason(reason)?;
    let reassigned_from = match (booking.status, booking.provider_id) {
        (Status::Assigned | Status::Accepted, Some(holder)) if holder == provider_id => {
            return Err(DomainError::Conflict {
                code: "already_assigned",
                message: format!(
                    "provider {provider_id} already holds booking {}",
                    booking.id
                ),
            });
        }
        (Status::Assigned | Status::Accepted, Some(holder)) => Some(holder),
        _ => {
            booking.status.transition(Status::Assigned)?;
            None
        }
    };
    let Some(facts) = facts else {
        return Err(DomainError::NotFound {
            entity: "provider",
            id: provider_id,
        });
    };
    if !facts.active {
        return Err(DomainError::Conflict {
            code: "provider_inactive",
            message: format!("provider {provider_id} is deactivated: reactivate them first"),
        });
    }
    if !facts.offers {
        return Err(DomainError::Conflict {
            code: "provider_lacks_service",
            message: format!(
                "provider {provider_id} does not offer {}",
                booking.service_type
            ),
        });
    }
    let is_override = match facts.busy_with {
        Some(other) if !allow_overlap => {
            return Err(DomainError::ProviderBusy {
                provider_id,
                booking_id: other,
            });
        }
        Some(_) if reason.is_none() => {
            return Err(DomainError::field(
                "reason",
                "allowing an overlap with another booking needs a reason",
            ));
        }
        Some(_) => true,
        None => false,
    };
    let from = |holder: i64| match holder_name {
        Some(name) => format!("reassigned from {name} (provider {holder})"),
        None => format!("reassigned from provider {holder}"),
    };
    let said = match (reassigned_from, reason) {
        (Some(holder), Some(reason)) => format!("{}: {reason}", from(holder)),
        (Some(holder), None) => from(holder),
        (None, Some(reason)) => reason.to_owned(),
        (None, None) => "assigned by hand".to_owned(),
    };
    Ok(HistoryNote {
        old_status: Some(booking.status),
        reason: Some(said),
        is_override,
        provider_id: Some(provider_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    /// The booking's start: work may start, and a no-show be reported.
    fn now() -> DateTime<Utc> {
        "2026-12-01T09:00:00Z".parse().unwrap()
    }

    fn decide(
        booking: &Booking,
        actor: &Actor,
        change: &Change,
        expected_version: Option<i64>,
    ) -> Result<Effects, DomainError> {
        super::decide(booking, actor, change, expected_version, now())
    }

    fn booking(status: Status, provider_id: Option<i64>) -> Booking {
        let t = "2026-12-01T09:00:00Z".parse().unwrap();
        Booking {
            id: 7,
            customer_id: 100,
            customer_name: "Ada".into(),
            customer_phone: "555 010 0199".into(),
            customer_email: "ada@example.com".into(),
            service_type: "plumbing".into(),
            address: "1 Pipe Lane".into(),
            starts_at: t,
            ends_at: t + chrono::Duration::hours(2),
            time_zone: chrono_tz::Europe::Berlin,
            status,
            provider_id,
            notes: None,
            version: 3,
            assignment_cycle: 1,
            assignment_exhausted: false,
            absent: None,
            overlap_override: false,
            created_at: t,
            updated_at: t,
        }
    }

    fn actor(role: Role, user_id: i64, provider_id: Option<i64>) -> Actor {
        Actor {
            user_id: Some(user_id),
            name: format!("{role}"),
            role,
            provider_id,
        }
    }

    fn owner() -> Actor {
        actor(Role::Customer, 100, None)
    }
    fn assigned_provider() -> Actor {
        actor(Role::Provider, 200, Some(20))
    }
    fn admin() -> Actor {
        actor(Role::Admin, 1, None)
    }

    #[test]
    fn accepting_keeps_the_provider_and_stops_pending_assignment_jobs() {
        let e = decide(
            &booking(Status::Assigned, Some(20)),
            &assigned_provider(),
            &Change::Accept,
            None,
        )
        .unwrap();
        assert_eq!(e.to, Status::Accepted);
        assert_eq!(e.provider_id, Some(20));
        assert_eq!(e.assignment, AssignmentEffect::CancelJobs);
        assert_eq!(
            e.note,
            HistoryNote {
                old_status: Some(Status::Assigned),
                reason: None,
                is_override: false,
                provider_id: Some(20)
            }
        );
    }

    #[test]
    fn rejecting_frees_the_booking_and_fails_the_attempt_naming_the_provider_and_reason() {
        let change = Change::Reject {
            reason: Some("  Van broke down ".into()),
        };
        let e = decide(
            &booking(Status::Assigned, Some(20)),
            &assigned_provider(),
            &change,
            None,
        )
        .unwrap();
        assert_eq!((e.to, e.provider_id), (Status::Rejected, None));
        assert_eq!(
            e.assignment,
            AssignmentEffect::AttemptFailed {
                outcome: AttemptOutcome::Rejected,
                reason: Some("Van broke down".into()),
                error: "provider 20 rejected the booking: Van broke down".into()
            }
        );
        assert_eq!(e.note.reason.as_deref(), Some("Van broke down"));
        assert_eq!(
            e.note.provider_id,
            Some(20),
            "the history row names who declined"
        );
    }

    #[test]
    fn a_provider_reporting_the_customer_absent_closes_the_booking_with_its_provider() {
        let e = decide(
            &booking(Status::InProgress, Some(20)),
            &assigned_provider(),
            &Change::MarkNoShow {
                absent: None,
                reason: None,
            },
            None,
        )
        .unwrap();
        assert_eq!(e.assignment, AssignmentEffect::Close);
        assert_eq!(e.absent, Some(Absent::Customer));
        assert_eq!(
            e.provider_id,
            Some(20),
            "no re-dispatch: the provider keeps it"
        );
    }

    #[test]
    fn the_customer_reporting_a_provider_who_never_came_fails_the_attempt_and_frees_the_booking() {
        let e = decide(
            &booking(Status::Accepted, Some(20)),
            &owner(),
            &Change::MarkNoShow {
                absent: Some(Absent::Provider),
                reason: None,
            },
            None,
        )
        .unwrap();
        assert_eq!(
            e.assignment,
            AssignmentEffect::AttemptFailed {
                outcome: AttemptOutcome::NoShow,
                reason: None,
                error: "provider 20 did not show".into()
            }
        );
        assert_eq!((e.absent, e.provider_id), (Some(Absent::Provider), None));
        // Who was absent follows from how far the work got.
        for (status, said) in [
            (Status::Accepted, Absent::Customer),
            (Status::InProgress, Absent::Provider),
        ] {
            assert!(matches!(
                decide(
                    &booking(status, Some(20)),
                    &admin(),
                    &Change::MarkNoShow { absent: Some(said), reason: None },
                    None
                ),
                Err(DomainError::Validation(f)) if f.contains_key("absent")
            ));
        }
        // An override to no_show must say who.
        assert!(matches!(
            decide(
                &booking(Status::Pending, None),
                &admin(),
                &Change::Override { to: Status::NoShow, reason: Some("phone call".into()), absent: None },
                None
            ),
            Err(DomainError::Validation(f)) if f.contains_key("absent")
        ));
    }

    #[test]
    fn the_clock_allows_work_an_hour_early_and_a_no_show_from_the_start_but_not_before() {
        let b = booking(Status::Accepted, Some(20));
        let start = b.starts_at;
        let at = |t| super::decide(&b, &assigned_provider(), &Change::Start, None, t);
        assert!(at(start - chrono::Duration::minutes(60)).is_ok());
        match at(start - chrono::Duration::minutes(61)) {
            Err(DomainError::TooEarly { from, message }) => {
                assert_eq!(from, start - chrono::Duration::minutes(60));
                assert!(message.contains("09:00 (Europe/Berlin)"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let no_show = Change::MarkNoShow {
            absent: None,
            reason: None,
        };
        let early = start - chrono::Duration::seconds(1);
        assert!(matches!(
            super::decide(&b, &owner(), &no_show, None, early),
            Err(DomainError::TooEarly { .. })
        ));
        assert!(super::decide(&b, &owner(), &no_show, None, start).is_ok());
        // An override is not held to the clock.
        let forced = Change::Override {
            to: Status::InProgress,
            reason: Some("started by phone".into()),
            absent: None,
        };
        assert!(
            super::decide(
                &b,
                &admin(),
                &forced,
                None,
                early - chrono::Duration::days(1)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_forced_rejection_speaks_for_the_admin_and_fails_nobody_s_attempt_when_nobody_holds_it() {
        let forced = |to: Status, absent: Option<Absent>| Change::Override {
            to,
            reason: Some("sorted out by phone".into()),
            absent,
        };
        // Held by provider 20: their attempt ends, in the admin's words, not theirs.
        let e = decide(
            &booking(Status::Accepted, Some(20)),
            &admin(),
            &forced(Status::Rejected, None),
            None,
        )
        .unwrap();
        assert_eq!(
            e.assignment,
            AssignmentEffect::AttemptFailed {
                outcome: AttemptOutcome::Rejected,
                reason: Some("sorted out by phone".into()),
                error: "an admin set the booking to rejected, ending the attempt of provider 20: \
                        sorted out by phone"
                    .into()
            }
        );
        // Held by nobody (waiting, or its job dead): no attempt to fail, nothing changes.
        for (to, absent) in [
            (Status::Rejected, None),
            (Status::NoShow, Some(Absent::Provider)),
        ] {
            let e = decide(
                &booking(Status::Pending, None),
                &admin(),
                &forced(to, absent),
                None,
            )
            .unwrap();
            assert_eq!(e.assignment, AssignmentEffect::Keep, "{to}");
        }
        // A customer absent still closes it.
        let e = decide(
            &booking(Status::Pending, None),
            &admin(),
            &forced(Status::NoShow, Some(Absent::Customer)),
            None,
        )
        .unwrap();
        assert_eq!(e.assignment, AssignmentEffect::Close);
    }

    #[test]
    fn an_unanswered_offer_expires_by_the_system_only_as_a_failed_attempt() {
        let change = Change::ExpireOffer {
            after: std::time::Duration::from_secs(900),
        };
        let system = Actor::system("w1");
        let e = decide(&booking(Status::Assigned, Some(20)), &system, &change, None).unwrap();
        assert_eq!((e.to, e.provider_id), (Status::Rejected, None));
        let expired = "the offer expired: provider 20 did not answer within 15 minutes";
        assert_eq!(
            e.assignment,
            AssignmentEffect::AttemptFailed {
                outcome: AttemptOutcome::Expired,
                reason: Some(expired.into()),
                error: expired.into()
            }
        );
        assert_eq!(e.note.reason.as_deref(), Some(expired));
        assert!(matches!(
            decide(
                &booking(Status::Assigned, Some(20)),
                &admin(),
                &change,
                None
            ),
            Err(DomainError::NotPermitted { .. })
        ));
        assert!(matches!(
            decide(&booking(Status::Accepted, Some(20)), &system, &change, None),
            Err(DomainError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn starting_and_completing_belong_to_the_assigned_provider() {
        let e = decide(
            &booking(Status::Accepted, Some(20)),
            &assigned_provider(),
            &Change::Start,
            None,
        )
        .unwrap();
        assert_eq!((e.to, e.provider_id), (Status::InProgress, Some(20)));
        let e = decide(
            &booking(Status::InProgress, Some(20)),
            &assigned_provider(),
            &Change::Complete { reason: None },
            None,
        )
        .unwrap();
        assert_eq!(e.to, Status::Completed);
        assert!(matches!(
            decide(
                &booking(Status::InProgress, Some(20)),
                &owner(),
                &Change::Complete { reason: None },
                None
            ),
            Err(DomainError::NotPermitted { .. })
        ));
    }

    #[test]
    fn the_owner_cancels_before_work_starts_and_pending_jobs_stop() {
        let e = decide(
            &booking(Status::Pending, None),
            &owner(),
            &Change::Cancel {
                reason: Some("moved".into()),
            },
            None,
        )
        .unwrap();
        assert_eq!(
            (e.to, e.assignment.clone()),
            (Status::Cancelled, AssignmentEffect::CancelJobs)
        );
        assert!(matches!(
            decide(
                &booking(Status::InProgress, Some(20)),
                &owner(),
                &Change::Cancel { reason: None },
                None
            ),
            Err(DomainError::NotPermitted { .. })
        ));
    }

    #[test]
    fn strangers_learn_nothing_and_a_stale_version_is_a_conflict() {
        let stranger = actor(Role::Customer, 999, None);
        assert_eq!(
            decide(
                &booking(Status::Pending, None),
                &stranger,
                &Change::Cancel { reason: None },
                None
            ),
            Err(DomainError::NotFound {
                entity: "booking",
                id: 7
            })
        );
        let other_provider = actor(Role::Provider, 300, Some(30));
        assert!(matches!(
            decide(
                &booking(Status::Assigned, Some(20)),
                &other_provider,
                &Change::Accept,
                None
            ),
            Err(DomainError::NotFound { .. })
        ));
        assert_eq!(
            decide(
                &booking(Status::Pending, None),
                &owner(),
                &Change::Cancel { reason: None },
                Some(2)
            ),
            Err(DomainError::VersionConflict {
                expected: 2,
                actual: 3
            })
        );
    }

    #[test]
    fn an_illegal_move_is_refused_before_anything_is_decided() {
        assert_eq!(
            decide(
                &booking(Status::Completed, Some(20)),
                &admin(),
                &Change::Cancel { reason: None },
                None
            ),
            Err(DomainError::InvalidTransition {
                from: Status::Completed,
                to: Status::Cancelled
            })
        );
    }

    #[test]
    fn an_override_back_to_pending_starts_a_new_cycle_and_is_recorded_as_one() {
        let change = Change::Override {
            to: Status::Pending,
            reason: Some("customer called".into()),
            absent: None,
        };
        let e = decide(
            &booking(Status::Completed, Some(20)),
            &admin(),
            &change,
            None,
        )
        .unwrap();
        assert_eq!((e.to, e.provider_id), (Status::Pending, None));
        assert_eq!(e.assignment, AssignmentEffect::NewCycle);
        assert!(e.note.is_override);
        let no_reason = Change::Override {
            to: Status::Pending,
            reason: Some(" ".into()),
            absent: None,
        };
        assert!(matches!(
            decide(&booking(Status::Completed, Some(20)), &admin(), &no_reason, None),
            Err(DomainError::Validation(f)) if f.contains_key("reason")
        ));
    }

    #[test]
    fn an_override_to_a_provider_s_status_needs_a_provider_and_assigning_needs_the_assign_route() {
        let to_accepted = Change::Override {
            to: Status::Accepted,
            reason: Some("fix".into()),
            absent: None,
        };
        assert!(matches!(
            decide(
                &booking(Status::Pending, None),
                &admin(),
                &to_accepted,
                None
            ),
            Err(DomainError::Conflict {
                code: "no_provider",
                ..
            })
        ));
        let to_assigned = Change::Override {
            to: Status::Assigned,
            reason: Some("fix".into()),
            absent: None,
        };
        assert!(matches!(
            decide(&booking(Status::Pending, None), &admin(), &to_assigned, None),
            Err(DomainError::Validation(f)) if f["status"].contains("assign")
        ));
        assert!(matches!(
            Change::to(Status::Assigned, None, None, false),
            Err(DomainError::Validation(_))
        ));
    }

    #[test]
    fn a_reason_may_be_a_thousand_characters_and_not_one_more() {
        let at_limit = Change::Cancel {
            reason: Some("r".repeat(MAX_REASON)),
        };
        assert!(decide(&booking(Status::Pending, None), &owner(), &at_limit, None).is_ok());
        let over = Change::Cancel {
            reason: Some("r".repeat(MAX_REASON + 1)),
        };
        assert!(matches!(
            decide(&booking(Status::Pending, None), &owner(), &over, None),
            Err(DomainError::Validation(f)) if f.contains_key("reason")
        ));
    }

    #[test]
    fn a_reason_for_an_assignment_by_hand_may_be_a_thousand_characters_and_not_one_more() {
        let b = booking(Status::Pending, None);
        let free = Some(ProviderFacts {
            active: true,
            offers: true,
            busy_with: None,
        });
        let with = |reason: String| {
            decide_assign_by_hand(&b, &admin(), 20, free, false, Some(&reason), None)
        };
        assert!(with("r".repeat(MAX_REASON)).is_ok());
        assert!(matches!(
            with("r".repeat(MAX_REASON + 1)),
            Err(DomainError::Validation(f)) if f.contains_key("reason")
        ));
    }

    #[test]
    fn an_offer_s_timeout_reads_in_the_largest_whole_unit() {
        for (secs, said) in [
            (0, "0 seconds"),
            (30, "30 seconds"),
            (60, "1 minute"),
            (90, "90 seconds"),
            (900, "15 minutes"),
            (3600, "1 hour"),
            (5400, "90 minutes"),
            (7200, "2 hours"),
        ] {
            assert_eq!(minutes(std::time::Duration::from_secs(secs)), said);
        }
    }

    #[test]
    fn every_status_request_names_its_event() {
        for (to, change) in [
            (Status::Accepted, Change::Accept),
            (Status::Rejected, Change::Reject { reason: None }),
            (Status::InProgress, Change::Start),
            (Status::Completed, Change::Complete { reason: None }),
            (
                Status::NoShow,
                Change::MarkNoShow {
                    absent: None,
                    reason: None,
                },
            ),
            (Status::Cancelled, Change::Cancel { reason: None }),
        ] {
            assert_eq!(Change::to(to, None, None, false), Ok(change.clone()));
            assert_eq!(change.target(), to);
        }
        assert_eq!(
            Change::to(Status::Pending, Some("x".into()), None, true),
            Ok(Change::Override {
                to: Status::Pending,
                reason: Some("x".into()),
                absent: None,
            })
        );
    }

    #[test]
    fn only_an_admin_assigns_by_hand_a_provider_who_offers_the_service_and_is_free() {
        let b = booking(Status::Pending, None);
        let free = Some(ProviderFacts {
            active: true,
            offers: true,
            busy_with: None,
        });
        assert!(matches!(
            decide_assign_by_hand(&b, &owner(), 20, free, false, None, None),
            Err(DomainError::NotPermitted { .. })
        ));
        let lacks = Some(ProviderFacts {
            active: true,
            offers: false,
            busy_with: None,
        });
        assert!(matches!(
            decide_assign_by_hand(&b, &admin(), 20, lacks, false, None, None),
            Err(DomainError::Conflict {
                code: "provider_lacks_service",
                ..
            })
        ));
        assert_eq!(
            decide_assign_by_hand(&b, &admin(), 20, None, false, None, None),
            Err(DomainError::NotFound {
                entity: "provider",
                id: 20
            })
        );
        assert!(matches!(
            decide_assign_by_hand(
                &booking(Status::Accepted, Some(20)),
                &admin(),
                20,
                free,
                false,
                None,
                None
            ),
            Err(DomainError::Conflict {
                code: "already_assigned",
                ..
            })
        ));
        assert!(matches!(
            decide_assign_by_hand(
                &booking(Status::InProgress, Some(21)),
                &admin(),
                20,
                free,
                false,
                None,
                None
            ),
            Err(DomainError::InvalidTransition { .. })
        ));
        let inactive = Some(ProviderFacts {
            active: false,
            offers: true,
            busy_with: None,
        });
        assert!(matches!(
            decide_assign_by_hand(&b, &admin(), 20, inactive, false, None, None),
            Err(DomainError::Conflict {
                code: "provider_inactive",
                ..
            })
        ));
        // A booking another provider holds and has not started is reassigned in one step.
        for held in [Status::Assigned, Status::Accepted] {
            let note = decide_assign_by_hand(
                &booking(held, Some(21)),
                &admin(),
                20,
                free,
                false,
                None,
                None,
            )
            .unwrap();
            assert_eq!(note.reason.as_deref(), Some("reassigned from provider 21"));
            let note = decide_assign_by_hand(
                &booking(held, Some(21)),
                &admin(),
                20,
                free,
                false,
                None,
                Some("Priya Patel"),
            )
            .unwrap();
            assert_eq!(
                note.reason.as_deref(),
                Some("reassigned from Priya Patel (provider 21)")
            );
            assert_eq!(note.old_status, Some(held));
            let note = decide_assign_by_hand(
                &booking(held, Some(21)),
                &admin(),
                20,
                free,
                false,
                Some("customer asked"),
                None,
            )
            .unwrap();
            assert_eq!(
                note.reason.as_deref(),
                Some("reassigned from provider 21: customer asked")
            );
        }
        let note = decide_assign_by_hand(&b, &admin(), 20, free, false, Some(" "), None).unwrap();
        assert_eq!(note.reason.as_deref(), Some("assigned by hand"));
        assert_eq!(note.provider_id, Some(20));
        assert!(!note.is_override);
    }

    #[test]
    fn a_provider_busy_then_is_refused_by_hand_unless_the_overlap_is_allowed_with_a_reason() {
        let b = booking(Status::Pending, None);
        let busy = Some(ProviderFacts {
            active: true,
            offers: true,
            busy_with: Some(41),
        });
        assert_eq!(
            decide_assign_by_hand(&b, &admin(), 20, busy, false, Some("urgent"), None),
            Err(DomainError::ProviderBusy {
                provider_id: 20,
                booking_id: 41
            })
        );
        assert!(matches!(
            decide_assign_by_hand(&b, &admin(), 20, busy, true, Some("  "), None),
            Err(DomainError::Validation(f)) if f.contains_key("reason")
        ));
        let note = decide_assign_by_hand(
            &b,
            &admin(),
            20,
            busy,
            true,
            Some("same street, ten minutes"),
            None,
        )
        .unwrap();
        assert!(note.is_override, "recorded as an override");
        assert_eq!(note.reason.as_deref(), Some("same street, ten minutes"));
    }
}

//! Transitions named after their events. Each is decided here, without a database: who
//! may make it, from where, and what it causes — the booking's new status and provider,
//! the history row, and what happens to its assignment ([`AssignmentEffect`]). The
//! booking room then writes those effects in one transaction (`booking::write`).

use crate::assignment::AttemptOutcome;
use crate::booking::Booking;
use crate::booking::history::HistoryNote;
use crate::booking::permission::{authorize, can_see, check_override};
use crate::error::DomainError;
use crate::{Actor, Status};

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
    Complete,
    /// Nobody could do the work as booked: the attempt that assigned it failed.
    MarkNoShow {
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
    /// An admin forces a status past the rules, saying why.
    Override {
        to: Status,
        reason: Option<String>,
    },
}

impl Change {
    /// The change that a request for status `to` names (`PATCH .../status`); with
    /// `is_override`, an override to `to`.
    pub fn to(
        to: Status,
        reason: Option<String>,
        is_override: bool,
    ) -> Result<Change, DomainError> {
        if is_override {
            return Ok(Change::Override { to, reason });
        }
        Ok(match to {
            Status::Accepted => Change::Accept,
            Status::Rejected => Change::Reject { reason },
            Status::InProgress => Change::Start,
            Status::Completed => Change::Complete,
            Status::NoShow => Change::MarkNoShow { reason },
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
            Change::Complete => Status::Completed,
            Change::MarkNoShow { .. } => Status::NoShow,
            Change::Cancel { .. } => Status::Cancelled,
            Change::Reopen { .. } => Status::Pending,
            Change::Override { to, .. } => *to,
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Change::Reject { reason }
            | Change::MarkNoShow { reason }
            | Change::Cancel { reason }
            | Change::Reopen { reason }
            | Change::Override { reason, .. } => reason.as_deref(),
            Change::Accept | Change::Start | Change::Complete => None,
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
}

/// Everything a change causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub to: Status,
    /// The provider holding the booking afterwards: nobody while it awaits assignment.
    pub provider_id: Option<i64>,
    pub note: HistoryNote,
    pub assignment: AssignmentEffect,
}

/// Decides `change` of `booking` for `actor`. Checked in this order: the reason's length
/// (422), whether the actor may see the booking at all (404), the version it expects
/// (409), the transition table and the actor's rights (409, then 403), and whether the
/// target makes sense for this booking (422).
pub fn decide(
    booking: &Booking,
    actor: &Actor,
    change: &Change,
    expected_version: Option<i64>,
) -> Result<Effects, DomainError> {
    if change
        .reason()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        return Err(DomainError::field(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    let reason = change.reason().map(str::trim).filter(|r| !r.is_empty());
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
    if is_override {
        check_override(actor.role, from, to, reason)?;
    } else {
        authorize(actor.role, relation, from, to)?;
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
    // A booking that waits for assignment is held by nobody; the provider it leaves is
    // kept on the history row (and excluded from its next attempts).
    let provider_id = if to.awaits_assignment() {
        None
    } else {
        booking.provider_id
    };
    let who = booking
        .provider_id
        .map_or("the provider".to_owned(), |p| format!("provider {p}"));
    let assignment = match to {
        Status::Rejected | Status::NoShow => {
            let (outcome, what) = if to == Status::Rejected {
                (AttemptOutcome::Rejected, "rejected the booking")
            } else {
                (AttemptOutcome::NoShow, "marked a no-show")
            };
            let error = match reason {
                Some(r) => format!("{who} {what}: {r}"),
                None => format!("{who} {what}"),
            };
            AssignmentEffect::AttemptFailed {
                outcome,
                reason: reason.map(str::to_owned),
                error,
            }
        }
        Status::Pending => AssignmentEffect::NewCycle,
        _ => AssignmentEffect::CancelJobs,
    };
    Ok(Effects {
        to,
        provider_id,
        note: HistoryNote {
            old_status: Some(from),
            reason: reason.map(str::to_owned),
            is_override,
            provider_id: booking.provider_id,
        },
        assignment,
    })
}

/// Decides an admin's assignment of `provider_id` by hand. Whether that provider exists
/// and offers the service is the caller's to find out first (`offers`: `None` when there
/// is no such provider).
pub fn decide_assign_by_hand(
    booking: &Booking,
    actor: &Actor,
    provider_id: i64,
    offers: Option<bool>,
    reason: Option<&str>,
) -> Result<HistoryNote, DomainError> {
    if !actor.is_admin() {
        return Err(DomainError::not_permitted(
            actor.role,
            "assign a provider by hand",
        ));
    }
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(DomainError::field(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    booking.status.transition(Status::Assigned)?;
    match offers {
        None => {
            return Err(DomainError::NotFound {
                entity: "provider",
                id: provider_id,
            });
        }
        Some(false) => {
            return Err(DomainError::Conflict {
                code: "provider_lacks_service",
                message: format!(
                    "provider {provider_id} does not offer {}",
                    booking.service_type
                ),
            });
        }
        Some(true) => {}
    }
    Ok(HistoryNote {
        old_status: Some(booking.status),
        reason: Some(reason.unwrap_or("assigned by hand").to_owned()),
        is_override: false,
        provider_id: Some(provider_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

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
            scheduled_date: t,
            status,
            provider_id,
            notes: None,
            version: 3,
            assignment_cycle: 1,
            assignment_exhausted: false,
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
    fn a_no_show_fails_the_attempt_and_a_reasonless_one_says_so_plainly() {
        let e = decide(
            &booking(Status::InProgress, Some(20)),
            &assigned_provider(),
            &Change::MarkNoShow { reason: None },
            None,
        )
        .unwrap();
        assert_eq!(
            e.assignment,
            AssignmentEffect::AttemptFailed {
                outcome: AttemptOutcome::NoShow,
                reason: None,
                error: "provider 20 marked a no-show".into()
            }
        );
        assert_eq!(e.provider_id, None);
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
            &Change::Complete,
            None,
        )
        .unwrap();
        assert_eq!(e.to, Status::Completed);
        assert!(matches!(
            decide(
                &booking(Status::InProgress, Some(20)),
                &owner(),
                &Change::Complete,
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
        };
        assert!(matches!(
            decide(&booking(Status::Pending, None), &admin(), &to_assigned, None),
            Err(DomainError::Validation(f)) if f["status"].contains("assign")
        ));
        assert!(matches!(
            Change::to(Status::Assigned, None, false),
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
    fn every_status_request_names_its_event() {
        for (to, change) in [
            (Status::Accepted, Change::Accept),
            (Status::Rejected, Change::Reject { reason: None }),
            (Status::InProgress, Change::Start),
            (Status::Completed, Change::Complete),
            (Status::NoShow, Change::MarkNoShow { reason: None }),
            (Status::Cancelled, Change::Cancel { reason: None }),
        ] {
            assert_eq!(Change::to(to, None, false), Ok(change.clone()));
            assert_eq!(change.target(), to);
        }
        assert_eq!(
            Change::to(Status::Pending, Some("x".into()), true),
            Ok(Change::Override {
                to: Status::Pending,
                reason: Some("x".into())
            })
        );
    }

    #[test]
    fn only_an_admin_assigns_by_hand_a_provider_who_offers_the_service_to_a_booking_that_may_be_assigned()
     {
        let b = booking(Status::Pending, None);
        assert!(matches!(
            decide_assign_by_hand(&b, &owner(), 20, Some(true), None),
            Err(DomainError::NotPermitted { .. })
        ));
        assert!(matches!(
            decide_assign_by_hand(&b, &admin(), 20, Some(false), None),
            Err(DomainError::Conflict {
                code: "provider_lacks_service",
                ..
            })
        ));
        assert_eq!(
            decide_assign_by_hand(&b, &admin(), 20, None, None),
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
                Some(true),
                None
            ),
            Err(DomainError::InvalidTransition { .. })
        ));
        let note = decide_assign_by_hand(&b, &admin(), 20, Some(true), Some(" ")).unwrap();
        assert_eq!(note.reason.as_deref(), Some("assigned by hand"));
        assert_eq!(note.provider_id, Some(20));
    }
}

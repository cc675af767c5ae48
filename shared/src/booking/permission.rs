//! Who may make which transition (the README's status rules).
//!
//! The transition table says what is possible at all; this module says who may do it:
//! the owning customer cancels before the work starts and reports a provider who never
//! came, the assigned provider drives the work and reports a customer who was not there,
//! the system assigns, and an admin may make any legal move (overrides are handled
//! apart, in [`check_override`]; the system's expiry of an offer in `transition`).

use crate::{DomainError, Role, Status};

/// How the caller stands to the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The customer who booked it.
    Owner,
    /// The provider it is assigned to.
    AssignedProvider,
    /// Anyone else (operators and the system see every booking whatever their relation).
    Stranger,
}

/// May a caller in `role` and `relation` see this booking at all?
pub fn can_see(role: Role, relation: Relation) -> bool {
    match role {
        Role::Admin | Role::Viewer | Role::System => true,
        Role::Customer => relation == Relation::Owner,
        Role::Provider => relation == Relation::AssignedProvider,
    }
}

/// Checks `from -> to` for a caller: first the table (409 when it is not a legal move),
/// then the role (403 when it is legal but not theirs to make).
pub fn authorize(
    role: Role,
    relation: Relation,
    from: Status,
    to: Status,
) -> Result<(), DomainError> {
    from.transition(to)?;
    let allowed = match role {
        Role::Admin => true,
        // A read-only operator moves nothing.
        Role::Viewer => false,
        Role::System => to == Status::Assigned,
        Role::Customer => {
            relation == Relation::Owner
                && ((to == Status::Cancelled && from != Status::InProgress)
                    || (from, to) == (Status::Accepted, Status::NoShow))
        }
        Role::Provider => {
            relation == Relation::AssignedProvider
                && matches!(
                    (from, to),
                    (Status::Assigned, Status::Accepted)
                        | (Status::Assigned, Status::Rejected)
                        | (Status::Accepted, Status::InProgress)
                        | (Status::InProgress, Status::Completed)
                        | (Status::InProgress, Status::NoShow)
                )
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::not_permitted(
            role,
            format!("move a booking from {from} to {to}"),
        ))
    }
}

/// An override forces any status past the table: only an admin, only with a reason, and
/// never to the status the booking already has.
pub fn check_override(
    role: Role,
    from: Status,
    to: Status,
    reason: Option<&str>,
) -> Result<(), DomainError> {
    if role != Role::Admin {
        return Err(DomainError::not_permitted(
            role,
            "override a booking's status",
        ));
    }
    if reason.is_none_or(crate::input::is_blank) {
        return Err(DomainError::field(
            "reason",
            "an override needs a reason saying why the rules are bypassed",
        ));
    }
    if from == to {
        return Err(DomainError::InvalidTransition { from, to });
    }
    Ok(())
}

/// The transitions `role` may make from `from`, in table order (what a page offers).
pub fn allowed_moves(role: Role, relation: Relation, from: Status) -> Vec<Status> {
    from.successors()
        .iter()
        .copied()
        .filter(|&to| authorize(role, relation, from, to).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Relation::*;
    use super::*;
    use Status::*;

    fn moves(role: Role, relation: Relation) -> Vec<(Status, Status)> {
        let mut out = Vec::new();
        for from in Status::ALL {
            for to in allowed_moves(role, relation, from) {
                out.push((from, to));
            }
        }
        out
    }

    #[test]
    fn the_owning_customer_may_cancel_before_work_starts_and_report_a_provider_who_never_came() {
        assert_eq!(
            moves(Role::Customer, Owner),
            vec![
                (Pending, Cancelled),
                (Assigned, Cancelled),
                (Accepted, Cancelled),
                (Accepted, NoShow),
                (Rejected, Cancelled),
                (NoShow, Cancelled),
            ]
        );
        assert!(matches!(
            authorize(Role::Customer, Owner, InProgress, Cancelled),
            Err(DomainError::NotPermitted { .. })
        ));
    }

    #[test]
    fn the_assigned_provider_drives_the_work_and_nothing_else() {
        assert_eq!(
            moves(Role::Provider, AssignedProvider),
            vec![
                (Assigned, Accepted),
                (Assigned, Rejected),
                (Accepted, InProgress),
                (InProgress, Completed),
                (InProgress, NoShow),
            ]
        );
    }

    #[test]
    fn strangers_may_do_nothing_and_see_nothing() {
        for role in [Role::Customer, Role::Provider] {
            assert!(moves(role, Stranger).is_empty(), "{role}");
            assert!(!can_see(role, Stranger));
        }
        assert!(moves(Role::Customer, AssignedProvider).is_empty());
        assert!(moves(Role::Provider, Owner).is_empty());
    }

    #[test]
    fn the_system_only_assigns() {
        assert_eq!(
            moves(Role::System, Stranger),
            vec![
                (Pending, Assigned),
                (Rejected, Assigned),
                (NoShow, Assigned)
            ]
        );
    }

    #[test]
    fn an_admin_may_make_every_legal_move_and_no_illegal_one() {
        let all: Vec<_> = Status::ALL
            .into_iter()
            .flat_map(|f| f.successors().iter().map(move |&t| (f, t)))
            .collect();
        assert_eq!(moves(Role::Admin, Stranger), all);
        assert_eq!(
            authorize(Role::Admin, Stranger, Completed, Pending),
            Err(DomainError::InvalidTransition {
                from: Completed,
                to: Pending
            })
        );
    }

    #[test]
    fn an_illegal_move_is_a_conflict_before_it_is_a_permission_question() {
        assert_eq!(
            authorize(Role::Customer, Owner, Cancelled, Cancelled),
            Err(DomainError::InvalidTransition {
                from: Cancelled,
                to: Cancelled
            })
        );
    }

    #[test]
    fn only_an_admin_with_a_reason_may_override() {
        for role in [Role::Customer, Role::Provider, Role::System] {
            assert!(matches!(
                check_override(role, Completed, Pending, Some("typo")),
                Err(DomainError::NotPermitted { .. })
            ));
        }
        for reason in [None, Some(""), Some("   ")] {
            assert!(matches!(
                check_override(Role::Admin, Completed, Pending, reason),
                Err(DomainError::Validation(f)) if f.contains_key("reason")
            ));
        }
        assert!(check_override(Role::Admin, Completed, Pending, Some("customer asked")).is_ok());
        assert!(check_override(Role::Admin, Pending, Pending, Some("same")).is_err());
    }

    #[test]
    fn visibility_follows_the_relation() {
        assert!(can_see(Role::Customer, Owner));
        assert!(can_see(Role::Provider, AssignedProvider));
        assert!(can_see(Role::Admin, Stranger));
        assert!(can_see(Role::System, Stranger));
    }
}

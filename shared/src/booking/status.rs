//! The booking status and its transition table (the README's status rules).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::DomainError;

/// A booking's status. The database holds the same set in a CHECK constraint.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Assigned,
    Accepted,
    InProgress,
    Completed,
    Cancelled,
    Rejected,
    NoShow,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Pending,
        Status::Assigned,
        Status::Accepted,
        Status::InProgress,
        Status::Completed,
        Status::Cancelled,
        Status::Rejected,
        Status::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Assigned => "assigned",
            Status::Accepted => "accepted",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::Rejected => "rejected",
            Status::NoShow => "no_show",
        }
    }

    /// The statuses this one may move to under the rules.
    pub fn successors(self) -> &'static [Status] {
        use Status::*;
        match self {
            Pending => &[Assigned, Cancelled],
            Assigned => &[Accepted, Rejected, Cancelled],
            Accepted => &[InProgress, Cancelled, NoShow],
            InProgress => &[Completed, Cancelled, NoShow],
            Rejected => &[Assigned, Cancelled],
            NoShow => &[Assigned, Cancelled],
            Completed | Cancelled => &[],
        }
    }

    pub fn can_become(self, to: Status) -> bool {
        self.successors().contains(&to)
    }

    /// Checks the move `self -> to` against the table.
    pub fn transition(self, to: Status) -> Result<Status, DomainError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition { from: self, to })
        }
    }

    /// No transition leaves a terminal status.
    pub fn is_terminal(self) -> bool {
        self.successors().is_empty()
    }

    /// A booking in this status may wait for the assignment job: nobody holds it (a
    /// no-show whose customer was absent does not: see `Booking::awaits_assignment`).
    pub fn awaits_assignment(self) -> bool {
        matches!(self, Status::Pending | Status::Rejected | Status::NoShow)
    }

    /// A provider is working on it (counts toward the provider's load).
    pub fn is_active_for_provider(self) -> bool {
        matches!(
            self,
            Status::Assigned | Status::Accepted | Status::InProgress
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the eight.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status `{0}`")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};
    use crate::DomainError;

    /// The design's table, written out pair by pair so that a change to `successors`
    /// that is not also a change to the contract fails here.
    const LEGAL: [(Status, Status); 15] = [
        (Pending, Assigned),
        (Pending, Cancelled),
        (Assigned, Accepted),
        (Assigned, Rejected),
        (Assigned, Cancelled),
        (Accepted, InProgress),
        (Accepted, Cancelled),
        (Accepted, NoShow),
        (InProgress, Completed),
        (InProgress, Cancelled),
        (InProgress, NoShow),
        (Rejected, Assigned),
        (Rejected, Cancelled),
        (NoShow, Assigned),
        (NoShow, Cancelled),
    ];

    #[test]
    fn every_one_of_the_64_pairs_follows_the_table() {
        let mut legal = 0;
        for from in Status::ALL {
            for to in Status::ALL {
                let expected = LEGAL.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
                match from.transition(to) {
                    Ok(s) => {
                        assert!(expected, "{from} -> {to} allowed");
                        assert_eq!(s, to);
                        legal += 1;
                    }
                    Err(e) => {
                        assert!(!expected, "{from} -> {to} refused");
                        assert_eq!(e, DomainError::InvalidTransition { from, to });
                    }
                }
            }
        }
        assert_eq!(legal, 15);
    }

    #[test]
    fn completed_and_cancelled_are_terminal_and_nothing_else_is() {
        for s in Status::ALL {
            assert_eq!(s.is_terminal(), matches!(s, Completed | Cancelled), "{s}");
        }
        assert!(Cancelled.transition(Cancelled).is_err());
    }

    #[test]
    fn no_status_may_stay_as_it_is() {
        for s in Status::ALL {
            assert!(!s.can_become(s), "{s}");
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!("done".parse::<Status>().is_err());
        assert!("Pending".parse::<Status>().is_err());
    }
}

//! Bookings: the status state machine, who may drive it, and what a valid booking is.

pub mod permission;
pub mod status;
pub mod validation;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::booking::permission::Relation;
use crate::{Actor, Role, Status};

/// A booking as stored. Field names follow the table and the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Booking {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    pub scheduled_date: DateTime<Utc>,
    pub status: Status,
    pub provider_id: Option<i64>,
    pub notes: Option<String>,
    pub version: i64,
    /// The assignment cycle in force: 1 at creation, +1 at each admin retry.
    pub assignment_cycle: i64,
    /// Set when the cycle's last attempt failed; cleared by a new cycle or an assignment.
    pub assignment_exhausted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Booking {
    /// How `actor` stands to this booking.
    pub fn relation_to(&self, actor: &Actor) -> Relation {
        match actor.role {
            Role::Customer if actor.user_id == Some(self.customer_id) => Relation::Owner,
            Role::Provider
                if actor.provider_id.is_some() && actor.provider_id == self.provider_id =>
            {
                Relation::AssignedProvider
            }
            _ => Relation::Stranger,
        }
    }
}

/// One row of a booking's append-only audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub booking_id: i64,
    /// `None` for the row that records the booking's creation.
    pub old_status: Option<Status>,
    pub new_status: Status,
    /// The user who made the change; `None` for the system.
    pub changed_by: Option<i64>,
    /// The user's or worker's name at the time.
    pub changed_by_name: String,
    pub changed_by_role: Role,
    pub reason: Option<String>,
    /// True when an admin forced the status past the state machine.
    pub is_override: bool,
    /// The provider the change concerns (assigned, or the one who rejected).
    pub provider_id: Option<i64>,
    pub timestamp: DateTime<Utc>,
}

/// What came of one assignment attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A provider was chosen; it may still reject.
    Assigned,
    NoProvider,
    Rejected,
    NoShow,
    Error,
    /// An admin assigned by hand, ending the cycle.
    Manual,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Assigned => "assigned",
            AttemptOutcome::NoProvider => "no_provider",
            AttemptOutcome::Rejected => "rejected",
            AttemptOutcome::NoShow => "no_show",
            AttemptOutcome::Error => "error",
            AttemptOutcome::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AttemptOutcome::Assigned,
            AttemptOutcome::NoProvider,
            AttemptOutcome::Rejected,
            AttemptOutcome::NoShow,
            AttemptOutcome::Error,
            AttemptOutcome::Manual,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One assignment attempt of one cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub booking_id: i64,
    pub cycle: i64,
    pub attempt: i64,
    pub provider_id: Option<i64>,
    pub outcome: AttemptOutcome,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

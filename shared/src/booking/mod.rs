//! The booking room: a booking's status and the table of moves ([`status`]), who may
//! make them ([`permission`]), what a valid booking is ([`validation`]), the moves named
//! after their events and what each causes ([`transition`]), the audit trail
//! ([`history`]); and [`Bookings`], the entry point that creates, changes and reads them.

pub mod counts;
pub mod history;
pub(crate) mod intake;
pub mod permission;
pub(crate) mod read;
pub(crate) mod rows;
mod sql;
pub mod status;
pub mod transition;
pub mod validation;
pub(crate) mod write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use db::Db;
use queue::RetryPolicy;

use crate::assignment::AssignmentPolicy;
use crate::booking::permission::Relation;
use crate::schedule::ScheduleRules;
use crate::{Actor, Role, Status};

pub use intake::IdempotencyKey;
pub use read::{BookingDetail, BookingFilter, BookingOrder, BookingPage, Cursor, PassedOn};

/// A booking as stored. Field names follow the table and the API.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    /// The window the work occupies, `[starts_at, ends_at)`: the service's duration.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The time zone of the address: every page shows the window on its clock.
    pub time_zone: Tz,
    pub status: Status,
    pub provider_id: Option<i64>,
    pub notes: Option<String>,
    pub version: i64,
    /// The assignment cycle in force: 1 at creation, +1 at each admin retry, manual
    /// assignment or forced restart.
    pub assignment_cycle: i64,
    /// Set when the cycle's last attempt failed; cleared by a new cycle or an assignment.
    pub assignment_exhausted: bool,
    /// Who was absent, when it closed as a no-show.
    pub absent: Option<Absent>,
    /// An admin allowed its window to overlap another of its provider's, with a reason.
    pub overlap_override: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who did not turn up, on a booking that closed as a no-show.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Absent {
    /// The provider reported the customer absent: the booking closes, no re-dispatch.
    Customer,
    /// The customer or an admin reported the provider absent: it goes back to dispatch.
    Provider,
}

impl Absent {
    pub fn as_str(self) -> &'static str {
        match self {
            Absent::Customer => "customer",
            Absent::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<Absent> {
        [Absent::Customer, Absent::Provider]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

impl Booking {
    /// The booking waits for the assignment job: nobody holds it, and it did not close
    /// because its customer was absent.
    pub fn awaits_assignment(&self) -> bool {
        self.status.awaits_assignment() && self.absent != Some(Absent::Customer)
    }

    /// The window `[starts_at, ends_at)`.
    pub fn window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.starts_at, self.ends_at)
    }

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
#[derive(Debug, Clone, PartialEq)]
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

/// The booking room's entry point: create, change and read bookings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Bookings {
    db: Db,
    /// How assignment attempts of new bookings are retried (stored with their jobs).
    policy: RetryPolicy,
    /// New bookings on SQLite, written together ([`intake`]).
    intake: intake::Intake,
    /// The rules of time: time zone, lead time, offer timeout.
    rules: ScheduleRules,
}

impl Bookings {
    pub fn new(db: Db, policy: RetryPolicy) -> Bookings {
        Bookings {
            db,
            policy,
            intake: intake::Intake::default(),
            rules: ScheduleRules::default(),
        }
    }

    /// New bookings and moves follow `rules`.
    pub fn with_rules(mut self, rules: ScheduleRules) -> Bookings {
        self.rules = rules;
        self
    }

    pub fn rules(&self) -> ScheduleRules {
        self.rules
    }

    /// How the assignment of this room's bookings runs.
    pub(crate) fn assignment_policy(&self) -> AssignmentPolicy {
        AssignmentPolicy {
            retry: self.policy,
            offer_timeout: self.rules.offer_timeout,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

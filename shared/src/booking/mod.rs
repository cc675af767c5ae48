//! The booking room: a booking's status and the table of moves ([`status`]), who may
//! make them ([`permission`]), what a valid booking is ([`validation`]), the moves named
//! after their events and what each causes ([`transition`]), the audit trail
//! ([`history`]); and [`Bookings`], the entry point that creates, changes and reads them.

pub mod history;
pub(crate) mod intake;
pub mod permission;
mod read;
pub(crate) mod rows;
mod sql;
pub mod status;
pub mod transition;
pub mod validation;
mod write;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use db::Db;
use queue::RetryPolicy;

use crate::booking::permission::Relation;
use crate::{Actor, Role, Status};

pub use intake::IdempotencyKey;
pub use read::{BookingDetail, BookingFilter, BookingPage};

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
    pub scheduled_date: DateTime<Utc>,
    pub status: Status,
    pub provider_id: Option<i64>,
    pub notes: Option<String>,
    pub version: i64,
    /// The assignment cycle in force: 1 at creation, +1 at each admin retry, manual
    /// assignment or forced restart.
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
}

impl Bookings {
    pub fn new(db: Db, policy: RetryPolicy) -> Bookings {
        Bookings {
            db,
            policy,
            intake: Arc::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

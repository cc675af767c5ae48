//! The application's core, one room per concept, over the small [`db::Db`] and the
//! [`queue`]:
//!
//! - [`booking`]: the state machine and who may drive it, the moves named after their
//!   events and what each causes, intake, reads; entry point [`Bookings`].
//! - [`assignment`]: how a provider is chosen, the attempts, cycles and backoff, and
//!   the job that assigns; entry point [`Assignment`] (the queue's handler).
//! - [`schedule`]: time: providers' calendars in their own zones, the slot grid and
//!   the rules of the clock, bookable slots; [`Schedule`].
//! - [`provider`], [`account`]: providers and logins; [`Providers`], [`Accounts`].
//! - [`console`]: operators' actions on the queue (retry, cancel, run now, pause) and
//!   the audit log of every operator action; [`Console`].
//! - [`feed`]: the event feed of history rows; [`Feed`].
//! - [`overview`]: the admin counts; [`Overview`].
//! - [`analytics`]: the dashboard's figures over a range of days; [`Analytics`].
//! - [`rating`]: customers' ratings and the providers' reviews; [`Ratings`].
//!
//! It knows nothing of HTTP and nothing of apalis: the API and the worker translate to
//! and from their own worlds at their edges.

pub mod account;
pub mod actor;
pub mod analytics;
pub mod assignment;
pub mod booking;
pub mod console;
pub mod error;
pub mod feed;
pub mod input;
pub mod overview;
pub mod provider;
pub mod rating;
pub mod schedule;

pub use account::Accounts;
pub use actor::{Actor, Role};
pub use analytics::Analytics;
pub use assignment::Assignment;
pub use booking::Bookings;
pub use booking::status::Status;
pub use console::Console;
pub use error::{DomainError, StoreError};
pub use feed::Feed;
pub use overview::Overview;
pub use provider::Providers;
pub use rating::Ratings;
pub use schedule::Schedule;

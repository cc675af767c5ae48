//! The booking domain shared by the `api` and the `worker`.
//!
//! It holds the booking state machine and who may drive it ([`booking`]), the roles and
//! the acting user ([`actor`]), the assignment retry policy ([`assignment`]), the store
//! that owns every SQL statement, including the job table the queue runs on ([`store`]),
//! and the domain errors ([`error`]). It knows nothing of HTTP and nothing of apalis: the
//! API and the worker translate to and from their own worlds at their edges.

pub mod actor;
pub mod assignment;
pub mod booking;
pub mod clock;
pub mod config;
pub mod error;
pub mod signal;
pub mod store;
pub mod testing;

pub use actor::{Actor, Role};
pub use booking::status::Status;
pub use error::{DomainError, StoreError};
pub use store::Store;

//! The route groups, one module per resource.

pub mod admin;
pub mod bookings;
pub mod docs;
pub mod health;
pub mod providers;

//! The route groups, one module per resource.

pub mod admin;
pub mod analytics;
pub mod auth;
pub mod availability;
pub mod bookings;
pub mod health;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod providers;
pub mod ratings;
pub mod users;

//! The scenarios, one file each. Every one starts the real binaries on a fresh database
//! (through [`crate::Run`]), reports its figures beside their baselines and targets, and
//! ends with the correctness checks.

pub mod analytics;
pub mod calendar;
pub mod console;
pub mod drain;
pub mod intake;
pub mod peer;
pub mod queue;
pub mod retry;
pub mod scale;
pub mod scaling;
pub mod steady;
pub mod streams;

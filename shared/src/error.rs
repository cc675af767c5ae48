//! Domain and store errors. The API maps each to an HTTP status in exactly one place.

use std::collections::BTreeMap;

use crate::{Role, Status};

/// Field name -> a sentence saying what is wrong with it.
pub type FieldErrors = BTreeMap<String, String>;

/// A rule of the domain was broken; each variant carries what a good message needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("a booking cannot go from {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("a {role} may not {action}")]
    NotPermitted { role: Role, action: String },
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: i64 },
    #[error("the booking changed since version {expected}; it is now at version {actual}")]
    VersionConflict { expected: i64, actual: i64 },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("some fields are invalid")]
    Validation(FieldErrors),
}

impl DomainError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        DomainError::Validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    pub fn not_permitted(role: Role, action: impl Into<String>) -> Self {
        DomainError::NotPermitted {
            role,
            action: action.into(),
        }
    }
}

/// What a store operation can fail with: a domain rule, or the database itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// True for errors a caller should retry after a short pause (SQLite busy or locked,
    /// a PostgreSQL serialization failure or deadlock, a server shutting down or starting,
    /// a dropped connection or an exhausted pool).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => match db.code().as_deref() {
                Some("5" | "6" | "261" | "262" | "517") => true,
                // Serialization failure, deadlock; administrator or crash shutdown, cannot
                // connect now (starting up or shutting down); every connection exception.
                Some(code) => {
                    matches!(code, "40001" | "40P01" | "57P01" | "57P02" | "57P03")
                        || code.starts_with("08")
                }
                None => false,
            },
            StoreError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed,
            ) => true,
            _ => false,
        }
    }
}

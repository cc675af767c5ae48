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
    /// One database error answered to several operations (the transaction they shared
    /// could not start).
    #[error("database error: {0}")]
    Shared(std::sync::Arc<sqlx::Error>),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// True for errors a caller should retry after a short pause (SQLite busy or locked,
    /// a PostgreSQL serialization failure or deadlock, a server shutting down or starting,
    /// a dropped connection or an exhausted pool).
    pub fn is_transient(&self) -> bool {
        let error = match self {
            StoreError::Database(e) => e,
            StoreError::Shared(e) => e.as_ref(),
            StoreError::Domain(_) | StoreError::Migrate(_) => return false,
        };
        match error {
            sqlx::Error::Database(db) => matches!(
                db.code().as_deref(),
                // SQLite: busy, locked (and their extended codes).
                Some("5" | "6" | "261" | "262" | "517")
                    // PostgreSQL: serialization failure, deadlock; administrator or crash
                    // shutdown, cannot connect now (starting or stopping); the connection
                    // exceptions that say the connection is gone, not those that say the
                    // outcome is unknown (08007) or the protocol was broken (08P01).
                    | Some("40001" | "40P01" | "57P01" | "57P02" | "57P03")
                    | Some("08000" | "08001" | "08003" | "08004" | "08006")
            ),
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use super::StoreError;

    /// A database error with only a code, as either database reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn coded(code: &'static str) -> StoreError {
        StoreError::Database(sqlx::Error::Database(Box::new(Coded(code))))
    }

    #[test]
    fn busy_locked_gone_and_shutting_down_are_worth_a_retry_and_nothing_else_is() {
        for code in [
            "5", "6", "517", "40001", "40P01", "57P01", "57P03", "08006", "08003",
        ] {
            assert!(coded(code).is_transient(), "{code}");
        }
        // A constraint, a syntax error, an outcome unknown, a broken protocol.
        for code in ["19", "787", "23505", "42601", "08007", "08P01"] {
            assert!(!coded(code).is_transient(), "{code}");
        }
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(StoreError::Shared(Arc::new(sqlx::Error::PoolTimedOut)).is_transient());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_transient());
    }
}

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
    /// The provider holds another active booking whose window overlaps this one.
    #[error("provider {provider_id} is busy then: booking {booking_id} overlaps this window")]
    ProviderBusy { provider_id: i64, booking_id: i64 },
    /// A move the clock does not allow yet (work starts at most an hour early, a no-show
    /// is reported from the start); possible from `from`.
    #[error("{message}")]
    TooEarly {
        message: String,
        from: chrono::DateTime<chrono::Utc>,
    },
    /// Too late for this move (a customer moves a booking until two hours before it).
    #[error("{message}")]
    TooLate {
        message: String,
        until: chrono::DateTime<chrono::Utc>,
    },
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

/// What an operation of the core can fail with: a domain rule, or the database itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Db(#[from] db::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(db::Error::Sqlx(e))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(db::Error::Direct(e))
    }
}

impl StoreError {
    /// True for database errors a caller should retry after a short pause (see
    /// [`db::Error::is_transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Db(e) if e.is_transient())
    }

    /// True when the database refused a write for lack of disk space.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Db(e) if e.is_disk_full())
    }

    /// As a boxed error that keeps what it is: a database error stays one (so that the
    /// queue's runtime can tell a transient one), a domain error stays one.
    pub fn boxed(self) -> queue::BoxError {
        match self {
            StoreError::Db(e) => Box::new(e),
            StoreError::Domain(e) => Box::new(e),
        }
    }
}

/// A write made again when it fails with a database error of one kind: which kind
/// (`when`), how many times in all (`tries`), and what the log says meanwhile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Again {
    pub(crate) when: fn(&db::Error) -> bool,
    pub(crate) tries: u32,
    pub(crate) what: &'static str,
}

impl Again {
    /// Runs `write`, again while it fails with an error of this kind, at most `tries`
    /// times in all; any other outcome is answered at once.
    pub(crate) async fn run<T, F, Fut>(&self, mut write: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut tried = 0;
        loop {
            tried += 1;
            match write().await {
                Err(StoreError::Db(e)) if (self.when)(&e) && tried < self.tries => {
                    tracing::debug!(tried, "{}", self.what);
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs `again` over a write that fails with the database error `code` `failing` times
    /// (then with `then`, or succeeds): what it answered, after how many tries.
    pub(crate) async fn tried(
        again: &Again,
        code: &'static str,
        failing: u32,
        mut then: Option<sqlx::Error>,
    ) -> (Result<u32, StoreError>, u32) {
        let tries = std::sync::atomic::AtomicU32::new(0);
        let answer = again
            .run(|| {
                let n = tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let failure = if n <= failing {
                    Some(testkit::database_error(code))
                } else {
                    then.take()
                };
                async move {
                    match failure {
                        Some(e) => Err(StoreError::Db(db::Error::Sqlx(e))),
                        None => Ok(n),
                    }
                }
            })
            .await;
        (answer, tries.into_inner())
    }
}

//! What the database can fail with, and which failures are worth a retry.

use std::sync::Arc;

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// One database error answered to several operations (a transaction they shared
    /// could not start).
    #[error("database error: {0}")]
    Shared(Arc<sqlx::Error>),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A statement run on a SQLite connection's own handle ([`crate::Tx::direct`]).
    #[error("database error: {0}")]
    Direct(#[from] rusqlite::Error),
}

impl Error {
    /// The underlying sqlx error, if this is one.
    pub fn sqlx(&self) -> Option<&sqlx::Error> {
        match self {
            Error::Sqlx(e) => Some(e),
            Error::Shared(e) => Some(e.as_ref()),
            Error::Migrate(_) | Error::Direct(_) => None,
        }
    }

    /// True for errors a caller should retry after a short pause: SQLite busy or locked;
    /// a PostgreSQL serialization failure, deadlock, lock or statement timeout; a server
    /// shutting down or starting; a dropped connection or an exhausted pool.
    pub fn is_transient(&self) -> bool {
        self.sqlx().is_some_and(is_transient)
    }

    /// True when the database refused the write for lack of space (SQLite's full disk,
    /// PostgreSQL's disk full).
    pub fn is_disk_full(&self) -> bool {
        if let Error::Direct(rusqlite::Error::SqliteFailure(e, _)) = self {
            return e.code == rusqlite::ErrorCode::DiskFull;
        }
        matches!(
            self.sqlx(),
            Some(sqlx::Error::Database(db)) if matches!(db.code().as_deref(), Some("13" | "53100"))
        )
    }
}

/// See [`Error::is_transient`].
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            // SQLite: busy, locked (and their extended codes).
            Some("5" | "6" | "261" | "262" | "517")
                // PostgreSQL: serialization failure, deadlock; lock not available (a
                // `lock_timeout`), query cancelled (a `statement_timeout`); administrator
                // or crash shutdown, cannot connect now (starting or stopping); the
                // connection exceptions that say the connection is gone, not those that
                // say the outcome is unknown (08007) or the protocol was broken (08P01).
                | Some("40001" | "40P01" | "55P03" | "57014" | "57P01" | "57P02" | "57P03")
                | Some("08000" | "08001" | "08003" | "08004" | "08006")
        ),
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Error;

    fn coded(code: &'static str) -> Error {
        Error::Sqlx(testkit::database_error(code))
    }

    #[test]
    fn busy_locked_timed_out_gone_and_shutting_down_are_worth_a_retry_and_nothing_else_is() {
        for code in [
            "5", "6", "517", "40001", "40P01", "55P03", "57014", "57P01", "57P03", "08006", "08003",
        ] {
            assert!(coded(code).is_transient(), "{code}");
        }
        // A constraint, a syntax error, an outcome unknown, a broken protocol, a full disk.
        for code in ["19", "787", "23505", "42601", "08007", "08P01", "13"] {
            assert!(!coded(code).is_transient(), "{code}");
        }
        assert!(Error::Sqlx(sqlx::Error::PoolTimedOut).is_transient());
        assert!(Error::Shared(Arc::new(sqlx::Error::PoolTimedOut)).is_transient());
        assert!(!Error::Sqlx(sqlx::Error::RowNotFound).is_transient());
    }

    #[test]
    fn a_full_disk_is_told_apart() {
        assert!(coded("13").is_disk_full());
        assert!(coded("53100").is_disk_full());
        assert!(!coded("5").is_disk_full());
    }
}

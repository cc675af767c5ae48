//! The two databases, and the few tools that let one body of code speak to either.
//!
//! Every query is written once where the dialects agree (they do for most: `$n`
//! parameters, `RETURNING`, `ON CONFLICT`, `TRUE`/`FALSE`) and the [`on!`] macro compiles
//! it once per backend. Where they differ, [`dialect!`] picks the text; each such fork
//! is named once, as a `sqlite`/`postgres` pair beside the statement that needs it.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL selects.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Something a query can run on, split by backend for [`on!`].
pub enum Either<S, P> {
    Sqlite(S),
    Postgres(P),
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn split(&self) -> Either<&SqlitePool, &PgPool> {
        match self {
            Pool::Sqlite(p) => Either::Sqlite(p),
            Pool::Postgres(p) => Either::Postgres(p),
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A transaction of either backend, with the time it runs at: every row it writes
/// carries the same `now`. A SQLite write transaction also holds the write turn, among
/// this process's writers and the other processes' (see [`crate::Db`]), until its commit.
/// Dropped without [`Tx::commit`], it rolls back (except a
/// [`crate::Db::write_one`] on PostgreSQL, whose statement committed as it ran).
pub struct Tx {
    pub(crate) inner: TxInner,
    pub(crate) now: DateTime<Utc>,
    /// Told of the commit (write transactions only).
    pub(crate) committed: Option<tokio::sync::watch::Sender<u64>>,
    /// Wakes other processes' workers after the commit, for `wake`.
    pub(crate) waker: Option<std::sync::Arc<crate::wake::Wakes>>,
    /// The queues whose jobs this transaction made claimable.
    pub(crate) wake: Vec<String>,
}

pub(crate) enum TxInner {
    Sqlite {
        tx: Transaction<'static, Sqlite>,
        turn: Option<crate::turn::Turn>,
    },
    Postgres(Transaction<'static, Postgres>),
    /// No transaction of its own: each statement is committed by itself
    /// ([`crate::Db::write_one`]).
    PostgresAlone(PoolConnection<Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite { .. } => Backend::Sqlite,
            TxInner::Postgres(_) | TxInner::PostgresAlone(_) => Backend::Postgres,
        }
    }

    /// The time this transaction runs at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn split(&mut self) -> Either<&mut sqlx::SqliteConnection, &mut sqlx::PgConnection> {
        match &mut self.inner {
            TxInner::Sqlite { tx, .. } => Either::Sqlite(&mut **tx),
            TxInner::Postgres(tx) => Either::Postgres(&mut **tx),
            TxInner::PostgresAlone(c) => Either::Postgres(&mut **c),
        }
    }

    /// Says that this transaction makes jobs of `queue` claimable ([`crate::wake::ANY_QUEUE`]
    /// for jobs of any): once it commits, idle workers of other processes are woken at
    /// once ([`crate::wake`]).
    pub fn wake(&mut self, queue: &str) {
        if self.waker.is_some() && !self.wake.iter().any(|q| q == queue) {
            self.wake.push(queue.to_owned());
        }
    }

    /// Commits, and tells this process's listeners that something changed (and, after a
    /// [`Tx::wake`], other processes' idle workers).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Sqlite { tx, turn } => {
                tx.commit().await?;
                // The next writer's turn, before anyone is woken to write.
                drop(turn);
            }
            TxInner::Postgres(tx) => tx.commit().await?,
            // Its statement committed as it ran.
            TxInner::PostgresAlone(_) => {}
        }
        if let Some(committed) = self.committed {
            committed.send_modify(|n| *n = n.wrapping_add(1));
        }
        if let Some(waker) = self.waker
            && !self.wake.is_empty()
        {
            waker.wake(&self.wake);
        }
        Ok(())
    }
}

/// Runs `$body` with `$c` bound to the pool's or transaction's connection of whichever
/// backend it is; the body is compiled once for each.
#[macro_export]
macro_rules! on {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db.split() {
            $crate::Either::Sqlite($c) => $body,
            $crate::Either::Postgres($c) => $body,
        }
    };
}

/// [`on!`] for a statement run with `execute`: yields how many rows it affected (the
/// two backends' query results are different types).
#[macro_export]
macro_rules! exec {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db.split() {
            $crate::Either::Sqlite($c) => $body.map(|r| r.rows_affected()),
            $crate::Either::Postgres($c) => $body.map(|r| r.rows_affected()),
        }
    };
}

/// The statement text for the backend of `$db`, where the two dialects differ.
#[macro_export]
macro_rules! dialect {
    ($db:expr, sqlite: $sqlite:expr, postgres: $postgres:expr $(,)?) => {
        match $db.backend() {
            $crate::Backend::Sqlite => $sqlite,
            $crate::Backend::Postgres => $postgres,
        }
    };
}

/// A list of ids bound as one parameter: `$param` (a literal such as `"$1"`) holding the
/// JSON array [`json_ids`] writes, as each dialect reads it, for `x IN <this>`. One
/// parameter of one type, whatever the number of ids.
#[macro_export]
macro_rules! ids_of_json {
    (sqlite, $param:literal) => {
        concat!("(SELECT value FROM json_each(", $param, "))")
    };
    (postgres, $param:literal) => {
        concat!(
            "(SELECT CAST(jsonb_array_elements_text(CAST(",
            $param,
            " AS jsonb)) AS BIGINT))"
        )
    };
}

/// `ids` as the JSON array that [`ids_of_json!`] reads: `[3,5,8]`.
pub fn json_ids(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", ids.join(","))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_written_as_a_json_array() {
        assert_eq!(super::json_ids(&[]), "[]");
        assert_eq!(super::json_ids(&[3, -5, 8]), "[3,-5,8]");
        assert_eq!(
            crate::ids_of_json!(sqlite, "$2"),
            "(SELECT value FROM json_each($2))"
        );
    }
}

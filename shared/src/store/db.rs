//! The two databases behind the store, and the few tools that let one body of code
//! speak to either.
//!
//! Every query is written once where the dialects agree (they do for most: `$n`
//! parameters, `RETURNING`, `ON CONFLICT`, `TRUE`/`FALSE`) and the [`on!`] macro compiles
//! it once per backend. Where they differ, [`dialect!`] picks the text. Times travel as
//! [`Ts`]: integer milliseconds in SQLite, `timestamptz` in PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, PgPool, Postgres, Sqlite, SqlitePool, Transaction, Type};

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
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Something a query can run on, split by backend for [`on!`].
pub(crate) enum Either<S, P> {
    Sqlite(S),
    Postgres(P),
}

impl Pool {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn split(&self) -> Either<&SqlitePool, &PgPool> {
        match self {
            Pool::Sqlite(p) => Either::Sqlite(p),
            Pool::Postgres(p) => Either::Postgres(p),
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// A read transaction: its statements see one snapshot (PostgreSQL) or one state of
    /// the file (SQLite).
    pub(crate) async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite {
                tx: p.begin().await?,
                _turn: None,
            },
            Pool::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }
}

/// A transaction of either backend. A SQLite write transaction also holds this
/// process's write turn (see [`super::Store`]).
pub(crate) enum Tx {
    Sqlite {
        tx: Transaction<'static, Sqlite>,
        _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    },
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite { .. } => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn split(&mut self) -> Either<&mut sqlx::SqliteConnection, &mut sqlx::PgConnection> {
        match self {
            Tx::Sqlite { tx, .. } => Either::Sqlite(&mut **tx),
            Tx::Postgres(tx) => Either::Postgres(&mut **tx),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite { tx, .. } => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Runs `$body` with `$c` bound to the pool's or transaction's connection of whichever
/// backend it is; the body is compiled once for each.
macro_rules! on {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db.split() {
            $crate::store::db::Either::Sqlite($c) => $body,
            $crate::store::db::Either::Postgres($c) => $body,
        }
    };
}
pub(crate) use on;

/// [`on!`] for a statement run with `execute`: yields how many rows it affected (the
/// two backends' query results are different types).
macro_rules! exec {
    ($db:expr, |$c:ident| $body:expr) => {
        match $db.split() {
            $crate::store::db::Either::Sqlite($c) => $body.map(|r| r.rows_affected()),
            $crate::store::db::Either::Postgres($c) => $body.map(|r| r.rows_affected()),
        }
    };
}
pub(crate) use exec;

/// The statement text for the backend of `$db`, where the two dialects differ.
macro_rules! dialect {
    ($db:expr, sqlite: $sqlite:expr, postgres: $postgres:expr $(,)?) => {
        match $db.backend() {
            $crate::store::db::Backend::Sqlite => $sqlite,
            $crate::store::db::Backend::Postgres => $postgres,
        }
    };
}
pub(crate) use dialect;

/// A point in time as the store keeps it: milliseconds since the epoch in SQLite,
/// `timestamptz` in PostgreSQL, truncated to the millisecond on both so that they agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ts(pub DateTime<Utc>);

impl Ts {
    pub(crate) fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }
}

/// The store's form of `t`.
pub(crate) fn ts(t: DateTime<Utc>) -> Ts {
    Ts(from_ms(t.timestamp_millis()))
}

/// The inverse of [`Ts::millis`]; out-of-range values clamp rather than panic.
pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl From<Ts> for DateTime<Utc> {
    fn from(t: Ts) -> Self {
        t.0
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.millis(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Ts(from_ms(<i64 as Decode<Sqlite>>::decode(value)?)))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode(self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(ts(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

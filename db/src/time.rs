//! Time: how the database keeps it ([`Ts`]) and where a process takes it from
//! ([`Clock`]).
//!
//! Every process on one SQLite file shares a host and its clock. Workers on PostgreSQL
//! may run on hosts whose clocks disagree, and leases and run times compare times
//! written by different hosts: there each process follows the database server's clock
//! ([`ServerClock`]), measured at connect and again every few seconds. Tests of backoff
//! and leases use a [`ManualClock`] they move by hand, so that timing is tested without
//! sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// Something that says what time it is.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until a test advances it.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Another clock moved by a fixed offset: a host whose clock is wrong, for tests.
#[derive(Debug, Clone)]
pub struct OffsetClock {
    pub base: Arc<dyn Clock>,
    pub offset: Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + self.offset
    }
}

/// The database server's time, as this process sees it: a local clock plus the
/// difference to the server's clock, last measured by [`ServerClock::measure`] (a round
/// trip's midpoint, so within half a round trip of the server on loopback or a LAN).
#[derive(Debug)]
pub struct ServerClock {
    local: Arc<dyn Clock>,
    offset_ms: AtomicI64,
}

impl ServerClock {
    pub fn new(local: Arc<dyn Clock>) -> ServerClock {
        ServerClock {
            local,
            offset_ms: AtomicI64::new(0),
        }
    }

    /// Measures the server's clock against the local one, once.
    pub async fn measure(&self, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let before = self.local.now();
        let server_ms: i64 =
            sqlx::query_scalar("SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint")
                .fetch_one(pool)
                .await?;
        let after = self.local.now();
        let midpoint = before + (after - before) / 2;
        self.offset_ms
            .store(server_ms - midpoint.timestamp_millis(), Ordering::Relaxed);
        Ok(())
    }

    /// How far the server's clock is ahead of the local one (negative: behind).
    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
}

impl Clock for ServerClock {
    fn now(&self) -> DateTime<Utc> {
        self.local.now() + self.offset()
    }
}

/// A point in time as the store keeps it: milliseconds since the epoch in SQLite,
/// `timestamptz` in PostgreSQL, truncated to the millisecond on both so that they agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub DateTime<Utc>);

impl Ts {
    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }
}

/// The store's form of `t`.
pub fn ts(t: DateTime<Utc>) -> Ts {
    Ts(from_ms(t.timestamp_millis()))
}

/// The inverse of [`Ts::millis`]; out-of-range values clamp rather than panic.
pub fn from_ms(v: i64) -> DateTime<Utc> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_kept_to_the_millisecond() {
        let t: DateTime<Utc> = "2026-12-02T10:00:00.123456Z".parse().unwrap();
        assert_eq!(ts(t).0.to_rfc3339(), "2026-12-02T10:00:00.123+00:00");
        assert_eq!(from_ms(ts(t).millis()), ts(t).0);
    }

    #[test]
    fn an_offset_clock_is_its_base_moved_by_the_offset() {
        let base = ManualClock::new("2026-12-02T10:00:00Z".parse().unwrap());
        let fast = OffsetClock {
            base: Arc::new(base.clone()),
            offset: Duration::seconds(15),
        };
        assert_eq!(fast.now() - base.now(), Duration::seconds(15));
    }
}

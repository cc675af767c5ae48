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
/// difference to the server's clock, last measured by [`ServerClock::measure`] (the
/// midpoint of the quickest of a few round trips, so within half that round trip of the
/// server: well under a millisecond on loopback, a few on a LAN).
#[derive(Debug)]
pub struct ServerClock {
    local: Arc<dyn Clock>,
    offset_us: AtomicI64,
}

/// How many round trips one measurement makes; the quickest says the most.
const SAMPLES: usize = 3;

/// One round trip: the local clock before it, the server's clock during it (in
/// microseconds since the epoch), the local clock after it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    before: DateTime<Utc>,
    server_us: i64,
    after: DateTime<Utc>,
}

impl Sample {
    fn round_trip(&self) -> Duration {
        self.after - self.before
    }

    /// The server's clock minus the local one, taking the server to have read its
    /// clock halfway through the round trip.
    fn offset_us(&self) -> i64 {
        let midpoint = self.before + self.round_trip() / 2;
        self.server_us - midpoint.timestamp_micros()
    }
}

/// The offset the quickest round trip gives: a slow one (a busy machine, a stalled
/// network) leaves the server's reading anywhere in a longer interval.
fn offset_of_quickest(samples: &[Sample]) -> Option<i64> {
    samples
        .iter()
        .min_by_key(|s| s.round_trip())
        .map(Sample::offset_us)
}

impl ServerClock {
    pub fn new(local: Arc<dyn Clock>) -> ServerClock {
        ServerClock {
            local,
            offset_us: AtomicI64::new(0),
        }
    }

    /// Measures the server's clock against the local one, with [`SAMPLES`] round trips
    /// on one connection.
    pub async fn measure(&self, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let mut samples = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let before = self.local.now();
            let server_us: i64 = sqlx::query_scalar(
                "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint",
            )
            .fetch_one(&mut *conn)
            .await?;
            let after = self.local.now();
            samples.push(Sample {
                before,
                server_us,
                after,
            });
        }
        if let Some(offset) = offset_of_quickest(&samples) {
            self.offset_us.store(offset, Ordering::Relaxed);
        }
        Ok(())
    }

    /// How far the server's clock is ahead of the local one (negative: behind).
    pub fn offset(&self) -> Duration {
        Duration::microseconds(self.offset_us.load(Ordering::Relaxed))
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
    fn the_server_s_offset_is_taken_from_the_quickest_round_trip() {
        let at = |ms: i64| from_ms(1_800_000_000_000 + ms);
        // The server is 5 s ahead. A slow round trip puts its reading late in a long
        // interval; the quick one brackets it to within 1 ms.
        let slow = Sample {
            before: at(0),
            server_us: at(5_090).timestamp_micros(),
            after: at(100),
        };
        let quick = Sample {
            before: at(200),
            server_us: at(5_201).timestamp_micros(),
            after: at(202),
        };
        assert_eq!(slow.offset_us(), 5_040_000);
        assert_eq!(quick.offset_us(), 5_000_000);
        assert_eq!(offset_of_quickest(&[slow, quick, slow]), Some(5_000_000));
        assert_eq!(offset_of_quickest(&[]), None);
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

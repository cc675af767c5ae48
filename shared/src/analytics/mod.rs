//! The analytics room: how the business is doing over a range of days, for the admin's
//! dashboard; [`Analytics`] is its entry point.
//!
//! Every figure is about the **bookings created in the range** (by day or week of the
//! service area's calendar), except the offers, which are the assignment attempts made in
//! the range (an offer follows its booking by seconds; at the range's edges the two can
//! differ by a few):
//!
//! - per bucket: bookings created, by their status now, how many wait on a dead
//!   assignment job, and the time from creation to the first assignment and to the first
//!   acceptance, p50 and p90 (nearest rank: the smallest time at least that share of the
//!   bookings took; `None` when none was assigned or accepted);
//! - rates: accepted / offers, rejected / offers, expired / offers, no-shows / accepted
//!   bookings, cancelled / created;
//! - demand: bookings created per service type, weekday and hour of the service area's
//!   clock;
//! - per provider: offers, accepts, rejects, expiries, no-shows, completed, and the mean
//!   of their reviews (all time).
//!
//! It is computed in SQL, the same statements on both backends, reading indexes only:
//! bookings by creation time (which carry the times of their first assignment and
//! acceptance, written with the status) and attempts by creation time.
//! Percentiles are window functions over whole milliseconds, so both backends give the
//! same figures.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use db::{Db, Either, dialect, on, ts};

use crate::Status;
use crate::error::{DomainError, FieldErrors, StoreError};
use crate::schedule::calendar::local_instant;

/// The longest range, in days.
pub const MAX_DAYS: i64 = 366;
/// The range when none is given: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// The step demand is counted in where a zone's clock is not a whole number of hours from UTC.
const QUARTER_HOUR_S: i64 = 15 * 60;

/// How the range is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketSize {
    Day,
    /// Weeks start on Monday; the first and last are cut to the range.
    Week,
}

impl BucketSize {
    pub fn parse(s: &str) -> Option<BucketSize> {
        match s {
            "day" => Some(BucketSize::Day),
            "week" => Some(BucketSize::Week),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BucketSize::Day => "day",
            BucketSize::Week => "week",
        }
    }
}

/// What is asked: whole days of the service area's calendar, both ends included.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub bucket: BucketSize,
    pub service_type: Option<String>,
    pub time_zone: Tz,
}

impl Range {
    /// The range from `from` to `to` (defaults: the [`DEFAULT_DAYS`] up to `now`'s date in
    /// `time_zone`), checked: `from` not after `to`, at most [`MAX_DAYS`] days.
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        bucket: BucketSize,
        service_type: Option<String>,
        time_zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Range, DomainError> {
        let mut errors = FieldErrors::new();
        // Days of a four-digit year (as the API reads them), so that a day's arithmetic
        // here and in the buckets cannot overflow.
        for (name, day) in [("from", from), ("to", to)] {
            if day.is_some_and(|d| !(0..=9999).contains(&d.year())) {
                errors.insert(name.into(), "must be a date, YYYY-MM-DD".into());
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let to = to.unwrap_or_else(|| now.with_timezone(&time_zone).date_naive());
        let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            errors.insert("from".into(), "must not be after `to`".into());
        } else if (to - from).num_days() >= MAX_DAYS {
            errors.insert(
                "to".into(),
                format!("the range may span at most {MAX_DAYS} days"),
            );
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok(Range {
            from,
            to,
            bucket,
            service_type,
            time_zone,
        })
    }

    /// The range's first instant and the instant after its last day.
    fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.midnight(self.from),
            self.midnight(self.to + Duration::days(1)),
        )
    }

    /// The step, in seconds, demand is counted in before it is placed on the local clock: an
    /// hour while the zone's clock is a whole number of hours from UTC all through the range,
    /// else a quarter hour, which every zone's offset is a whole number of (Asia/Kolkata is
    /// 5:30 ahead of UTC, Pacific/Chatham 12:45). Quarter hours everywhere made 90 days of a
    /// million bookings a fifth slower (BENCHMARKS.md), so the hour is kept where it is
    /// exact. The offset is read at the start of each day and of the day after the range (a
    /// change during a day shows at the next day's start): no zone changes its clock twice in
    /// a day.
    fn demand_step_s(&self) -> i64 {
        let day_after = self.to + Duration::days(1);
        let whole_hours = self
            .from
            .iter_days()
            .take_while(|d| *d <= day_after)
            .all(|d| {
                let start = self.midnight(d).naive_utc();
                let offset = self.time_zone.offset_from_utc_datetime(&start);
                offset.fix().local_minus_utc() % 3600 == 0
            });
        if whole_hours { 3600 } else { QUARTER_HOUR_S }
    }

    fn midnight(&self, date: NaiveDate) -> DateTime<Utc> {
        local_instant(self.time_zone, date, 0)
    }

    /// The buckets: each one's first day, first instant and the instant after it.
    fn buckets(&self) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut start = self.from;
        while start <= self.to {
            let next = match self.bucket {
                BucketSize::Day => start + Duration::days(1),
                BucketSize::Week => {
                    let monday =
                        start - Duration::days(start.weekday().num_days_from_monday().into());
                    monday + Duration::days(7)
                }
            }
            .min(self.to + Duration::days(1));
            out.push((start, self.midnight(start), self.midnight(next)));
            start = next;
        }
        out
    }
}

/// One day or week.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: NaiveDate,
    pub created: i64,
    /// Every status, zeros included.
    pub by_status: BTreeMap<Status, i64>,
    /// Bookings whose assignment job is dead (waiting on an admin).
    pub dead: i64,
    pub assign_p50_ms: Option<i64>,
    pub assign_p90_ms: Option<i64>,
    pub accept_p50_ms: Option<i64>,
    pub accept_p90_ms: Option<i64>,
}

/// The range's totals and the rates made of them (`None` where the divisor is 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    pub created: i64,
    pub offers: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub expired: i64,
    pub no_shows: i64,
    pub cancelled: i64,
    pub dead: i64,
    pub acceptance: Option<f64>,
    pub rejection: Option<f64>,
    pub expiry: Option<f64>,
    pub no_show: Option<f64>,
    pub cancellation: Option<f64>,
}

/// Bookings created of one service in one hour of one weekday (1 = Monday).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DemandCell {
    pub service_type: String,
    pub weekday: u32,
    pub hour: u32,
    pub created: i64,
}

/// One provider's part in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderFigures {
    pub provider_id: i64,
    pub name: String,
    pub offers: i64,
    pub accepts: i64,
    pub rejects: i64,
    pub expiries: i64,
    pub no_shows: i64,
    pub completed: i64,
    /// The plain mean of all their reviews, with the count.
    pub rating_mean: Option<f64>,
    pub rating_count: i64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub range: Range,
    pub buckets: Vec<Bucket>,
    pub rates: Rates,
    /// Cells with at least one booking, by service, weekday and hour.
    pub demand: Vec<DemandCell>,
    /// Providers with an offer or a booking in the range, by id.
    pub providers: Vec<ProviderFigures>,
}

/// A bucket's waits: its index; to the first assignment p50, p90; to the first
/// acceptance p50, p90 (milliseconds).
type Waits = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// `$sql` (written with [`in_buckets`]) with the buckets and the service bound, for either
/// backend's connection.
macro_rules! bucket_query {
    ($sql:expr, $buckets:expr, $service:expr) => {{
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe($sql));
        for (i, (_, lo, hi)) in $buckets.iter().enumerate() {
            q = q.bind(i as i64).bind(ts(*lo)).bind(ts(*hi));
        }
        q.bind($service)
    }};
}

/// The analytics room's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Analytics {
    db: Db,
}

impl Analytics {
    pub fn new(db: Db) -> Analytics {
        Analytics { db }
    }

    /// The figures of `range`. Its statements run side by side, each on a connection of
    /// its own.
    pub async fn report(&self, range: Range) -> Result<Report, StoreError> {
        let buckets = range.buckets();
        let (counts, waits, demand, offers, held) = tokio::try_join!(
            self.counts(&buckets, &range),
            self.waits(&buckets, &range),
            self.demand(&range),
            self.offers(&range),
            self.held(&range),
        )?;
        let mut out: Vec<Bucket> = buckets
            .iter()
            .map(|(start, _, _)| Bucket {
                start: *start,
                created: 0,
                by_status: Status::ALL.iter().map(|s| (*s, 0)).collect(),
                dead: 0,
                assign_p50_ms: None,
                assign_p90_ms: None,
                accept_p50_ms: None,
                accept_p90_ms: None,
            })
            .collect();
        let mut accepted = 0;
        for (i, status, n, dead, accepted_n) in counts {
            let bucket = &mut out[usize::try_from(i).unwrap_or(0)];
            bucket.created += n;
            bucket.dead += dead;
            *bucket
                .by_status
                .entry(crate::booking::rows::status(&status)?)
                .or_default() += n;
            accepted += accepted_n;
        }
        for (i, assign_p50, assign_p90, accept_p50, accept_p90) in waits {
            let bucket = &mut out[usize::try_from(i).unwrap_or(0)];
            (bucket.assign_p50_ms, bucket.assign_p90_ms) = (assign_p50, assign_p90);
            (bucket.accept_p50_ms, bucket.accept_p90_ms) = (accept_p50, accept_p90);
        }

        let mut providers: BTreeMap<i64, ProviderFigures> = BTreeMap::new();
        let figures = |id: i64| ProviderFigures {
            provider_id: id,
            name: String::new(),
            offers: 0,
            accepts: 0,
            rejects: 0,
            expiries: 0,
            no_shows: 0,
            completed: 0,
            rating_mean: None,
            rating_count: 0,
        };
        for (id, offered, rejects, expiries, no_shows) in offers {
            let p = providers.entry(id).or_insert_with(|| figures(id));
            (p.offers, p.rejects, p.expiries, p.no_shows) = (offered, rejects, expiries, no_shows);
        }
        for (id, accepts, completed) in held {
            let p = providers.entry(id).or_insert_with(|| figures(id));
            (p.accepts, p.completed) = (accepts, completed);
        }
        self.name(&mut providers).await?;

        let sum = |f: fn(&ProviderFigures) -> i64| providers.values().map(f).sum::<i64>();
        let created: i64 = out.iter().map(|b| b.created).sum();
        let count = |s: Status| out.iter().map(|b| b.by_status[&s]).sum::<i64>();
        let (offers, no_shows, cancelled) = (
            sum(|p| p.offers),
            count(Status::NoShow),
            count(Status::Cancelled),
        );
        let (rejected, expired) = (sum(|p| p.rejects), sum(|p| p.expiries));
        let share = |n: i64, of: i64| (of > 0).then(|| n as f64 / of as f64);
        let rates = Rates {
            created,
            offers,
            accepted,
            rejected,
            expired,
            no_shows,
            cancelled,
            dead: out.iter().map(|b| b.dead).sum(),
            acceptance: share(accepted, offers),
            rejection: share(rejected, offers),
            expiry: share(expired, offers),
            no_show: share(no_shows, accepted),
            cancellation: share(cancelled, created),
        };
        let demand = local_demand(demand, range.time_zone);
        Ok(Report {
            range,
            buckets: out,
            rates,
            demand,
            providers: providers.into_values().collect(),
        })
    }

    /// Per bucket and status: bookings, those waiting on a dead job, those accepted.
    async fn counts(
        &self,
        buckets: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
        range: &Range,
    ) -> Result<Vec<(i64, String, i64, i64, i64)>, StoreError> {
        let (table, scan) = in_buckets(buckets.len());
        let sql = format!(
            "{table} SELECT b.i, k.status, COUNT(*), \
             SUM(CASE WHEN k.assignment_exhausted THEN 1 ELSE 0 END), \
             SUM(CASE WHEN k.accepted_at IS NOT NULL THEN 1 ELSE 0 END) \
             {scan} GROUP BY b.i, k.status"
        );
        let service = range.service_type.as_deref();
        Ok(on!(self.db, |p| {
            bucket_query!(sql, buckets, service).fetch_all(p).await
        })?)
    }

    /// Per bucket: p50 and p90 of the waits for the first assignment and for the first
    /// acceptance. PostgreSQL computes all four in one pass (its ordered-set aggregate);
    /// SQLite, which has none, ranks each wait with window functions, the two statements
    /// side by side.
    async fn waits(
        &self,
        buckets: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
        range: &Range,
    ) -> Result<Vec<Waits>, StoreError> {
        if self.db.backend() == db::Backend::Postgres {
            return self.waits_postgres(buckets, range).await;
        }
        let (assign, accept) = tokio::try_join!(
            self.waits_sqlite(buckets, range, "k.assigned_at"),
            self.waits_sqlite(buckets, range, "k.accepted_at"),
        )?;
        let mut out: BTreeMap<i64, Waits> = BTreeMap::new();
        for (i, p50, p90) in assign {
            let w = out.entry(i).or_insert((i, None, None, None, None));
            (w.1, w.2) = (p50, p90);
        }
        for (i, p50, p90) in accept {
            let w = out.entry(i).or_insert((i, None, None, None, None));
            (w.3, w.4) = (p50, p90);
        }
        Ok(out.into_values().collect())
    }

    /// Nearest rank, the ceil(n·p)-th smallest: `(n * 50 + 99) / 100` is ceil(n / 2) in
    /// whole numbers.
    async fn waits_sqlite(
        &self,
        buckets: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
        range: &Range,
        reached: &str,
    ) -> Result<Vec<(i64, Option<i64>, Option<i64>)>, StoreError> {
        let (table, scan) = in_buckets(buckets.len());
        let sql = format!(
            "{table}, ranked AS (SELECT b.i AS i, {reached} - k.created_at AS ms, \
                 ROW_NUMBER() OVER (PARTITION BY b.i ORDER BY {reached} - k.created_at) AS rn, \
                 COUNT(*) OVER (PARTITION BY b.i) AS n \
                 {scan} AND {reached} IS NOT NULL) \
             SELECT i, MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN ms END), \
                 MAX(CASE WHEN rn = (n * 90 + 99) / 100 THEN ms END) \
             FROM ranked WHERE rn IN ((n * 50 + 99) / 100, (n * 90 + 99) / 100) GROUP BY i"
        );
        let service = range.service_type.as_deref();
        Ok(on!(self.db, |p| {
            bucket_query!(sql, buckets, service).fetch_all(p).await
        })?)
    }

    /// `percentile_disc(p)` is the ceil(n·p)-th smallest, as above (it computes n·p in
    /// floating point, and 0.9's error is too small ever to lift 0.9·n above a whole
    /// number). Aggregates skip the NULLs of bookings not assigned or accepted. The sort of
    /// 90 days of waits fits in memory with a larger `work_mem`, for this statement only.
    async fn waits_postgres(
        &self,
        buckets: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
        range: &Range,
    ) -> Result<Vec<Waits>, StoreError> {
        let (table, scan) = in_buckets(buckets.len());
        let ms = |x: &str| format!("CAST(EXTRACT(EPOCH FROM {x}) * 1000 AS BIGINT)");
        let sql = format!(
            "{table} SELECT i, {}, {}, {}, {} FROM (SELECT b.i AS i, \
                 percentile_disc(ARRAY[0.5, 0.9]) \
                     WITHIN GROUP (ORDER BY k.assigned_at - k.created_at) AS w, \
                 percentile_disc(ARRAY[0.5, 0.9]) \
                     WITHIN GROUP (ORDER BY k.accepted_at - k.created_at) AS c \
                 {scan} GROUP BY b.i) p",
            ms("w[1]"),
            ms("w[2]"),
            ms("c[1]"),
            ms("c[2]"),
        );
        let service = range.service_type.as_deref();
        let mut tx = self.db.read().await?;
        let Either::Postgres(c) = tx.split() else {
            unreachable!("waits_postgres runs on PostgreSQL")
        };
        sqlx::query("SET LOCAL work_mem = '64MB'")
            .execute(&mut *c)
            .await?;
        let rows = bucket_query!(sql, buckets, service)
            .fetch_all(&mut *c)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Bookings created per service and hour since the epoch (UTC).
    async fn demand(&self, range: &Range) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let of_range = "FROM bookings k WHERE k.created_at >= $1 AND k.created_at < $2 \
             AND ($3 IS NULL OR k.service_type = $3)";
        // Counted by steps of UTC (their starts in seconds since the epoch), each then placed
        // on the local clock.
        let step = range.demand_step_s();
        let sql = dialect!(self.db,
        sqlite: format!(
            "SELECT k.service_type, (k.created_at / {}) * {step} AS q, COUNT(*) {of_range} \
             GROUP BY k.service_type, q",
            step * 1000
        ),
        // Truncated first, converted per group: EXTRACT on every row costs twice as much.
        postgres: format!(
            "SELECT service_type, CAST(EXTRACT(EPOCH FROM q) AS BIGINT), n \
             FROM (SELECT k.service_type, date_bin('{step} seconds', k.created_at, \
             TIMESTAMPTZ '1970-01-01 00:00:00+00') AS q, COUNT(*) AS n {of_range} \
             GROUP BY 1, 2) d"
        ));
        let (lo, hi) = range.bounds();
        let service = range.service_type.as_deref();
        Ok(on!(self.db, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(ts(lo))
                .bind(ts(hi))
                .bind(service)
                .fetch_all(p)
                .await
        })?)
    }

    /// Per provider: offers made in the range, and how many were rejected, expired or
    /// ended in the provider's no-show.
    async fn offers(&self, range: &Range) -> Result<Vec<(i64, i64, i64, i64, i64)>, StoreError> {
        let (lo, hi) = range.bounds();
        let service = range.service_type.as_deref();
        Ok(on!(self.db, |p| {
            sqlx::query_as(
                "SELECT a.provider_id, COUNT(*), \
                 SUM(CASE WHEN a.outcome = 'rejected' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN a.outcome = 'expired' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN a.outcome = 'no_show' THEN 1 ELSE 0 END) \
                 FROM assignment_attempts a \
                 WHERE a.created_at >= $1 AND a.created_at < $2 AND a.provider_id IS NOT NULL \
                 AND a.outcome IN ('assigned', 'manual', 'rejected', 'expired', 'no_show') \
                 AND ($3 IS NULL OR EXISTS (SELECT 1 FROM bookings k \
                     WHERE k.id = a.booking_id AND k.service_type = $3)) \
                 GROUP BY a.provider_id",
            )
            .bind(ts(lo))
            .bind(ts(hi))
            .bind(service)
            .fetch_all(p)
            .await
        })?)
    }

    /// Per provider holding a booking created in the range: how many they accepted and
    /// how many are completed.
    async fn held(&self, range: &Range) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        let (lo, hi) = range.bounds();
        let service = range.service_type.as_deref();
        Ok(on!(self.db, |p| {
            sqlx::query_as(
                "SELECT k.provider_id, \
                 SUM(CASE WHEN k.accepted_at IS NOT NULL THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN k.status = 'completed' THEN 1 ELSE 0 END) \
                 FROM bookings k \
                 WHERE k.created_at >= $1 AND k.created_at < $2 AND k.provider_id IS NOT NULL \
                 AND ($3 IS NULL OR k.service_type = $3) \
                 GROUP BY k.provider_id",
            )
            .bind(ts(lo))
            .bind(ts(hi))
            .bind(service)
            .fetch_all(p)
            .await
        })?)
    }

    /// Fills in the providers' names and review means.
    async fn name(&self, providers: &mut BTreeMap<i64, ProviderFigures>) -> Result<(), StoreError> {
        if providers.is_empty() {
            return Ok(());
        }
        let rows: Vec<(i64, String, i64, i64)> = on!(self.db, |p| {
            sqlx::query_as("SELECT id, name, rating_count, rating_sum FROM providers")
                .fetch_all(p)
                .await
        })?;
        for (id, name, count, sum) in rows {
            if let Some(p) = providers.get_mut(&id) {
                p.name = name;
                p.rating_count = count;
                p.rating_mean = (count > 0).then(|| sum as f64 / count as f64);
            }
        }
        Ok(())
    }
}

/// The statements over the buckets' bookings: `WITH b(i, lo, hi) AS (VALUES ($1, $2, $3),
/// ...)`, the buckets, and the scan of each bucket's bookings of the service asked for (the
/// parameter after the buckets', `NULL` for all), `k` the booking, `b` its bucket. Bound by
/// [`bucket_query!`].
fn in_buckets(n: usize) -> (String, String) {
    let rows: Vec<String> = (0..n)
        .map(|k| format!("(${}, ${}, ${})", 3 * k + 1, 3 * k + 2, 3 * k + 3))
        .collect();
    let service = 3 * n + 1;
    (
        format!("WITH b(i, lo, hi) AS (VALUES {})", rows.join(", ")),
        format!(
            "FROM b CROSS JOIN bookings k WHERE k.created_at >= b.lo AND k.created_at < b.hi \
             AND (${service} IS NULL OR k.service_type = ${service})"
        ),
    )
}

/// Counts per service and step of UTC (the step's start, in seconds since the epoch), as
/// cells of the service area's weekday and hour.
fn local_demand(rows: Vec<(String, i64, i64)>, zone: Tz) -> Vec<DemandCell> {
    let mut cells: BTreeMap<(String, u32, u32), i64> = BTreeMap::new();
    for (service_type, step_start, n) in rows {
        let Some(at) = Utc.timestamp_opt(step_start, 0).single() else {
            continue;
        };
        let local = at.with_timezone(&zone);
        let key = (
            service_type,
            local.weekday().number_from_monday(),
            local.hour(),
        );
        *cells.entry(key).or_default() += n;
    }
    cells
        .into_iter()
        .map(|((service_type, weekday, hour), created)| DemandCell {
            service_type,
            weekday,
            hour,
            created,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: &str, to: &str, bucket: BucketSize, zone: Tz) -> Range {
        let now = "2026-12-02T12:00:00Z".parse().unwrap();
        Range::new(
            Some(from.parse().unwrap()),
            Some(to.parse().unwrap()),
            bucket,
            None,
            zone,
            now,
        )
        .unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_are_cut_to_the_range() {
        // 2026-11-04 is a Wednesday; 2026-11-19 a Thursday.
        let r = range("2026-11-04", "2026-11-19", BucketSize::Week, Tz::UTC);
        let starts: Vec<String> = r.buckets().iter().map(|b| b.0.to_string()).collect();
        assert_eq!(starts, ["2026-11-04", "2026-11-09", "2026-11-16"]);
        let last = r.buckets()[2];
        assert_eq!(
            last.2,
            "2026-11-20T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn days_follow_the_service_area_s_clock_across_a_change_of_offset() {
        // Berlin leaves summer time on 2026-10-25: that day lasts 25 hours.
        let r = range(
            "2026-10-24",
            "2026-10-26",
            BucketSize::Day,
            chrono_tz::Europe::Berlin,
        );
        let b = r.buckets();
        assert_eq!(b.len(), 3);
        assert_eq!(
            b[1].1,
            "2026-10-24T22:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(b[1].2 - b[1].1, Duration::hours(25));
    }

    #[test]
    fn a_range_is_at_most_a_year_and_in_order() {
        let now = "2026-12-02T12:00:00Z".parse().unwrap();
        let day = |s: &str| Some(s.parse().unwrap());
        let new = |from, to| Range::new(from, to, BucketSize::Day, None, Tz::UTC, now);
        assert!(new(day("2026-12-02"), day("2026-12-01")).is_err());
        assert!(new(day("2025-12-01"), day("2026-12-01")).is_ok()); // 366 days
        assert!(new(day("2025-11-30"), day("2026-12-01")).is_err());
        let default = new(None, None).unwrap();
        assert_eq!(default.to.to_string(), "2026-12-02");
        assert_eq!((default.to - default.from).num_days(), DEFAULT_DAYS - 1);
        // The ends of a four-digit year are days like any other, a day further is refused
        // (and nothing overflows: a default `from`, the bounds, the buckets).
        let edges = new(None, day("0000-01-05")).unwrap();
        assert_eq!(edges.from.to_string(), "-0001-12-07");
        assert_eq!(edges.buckets().len(), 30);
        let last = new(day("9999-12-31"), day("9999-12-31")).unwrap();
        assert_eq!(last.bounds().1.to_rfc3339(), "+10000-01-01T00:00:00+00:00");
        for (from, to) in [
            (None, Some(NaiveDate::MIN)),
            (None, Some(NaiveDate::MAX)),
            (Some(NaiveDate::MAX), Some(NaiveDate::MAX)),
            (day("-0001-12-31"), day("0000-01-01")),
            (day("9999-12-31"), day("+10000-01-01")),
        ] {
            let Err(DomainError::Validation(fields)) = new(from, to) else {
                panic!("{from:?} to {to:?} is refused");
            };
            assert!(
                fields.values().all(|m| m.contains("YYYY-MM-DD")),
                "{fields:?}"
            );
        }
    }

    #[test]
    fn demand_is_counted_by_the_hour_where_the_clock_is_whole_hours_from_utc() {
        let step = |zone| range("2026-01-01", "2026-12-31", BucketSize::Week, zone).demand_step_s();
        assert_eq!(step(Tz::UTC), 3600);
        assert_eq!(step(chrono_tz::Europe::Berlin), 3600);
        assert_eq!(step(chrono_tz::America::New_York), 3600);
        assert_eq!(step(chrono_tz::Asia::Kolkata), 900);
        assert_eq!(step(chrono_tz::Asia::Kathmandu), 900);
        // Lord Howe is 10:30 ahead in winter, 11 in summer.
        assert_eq!(step(chrono_tz::Australia::Lord_Howe), 900);
        let summer = range(
            "2026-12-01",
            "2026-12-31",
            BucketSize::Day,
            chrono_tz::Australia::Lord_Howe,
        );
        assert_eq!(summer.demand_step_s(), 3600);
        // Its clock goes back half an hour at 02:00 on 2027-04-04: a range ending that day
        // ends half an hour off.
        let into_winter = |to| {
            range(
                "2027-03-01",
                to,
                BucketSize::Day,
                chrono_tz::Australia::Lord_Howe,
            )
            .demand_step_s()
        };
        assert_eq!(into_winter("2027-04-03"), 3600);
        assert_eq!(into_winter("2027-04-04"), 900);
    }

    #[test]
    fn demand_is_counted_by_the_local_weekday_and_hour() {
        let second = |at: &str| at.parse::<DateTime<Utc>>().unwrap().timestamp();
        // 2026-11-30T23:00Z is Tuesday 00:00 in Berlin (UTC+1).
        let rows = vec![
            ("plumbing".to_string(), second("2026-11-30T23:00:00Z"), 3),
            ("plumbing".to_string(), second("2026-11-30T23:45:00Z"), 2),
        ];
        let cells = local_demand(rows, chrono_tz::Europe::Berlin);
        assert_eq!(
            cells,
            [DemandCell {
                service_type: "plumbing".into(),
                weekday: 2,
                hour: 0,
                created: 5
            }]
        );
        // 2026-12-07T14:00Z and 14:30Z are 19:30 and 20:00 on Monday in Kolkata (UTC+5:30),
        // and 18:30Z is Tuesday 00:00 there.
        let rows = vec![
            ("plumbing".to_string(), second("2026-12-07T14:00:00Z"), 1),
            ("plumbing".to_string(), second("2026-12-07T14:30:00Z"), 4),
            ("plumbing".to_string(), second("2026-12-07T18:30:00Z"), 2),
        ];
        let cells = local_demand(rows, chrono_tz::Asia::Kolkata);
        let cell = |weekday, hour, created| DemandCell {
            service_type: "plumbing".into(),
            weekday,
            hour,
            created,
        };
        assert_eq!(cells, [cell(1, 19, 1), cell(1, 20, 4), cell(2, 0, 2)]);
    }
}

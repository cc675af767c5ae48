//! The schedule room: time. Providers' working calendars in their own time zones
//! ([`calendar`]), the rules of the clock (the slot grid, lead time, when work may start;
//! [`rules`]), and which starts are bookable ([`slots`]); [`Schedule`] answers
//! availability from the store.
//!
//! A booking occupies the window `[starts_at, ends_at)`, its service's duration long.
//! A provider can take it when they offer the service, are available (taking work),
//! work over the whole window by their calendar, and hold no active booking (assigned,
//! accepted, in progress) that overlaps it; the database refuses overlapping active
//! windows of one provider whatever writes them (migration 0006).

pub mod calendar;
pub mod rules;
pub mod slots;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sqlx::FromRow;

use db::{Db, Ts, Tx, on, ts};

pub use calendar::Calendar;
pub use rules::ScheduleRules;
pub use slots::{ProviderTime, Slot};

use crate::booking::rows::decode_error;
use crate::error::{DomainError, StoreError};

/// The schedule room's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Schedule {
    db: Db,
    rules: ScheduleRules,
}

/// The bookable starts of a service over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub service_type: String,
    pub duration_minutes: i64,
    /// The zone whose clock the grid follows.
    pub time_zone: Tz,
    pub slots: Vec<Slot>,
}

/// Whether anyone can take a booking of a service over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Servable {
    /// Nobody available offers the service.
    NobodyOffers,
    /// Some offer it, but none is working and free then.
    NobodyFree,
    /// This many could take it.
    By(u32),
}

impl Schedule {
    pub fn new(db: Db, rules: ScheduleRules) -> Schedule {
        Schedule { db, rules }
    }

    pub fn rules(&self) -> ScheduleRules {
        self.rules
    }

    /// The starts on the grid (of `time_zone`, else the service area's) in `[from, to)`,
    /// no earlier than the lead time from now, at which a booking of `service_type`
    /// could be served. The range may span at most 14 days. `moving`: a booking being
    /// moved, whose own window is not in its way (an hour later is free for its
    /// provider, though the two windows overlap).
    pub async fn availability(
        &self,
        service_type: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        time_zone: Option<Tz>,
        moving: Option<i64>,
    ) -> Result<Availability, StoreError> {
        if to <= from {
            return Err(DomainError::field("to", "must be after `from`").into());
        }
        if to - from > rules::MAX_AVAILABILITY_RANGE {
            return Err(DomainError::field("to", "must be at most 14 days after `from`").into());
        }
        let mut tx = self.db.read().await?;
        let now = tx.now();
        // Only starts that could be booked: from the lead time on, and at most a year ahead.
        let from = from.max(self.rules.earliest_start(now));
        let to = to.min(now + rules::MAX_AHEAD);
        let Some(duration_minutes) = duration_of(&mut tx, service_type).await? else {
            return Err(DomainError::field(
                "service_type",
                format!("`{service_type}` is not a service type we offer"),
            )
            .into());
        };
        let tz = time_zone.unwrap_or(self.rules.service_time_zone);
        let duration = Duration::minutes(duration_minutes);
        let slots = if from < to {
            let providers =
                provider_times(&mut tx, service_type, (from, to + duration), moving).await?;
            slots::slots(&providers, from, to, duration, tz)
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(Availability {
            service_type: service_type.to_owned(),
            duration_minutes,
            time_zone: tz,
            slots,
        })
    }
}

/// The duration of a service type, in minutes; `None` when there is no such type.
pub(crate) async fn duration_of(
    tx: &mut Tx,
    service_type: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT CAST(duration_minutes AS BIGINT) FROM service_types WHERE name = $1",
        )
        .bind(service_type)
        .fetch_optional(c)
        .await
    })?)
}

#[derive(FromRow)]
struct ProviderCalendarRow {
    id: i64,
    time_zone: String,
    calendar: Option<String>,
}

#[derive(FromRow)]
struct BusyRow {
    provider_id: i64,
    starts_at: Ts,
    ends_at: Ts,
}

/// A provider's calendar as stored; what does not read back is a decode error.
pub(crate) fn stored_calendar(
    time_zone: &str,
    calendar: Option<&str>,
) -> Result<Calendar, sqlx::Error> {
    Calendar::from_stored(time_zone, calendar).map_err(|e| decode_error("calendar", &e))
}

/// Calendars already read, by what is stored (zone and JSON): matching and availability
/// read every provider's calendar of a service on each call, and parsing them was most
/// of an attempt's cost with a few hundred providers. A changed calendar is stored text
/// not seen before, so nothing here goes stale; the map is emptied when it grows past
/// [`PARSED_MAX`] entries (calendars replaced many times over).
static PARSED: LazyLock<Mutex<HashMap<String, Arc<Calendar>>>> = LazyLock::new(Default::default);
const PARSED_MAX: usize = 10_000;

/// [`stored_calendar`], read once per process for each stored form.
pub(crate) fn cached_calendar(
    time_zone: &str,
    calendar: Option<&str>,
) -> Result<Arc<Calendar>, sqlx::Error> {
    let key = format!("{time_zone}\n{}", calendar.unwrap_or(""));
    if let Some(found) = PARSED.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(found.clone());
    }
    let parsed = Arc::new(stored_calendar(time_zone, calendar)?);
    let mut map = PARSED.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= PARSED_MAX {
        map.clear();
    }
    map.insert(key, parsed.clone());
    Ok(parsed)
}

/// Of providers `p`: those taking work (available and not deactivated). The same
/// condition for every statement that asks who could serve a booking.
macro_rules! taking_work {
    () => {
        "p.available AND p.deactivated_at IS NULL"
    };
}

/// Of bookings `b`: the active windows that start after `$2` and before `$3` and end
/// after `$4`. A window lasts at most a day, so with `$2` a day before the start of the
/// range asked about, every active window that overlaps it is among them.
macro_rules! active_windows_between {
    () => {
        "b.status IN ('assigned', 'accepted', 'in_progress') \
         AND b.starts_at > $2 AND b.starts_at < $3 AND b.ends_at > $4"
    };
}

/// The available providers of `service_type` with their calendars and the windows of
/// their active bookings that overlap `range` (leaving out booking `except`).
pub(crate) async fn provider_times(
    tx: &mut Tx,
    service_type: &str,
    range: (DateTime<Utc>, DateTime<Utc>),
    except: Option<i64>,
) -> Result<Vec<ProviderTime>, StoreError> {
    let providers: Vec<ProviderCalendarRow> = on!(tx, |c| {
        sqlx::query_as(concat!(
            "SELECT p.id, p.time_zone, p.calendar FROM providers p \
             JOIN provider_services s ON s.provider_id = p.id \
             WHERE s.service_type = $1 AND ",
            taking_work!(),
            " ORDER BY p.id"
        ))
        .bind(service_type)
        .fetch_all(c)
        .await
    })?;
    // Planned for its own range each time (not kept prepared): a week's availability
    // reads thousands of windows, a move one window's few. PostgreSQL plans a kept
    // statement for any range after five runs, as if it matched a few rows, and that
    // plan took a week's 20,000 windows in 57 ms against 16 (BENCHMARKS.md).
    let busy: Vec<BusyRow> = on!(tx, |c| {
        sqlx::query_as(concat!(
            "SELECT b.provider_id, b.starts_at, b.ends_at FROM provider_services s \
             JOIN providers p ON p.id = s.provider_id \
             JOIN bookings b ON b.provider_id = s.provider_id \
             WHERE s.service_type = $1 AND ",
            taking_work!(),
            " AND ",
            active_windows_between!(),
            " AND ($5 IS NULL OR b.id <> $5)"
        ))
        .persistent(false)
        .bind(service_type)
        .bind(ts(range.0 - Duration::days(1)))
        .bind(ts(range.1))
        .bind(ts(range.0))
        .bind(except)
        .fetch_all(c)
        .await
    })?;
    let mut times = Vec::with_capacity(providers.len());
    for p in providers {
        times.push(ProviderTime {
            provider_id: p.id,
            calendar: cached_calendar(&p.time_zone, p.calendar.as_deref())?,
            busy: Vec::new(),
        });
    }
    for b in busy {
        if let Ok(i) = times.binary_search_by_key(&b.provider_id, |t| t.provider_id) {
            times[i].busy.push((b.starts_at.into(), b.ends_at.into()));
        }
    }
    Ok(times)
}

/// Whether anyone could take a booking of `service_type` over `window` (leaving out
/// booking `except`, the one being moved).
pub(crate) async fn servable(
    tx: &mut Tx,
    service_type: &str,
    window: (DateTime<Utc>, DateTime<Utc>),
    except: Option<i64>,
) -> Result<Servable, StoreError> {
    let providers = provider_times(tx, service_type, window, except).await?;
    Ok(servable_among(&providers, window))
}

/// Whether any of `providers` is working and free over `window`.
fn servable_among(providers: &[ProviderTime], window: (DateTime<Utc>, DateTime<Utc>)) -> Servable {
    if providers.is_empty() {
        return Servable::NobodyOffers;
    }
    let free = providers
        .iter()
        .filter(|p| slots::is_free(p, window))
        .count() as u32;
    if free == 0 {
        Servable::NobodyFree
    } else {
        Servable::By(free)
    }
}

#[derive(FromRow)]
struct AdmissionRow {
    duration_minutes: i64,
    provider_id: Option<i64>,
    time_zone: Option<String>,
    calendar: Option<String>,
    starts_at: Option<Ts>,
    ends_at: Option<Ts>,
}

/// A new booking's window and whether anyone could take it: [`duration_of`] and
/// [`servable`] in one statement on the pool, without a transaction (a statement reads
/// one snapshot by itself), so that admitting a booking costs one round trip, not five.
/// `None` when there is no such service type.
///
/// The statement reads every active window of the service's providers that starts
/// within a day either side of `starts_at` and ends after it: a window overlapping the
/// booking's (at most a day long, as every window is) is among them, and
/// [`slots::is_free`] tells which overlap. Who is taking work and which windows are
/// active are [`provider_times`]'s conditions, from the same macros.
pub(crate) async fn admission(
    db: &Db,
    service_type: &str,
    starts_at: DateTime<Utc>,
) -> Result<Option<((DateTime<Utc>, DateTime<Utc>), Servable)>, StoreError> {
    let rows: Vec<AdmissionRow> = on!(db, |p| {
        sqlx::query_as(concat!(
            "SELECT CAST(s.duration_minutes AS BIGINT) AS duration_minutes, \
             p.id AS provider_id, p.time_zone, p.calendar, b.starts_at, b.ends_at \
             FROM service_types s \
             LEFT JOIN provider_services ps ON ps.service_type = s.name \
             LEFT JOIN providers p ON p.id = ps.provider_id AND ",
            taking_work!(),
            " LEFT JOIN bookings b ON b.provider_id = p.id AND ",
            active_windows_between!(),
            " WHERE s.name = $1 ORDER BY p.id"
        ))
        .bind(service_type)
        .bind(ts(starts_at - Duration::days(1)))
        .bind(ts(starts_at + Duration::days(1)))
        .bind(ts(starts_at))
        .fetch_all(p)
        .await
    })?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let window = (
        starts_at,
        starts_at + Duration::minutes(first.duration_minutes),
    );
    let mut providers: Vec<ProviderTime> = Vec::new();
    for row in rows {
        // Nobody (the service's providers who are not taking work are left out).
        let (Some(provider_id), Some(time_zone)) = (row.provider_id, row.time_zone.as_deref())
        else {
            continue;
        };
        if providers
            .last()
            .is_none_or(|p| p.provider_id != provider_id)
        {
            providers.push(ProviderTime {
                provider_id,
                calendar: cached_calendar(time_zone, row.calendar.as_deref())?,
                busy: Vec::new(),
            });
        }
        if let (Some(starts), Some(ends), Some(provider)) =
            (row.starts_at, row.ends_at, providers.last_mut())
        {
            provider.busy.push((starts.into(), ends.into()));
        }
    }
    Ok(Some((window, servable_among(&providers, window))))
}

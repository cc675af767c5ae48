//! The rules of time: the slot grid, the lead time of new bookings, when work may start
//! and a no-show be reported, how late a booking may be moved, and how long an offer
//! waits for its provider's answer.

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;

/// Bookable start times are on this grid of the local clock (:00 and :30).
pub const SLOT_MINUTES: i64 = 30;
/// Work may start this long before the window at the earliest.
pub const START_EARLY: Duration = Duration::minutes(60);
/// A customer may move a booking until this long before its start.
pub const RESCHEDULE_NOTICE: Duration = Duration::hours(2);
/// The longest range `GET /availability` answers for: fourteen days, and an hour more, which
/// two weeks of a local clock last when it goes back an hour in them.
pub const MAX_AVAILABILITY_RANGE: Duration = Duration::minutes(14 * 24 * 60 + 60);
/// How far ahead a booking may be made.
pub const MAX_AHEAD: Duration = Duration::days(366);

/// The settings of time, fixed at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleRules {
    /// Where the service area is: the time zone of a booking's address unless it names
    /// its own (`SERVICE_TIME_ZONE`).
    pub service_time_zone: Tz,
    /// New bookings start at least this far ahead (`MIN_LEAD_MINUTES`).
    pub min_lead: Duration,
    /// An offer not answered within this long expires (`OFFER_TIMEOUT_SECS`).
    pub offer_timeout: std::time::Duration,
}

impl Default for ScheduleRules {
    fn default() -> Self {
        ScheduleRules {
            service_time_zone: chrono_tz::UTC,
            min_lead: Duration::minutes(60),
            offer_timeout: std::time::Duration::from_secs(900),
        }
    }
}

impl ScheduleRules {
    /// The earliest start a new booking may have at `now`.
    pub fn earliest_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.min_lead
    }

    /// The offer timeout as a chrono duration.
    pub fn offer_timeout(&self) -> Duration {
        Duration::from_std(self.offer_timeout).unwrap_or(Duration::days(1))
    }
}

/// `t` is a start on the grid: a whole minute that the clock in `tz` shows as :00 or :30.
pub fn on_grid(t: DateTime<Utc>, tz: Tz) -> bool {
    let local = t.with_timezone(&tz);
    local.second() == 0 && local.nanosecond() == 0 && i64::from(local.minute()) % SLOT_MINUTES == 0
}

/// The first start on the grid at or after `t`.
pub fn next_on_grid(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let mut minute = t
        .with_second(0)
        .and_then(|m| m.with_nanosecond(0))
        .unwrap_or(t);
    if minute < t {
        minute += Duration::minutes(1);
    }
    // At most one slot's worth of minutes away, whatever the zone's offset.
    for _ in 0..SLOT_MINUTES {
        if on_grid(minute, tz) {
            return minute;
        }
        minute += Duration::minutes(1);
    }
    minute
}

/// The starts on the grid in `[from, to)`.
pub fn grid(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> impl Iterator<Item = DateTime<Utc>> {
    let mut next = next_on_grid(from, tz);
    std::iter::from_fn(move || {
        if next >= to {
            return None;
        }
        let this = next;
        let step = this + Duration::minutes(SLOT_MINUTES);
        // A daylight-saving change by other than a multiple of the slot moves the grid.
        next = if on_grid(step, tz) {
            step
        } else {
            next_on_grid(step, tz)
        };
        Some(this)
    })
}

/// The wall-clock time of `t` in `tz`, as pages show it: `2026-12-05 10:00 (Europe/Berlin)`.
/// A time the clock shows twice (the hour repeated when daylight saving ends) also names
/// its offset from UTC, so that the two can be told apart: `2027-11-07 01:30
/// (America/New_York, UTC-04:00)`.
pub fn wall_clock(t: DateTime<Utc>, tz: Tz) -> String {
    use chrono::{Offset, TimeZone};
    let local = t.with_timezone(&tz);
    let shown = local.format("%Y-%m-%d %H:%M");
    match tz.from_local_datetime(&local.naive_local()) {
        chrono::LocalResult::Ambiguous(..) => {
            format!("{shown} ({}, UTC{})", tz.name(), local.offset().fix())
        }
        _ => format!("{shown} ({})", tz.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_time_shown_twice_names_its_offset() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let lord_howe: Tz = "Australia/Lord_Howe".parse().unwrap();
        for (t, tz, shown) in [
            // New York's 01:00 to 02:00 happens twice on 2027-11-07, 02:00 to 03:00 not at
            // all on 2027-03-14; Lord Howe's 01:30 to 02:00 twice on 2027-04-04.
            (
                "2027-11-07T05:30:00Z",
                ny,
                "2027-11-07 01:30 (America/New_York, UTC-04:00)",
            ),
            (
                "2027-11-07T06:30:00Z",
                ny,
                "2027-11-07 01:30 (America/New_York, UTC-05:00)",
            ),
            (
                "2027-11-07T07:30:00Z",
                ny,
                "2027-11-07 02:30 (America/New_York)",
            ),
            (
                "2027-03-14T07:30:00Z",
                ny,
                "2027-03-14 03:30 (America/New_York)",
            ),
            (
                "2027-04-03T14:30:00Z",
                lord_howe,
                "2027-04-04 01:30 (Australia/Lord_Howe, UTC+11:00)",
            ),
        ] {
            assert_eq!(wall_clock(at(t), tz), shown, "{t}");
        }
    }

    #[test]
    fn the_grid_is_the_local_clock_s_half_hours() {
        let kathmandu: Tz = "Asia/Kathmandu".parse().unwrap(); // UTC+05:45
        assert!(
            on_grid(at("2026-12-05T04:15:00Z"), kathmandu),
            "10:00 local"
        );
        assert!(
            !on_grid(at("2026-12-05T04:00:00Z"), kathmandu),
            "09:45 local"
        );
        assert!(on_grid(at("2026-12-05T10:30:00Z"), chrono_tz::UTC));
        assert!(!on_grid(at("2026-12-05T10:30:01Z"), chrono_tz::UTC));
        assert_eq!(
            next_on_grid(at("2026-12-05T10:00:01Z"), chrono_tz::UTC),
            at("2026-12-05T10:30:00Z")
        );
        assert_eq!(
            next_on_grid(at("2026-12-05T10:30:00Z"), chrono_tz::UTC),
            at("2026-12-05T10:30:00Z")
        );
        let starts: Vec<_> = grid(
            at("2026-12-05T03:50:00Z"),
            at("2026-12-05T05:00:00Z"),
            kathmandu,
        )
        .collect();
        assert_eq!(
            starts,
            [at("2026-12-05T04:15:00Z"), at("2026-12-05T04:45:00Z")]
        );
    }

    #[test]
    fn the_grid_follows_a_half_hour_daylight_saving_change() {
        // Lord Howe Island moves its clocks by 30 minutes: 02:00 becomes 02:30 on
        // 2026-10-04 (UTC+10:30 to UTC+11).
        let lord_howe: Tz = "Australia/Lord_Howe".parse().unwrap();
        let starts: Vec<_> = grid(
            at("2026-10-03T14:30:00Z"),
            at("2026-10-03T16:30:00Z"),
            lord_howe,
        )
        .collect();
        assert!(starts.iter().all(|t| on_grid(*t, lord_howe)));
        assert_eq!(starts.len(), 4);
    }

    #[test]
    fn wall_clock_names_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            wall_clock(at("2026-12-05T09:00:00Z"), berlin),
            "2026-12-05 10:00 (Europe/Berlin)"
        );
    }
}

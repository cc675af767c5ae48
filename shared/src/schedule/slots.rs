//! Bookable slots, worked out without a database: the starts on the grid at which at
//! least one provider is working over the whole window (their calendar, in their own
//! time zone) and has no active booking overlapping it.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::calendar::{Calendar, Interval};
use super::rules::grid;

/// Two windows `[start, end)` overlap when each starts before the other ends (touching
/// is not overlapping: a job may end at 10:00 and the next start at 10:00).
pub fn overlaps(a: Interval, b: Interval) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// What the slots of one provider depend on.
#[derive(Debug, Clone)]
pub struct ProviderTime {
    pub provider_id: i64,
    pub calendar: std::sync::Arc<Calendar>,
    /// Active bookings' windows.
    pub busy: Vec<Interval>,
}

/// A provider's time over a range, prepared for many questions.
struct Prepared {
    working: Vec<Interval>,
    /// Busy windows merged where they overlap (an admin may have allowed an overlap),
    /// so that their ends are in order too.
    busy: Vec<Interval>,
}

/// Windows in order of start, merged where they overlap.
fn merged(windows: &[Interval]) -> Vec<Interval> {
    let mut sorted = windows.to_vec();
    sorted.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(sorted.len());
    for w in sorted {
        match out.last_mut() {
            Some(last) if w.0 < last.1 => last.1 = last.1.max(w.1),
            _ => out.push(w),
        }
    }
    out
}

impl Prepared {
    /// Working over the whole window and no busy window overlaps it.
    fn free(&self, window: Interval) -> bool {
        // The working interval that starts last at or before the window's start.
        let i = self.working.partition_point(|w| w.0 <= window.0);
        let working = i > 0 && self.working[i - 1].1 >= window.1;
        // The first busy window that ends after the window's start.
        let j = self.busy.partition_point(|b| b.1 <= window.0);
        let busy = self.busy.get(j).is_some_and(|b| b.0 < window.1);
        working && !busy
    }
}

/// A start time and how many providers could take a booking there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub providers: u32,
}

/// The starts on the grid of `tz` in `[from, to)` at which a booking of `duration` has
/// at least one provider working and free, with how many.
pub fn slots(
    providers: &[ProviderTime],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    duration: Duration,
    tz: Tz,
) -> Vec<Slot> {
    let prepared: Vec<Prepared> = providers
        .iter()
        .map(|p| Prepared {
            working: p.calendar.working(from, to + duration),
            busy: merged(&p.busy),
        })
        .collect();
    grid(from, to, tz)
        .filter_map(|starts_at| {
            let window = (starts_at, starts_at + duration);
            let count = prepared.iter().filter(|p| p.free(window)).count() as u32;
            (count > 0).then_some(Slot {
                starts_at,
                providers: count,
            })
        })
        .collect()
}

/// Whether `provider` is working and free over `window`.
pub fn is_free(provider: &ProviderTime, window: Interval) -> bool {
    Prepared {
        working: provider.calendar.working(window.0, window.1),
        busy: merged(&provider.busy),
    }
    .free(window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::calendar::{CalendarInput, WeeklyHours};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn nine_to_five(tz: &str) -> Calendar {
        CalendarInput {
            time_zone: tz.into(),
            weekly: ["mon", "tue", "wed", "thu", "fri"]
                .map(|d| WeeklyHours {
                    weekday: d.into(),
                    start: "09:00".into(),
                    end: "17:00".into(),
                })
                .to_vec(),
            exceptions: vec![],
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn windows_that_touch_do_not_overlap() {
        let (a, b, c) = (
            at("2026-12-07T09:00:00Z"),
            at("2026-12-07T10:00:00Z"),
            at("2026-12-07T11:00:00Z"),
        );
        assert!(!overlaps((a, b), (b, c)));
        assert!(!overlaps((b, c), (a, b)));
        assert!(overlaps((a, c), (b, c)));
        assert!(overlaps((a, c), (a, b)), "one inside the other");
        assert!(overlaps((a, b), (a, b)), "the same window");
    }

    #[test]
    fn slots_are_where_someone_works_the_whole_window_and_is_not_busy() {
        let utc = chrono_tz::UTC;
        let day = (at("2026-12-07T00:00:00Z"), at("2026-12-08T00:00:00Z")); // a Monday
        let two_hours = Duration::hours(2);
        let alone = ProviderTime {
            provider_id: 1,
            calendar: nine_to_five("UTC").into(),
            busy: vec![(at("2026-12-07T11:00:00Z"), at("2026-12-07T13:00:00Z"))],
        };
        let starts: Vec<String> = slots(std::slice::from_ref(&alone), day.0, day.1, two_hours, utc)
            .iter()
            .map(|s| s.starts_at.format("%H:%M").to_string())
            .collect();
        // 09:00 fits before the 11:00 job; 09:30 to 12:30 would overlap it; 13:00 to
        // 15:00 is the last that ends by 17:00.
        assert_eq!(
            starts,
            ["09:00", "13:00", "13:30", "14:00", "14:30", "15:00"]
        );

        let other = ProviderTime {
            provider_id: 2,
            calendar: Calendar::always(utc).into(),
            busy: vec![],
        };
        let both = slots(&[alone, other], day.0, day.1, two_hours, utc);
        assert_eq!(both.len(), 48, "someone is always free");
        let at_nine = both
            .iter()
            .find(|s| s.starts_at == at("2026-12-07T09:00:00Z"))
            .unwrap();
        assert_eq!(at_nine.providers, 2);
        let at_ten = both
            .iter()
            .find(|s| s.starts_at == at("2026-12-07T10:00:00Z"))
            .unwrap();
        assert_eq!(at_ten.providers, 1);
    }

    #[test]
    fn a_provider_s_hours_are_in_their_own_zone() {
        // Nine to five in New York is 14:00 to 22:00 UTC in December.
        let ny = ProviderTime {
            provider_id: 1,
            calendar: nine_to_five("America/New_York").into(),
            busy: vec![],
        };
        let found = slots(
            &[ny],
            at("2026-12-07T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
            Duration::hours(8),
            chrono_tz::UTC,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].starts_at, at("2026-12-07T14:00:00Z"));
    }
}

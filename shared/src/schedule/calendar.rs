//! A provider's working calendar: weekly hours per weekday (several ranges a day), and
//! dated exceptions that replace a day's weekly hours (no ranges: a day off), all in the
//! provider's own time zone. [`Calendar::working`] turns it into instants, correct
//! across daylight-saving changes: an hour that does not exist (clocks go forward) starts
//! at the first instant after the gap; an hour that happens twice (clocks go back) is
//! taken the first time.
//!
//! A provider with no calendar set works every day, all day ([`Calendar::always`]).

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

/// Minutes in a day: a range may end at 24:00.
pub const DAY_MINUTES: u16 = 24 * 60;
/// At most this many ranges in a week, ranges on one date, and exceptions, per calendar.
pub const MAX_WEEKLY: usize = 70;
pub const MAX_RANGES_PER_DATE: usize = 10;
pub const MAX_EXCEPTIONS: usize = 400;

/// Part of a day, in minutes since local midnight: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeRange {
    pub start: u16,
    pub end: u16,
}

/// A provider's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub time_zone: Tz,
    /// Working hours by weekday, each day's ranges in order and apart.
    pub weekly: BTreeMap<u8, Vec<TimeRange>>,
    /// A date's hours instead of its weekday's (empty: a day off).
    pub exceptions: BTreeMap<NaiveDate, Vec<TimeRange>>,
    /// No calendar was set: works every day, all day.
    pub always: bool,
}

/// An instant interval `[start, end)`.
pub type Interval = (DateTime<Utc>, DateTime<Utc>);

/// Monday is 0.
pub fn weekday_index(day: Weekday) -> u8 {
    day.num_days_from_monday() as u8
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `HH:MM` (00:00 to 24:00) as minutes since midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let minutes = h * 60 + m;
    (m < 60 && minutes <= DAY_MINUTES).then_some(minutes)
}

/// Minutes since midnight as `HH:MM`.
pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The UTC instant of local `minute` on `date` in `tz` (minute 1440 is the next day's
/// midnight). A local time in a gap is moved forward by the gap; an ambiguous one is the
/// earlier of the two.
pub fn local_instant(tz: Tz, date: NaiveDate, minute: u16) -> DateTime<Utc> {
    let (date, minute) = if minute >= DAY_MINUTES {
        (date.succ_opt().unwrap_or(date), minute - DAY_MINUTES)
    } else {
        (date, minute)
    };
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)
        .unwrap_or(NaiveTime::MIN);
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the wall clock jumped over it; the first valid minute after it.
            (1..=180)
                .find_map(|m| {
                    tz.from_local_datetime(&(local + Duration::minutes(m)))
                        .earliest()
                })
                .map_or_else(
                    || tz.from_utc_datetime(&local).with_timezone(&Utc),
                    |t| t.with_timezone(&Utc),
                )
        }
    }
}

impl Calendar {
    /// No calendar: working every day, all day.
    pub fn always(time_zone: Tz) -> Calendar {
        Calendar {
            time_zone,
            weekly: BTreeMap::new(),
            exceptions: BTreeMap::new(),
            always: true,
        }
    }

    /// The ranges worked on a local date.
    pub fn ranges_on(&self, date: NaiveDate) -> &[TimeRange] {
        if let Some(ranges) = self.exceptions.get(&date) {
            return ranges;
        }
        self.weekly
            .get(&weekday_index(date.weekday()))
            .map_or(&[], Vec::as_slice)
    }

    /// The instants worked that overlap `[from, to)`, merged where one range runs into the
    /// next (a night shift over midnight is one interval).
    pub fn working(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Interval> {
        if self.always {
            return vec![(from, to)];
        }
        let first = from
            .with_timezone(&self.time_zone)
            .date_naive()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let last = to
            .with_timezone(&self.time_zone)
            .date_naive()
            .succ_opt()
            .unwrap_or(NaiveDate::MAX);
        let mut intervals: Vec<Interval> = Vec::new();
        let mut date = first;
        while date <= last {
            for range in self.ranges_on(date) {
                let start = local_instant(self.time_zone, date, range.start);
                let end = local_instant(self.time_zone, date, range.end);
                if end <= start || end <= from || start >= to {
                    continue;
                }
                match intervals.last_mut() {
                    Some(last) if start <= last.1 => last.1 = last.1.max(end),
                    _ => intervals.push((start, end)),
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        intervals
    }

    /// Working over the whole of `[start, end)`.
    pub fn covers(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        self.always
            || self
                .working(start, end)
                .iter()
                .any(|(s, e)| *s <= start && end <= *e)
    }
}

/// When a calendar being checked was entered ([`CalendarInput::check`]), and so the
/// limits it keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entered {
    Now,
    Before,
}

impl Entered {
    /// An exception's date: `YYYY-MM-DD` now; before, also a sign and more digits.
    fn date(self, text: &str) -> Option<NaiveDate> {
        match self {
            Entered::Now => crate::input::date(text),
            Entered::Before => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
        }
    }

    /// The most ranges on one exception's date.
    fn ranges_per_date(self) -> usize {
        match self {
            Entered::Now => MAX_RANGES_PER_DATE,
            Entered::Before => MAX_WEEKLY,
        }
    }
}

/// A calendar as someone enters it, before it is checked; also the form it is stored in
/// (as JSON, without the time zone, which is a column of its own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarInput {
    #[serde(skip)]
    pub time_zone: String,
    #[serde(default)]
    pub weekly: Vec<WeeklyHours>,
    #[serde(default)]
    pub exceptions: Vec<DateHours>,
}

/// Hours worked on every `weekday` (`mon` to `sun`), `start` to `end` (`HH:MM`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// The hours of one date (`YYYY-MM-DD`) instead of its weekday's; none is a day off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateHours {
    pub date: String,
    #[serde(default)]
    pub ranges: Vec<Hours>,
}

/// `start` to `end`, `HH:MM` (00:00 to 24:00).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub start: String,
    pub end: String,
}

/// Checks a range; records problems under `field`.
fn range(errors: &mut FieldErrors, field: &str, start: &str, end: &str) -> Option<TimeRange> {
    match (parse_hhmm(start), parse_hhmm(end)) {
        (Some(s), Some(e)) if s < e => Some(TimeRange { start: s, end: e }),
        (Some(_), Some(_)) => {
            errors.insert(field.into(), "must end after it starts".into());
            None
        }
        _ => {
            errors.insert(
                field.into(),
                "start and end must be times like 09:00 (00:00 to 24:00)".into(),
            );
            None
        }
    }
}

/// Sorts ranges and records an error when two overlap.
fn apart(errors: &mut FieldErrors, field: &str, ranges: &mut [TimeRange]) {
    ranges.sort();
    if ranges.windows(2).any(|w| w[1].start < w[0].end) {
        errors.insert(field.into(), "ranges of one day must not overlap".into());
    }
}

/// An IANA time zone name, read as a booking's is: blanks around it do not count.
pub fn time_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

impl CalendarInput {
    /// Checks every part, reporting each problem by field (`time_zone`, `weekly[2]`,
    /// `exceptions[0].ranges[1]`, ...).
    pub fn validate(&self) -> Result<Calendar, FieldErrors> {
        self.check(Entered::Now)
    }

    /// Checks every part as [`CalendarInput::validate`] does, or for a calendar read back
    /// (`Entered::Before`) with the limits of when it was saved: up to [`MAX_WEEKLY`]
    /// ranges on a date, and a date's year in any number of digits, which were let
    /// through once. A calendar saved then still reads back, and its provider is still
    /// matched; a new one keeps to the documented limits.
    fn check(&self, entered: Entered) -> Result<Calendar, FieldErrors> {
        let mut errors = FieldErrors::new();
        let tz = time_zone(&self.time_zone);
        if tz.is_none() {
            errors.insert(
                "time_zone".into(),
                "must be an IANA time zone such as Europe/Berlin".into(),
            );
        }
        if self.weekly.len() > MAX_WEEKLY {
            errors.insert(
                "weekly".into(),
                format!("must have at most {MAX_WEEKLY} ranges"),
            );
        }
        if self.exceptions.len() > MAX_EXCEPTIONS {
            errors.insert(
                "exceptions".into(),
                format!("must have at most {MAX_EXCEPTIONS} dates"),
            );
        }
        let mut weekly: BTreeMap<u8, Vec<TimeRange>> = BTreeMap::new();
        for (
            i,
            WeeklyHours {
                weekday,
                start,
                end,
            },
        ) in self.weekly.iter().enumerate()
        {
            let field = format!("weekly[{i}]");
            let Some(index) = WEEKDAYS.iter().position(|d| d == weekday) else {
                errors.insert(
                    field,
                    "weekday must be one of mon, tue, wed, thu, fri, sat, sun".into(),
                );
                continue;
            };
            if let Some(r) = range(&mut errors, &field, start, end) {
                weekly.entry(index as u8).or_default().push(r);
            }
        }
        for (day, ranges) in weekly.iter_mut() {
            apart(
                &mut errors,
                &format!("weekly.{}", WEEKDAYS[*day as usize]),
                ranges,
            );
        }
        let mut exceptions: BTreeMap<NaiveDate, Vec<TimeRange>> = BTreeMap::new();
        for (i, DateHours { date, ranges }) in self.exceptions.iter().enumerate() {
            let field = format!("exceptions[{i}]");
            let Some(date) = entered.date(date) else {
                errors.insert(
                    format!("{field}.date"),
                    "must be a date like 2026-12-24".into(),
                );
                continue;
            };
            if exceptions.contains_key(&date) {
                errors.insert(format!("{field}.date"), "is given twice".into());
                continue;
            }
            let mut parsed = Vec::new();
            let most = entered.ranges_per_date();
            if ranges.len() > most {
                errors.insert(
                    format!("{field}.ranges"),
                    format!("must have at most {most} ranges"),
                );
                continue;
            }
            for (j, Hours { start, end }) in ranges.iter().enumerate() {
                if let Some(r) = range(&mut errors, &format!("{field}.ranges[{j}]"), start, end) {
                    parsed.push(r);
                }
            }
            apart(&mut errors, &format!("{field}.ranges"), &mut parsed);
            exceptions.insert(date, parsed);
        }
        match tz {
            Some(time_zone) if errors.is_empty() => Ok(Calendar {
                time_zone,
                weekly,
                exceptions,
                always: false,
            }),
            _ => Err(errors),
        }
    }
}

impl Calendar {
    /// The calendar as entered (and stored): ranges in order, times as `HH:MM`.
    pub fn to_input(&self) -> CalendarInput {
        let hours = |r: &TimeRange| Hours {
            start: format_hhmm(r.start),
            end: format_hhmm(r.end),
        };
        CalendarInput {
            time_zone: self.time_zone.name().to_owned(),
            weekly: self
                .weekly
                .iter()
                .flat_map(|(day, ranges)| {
                    ranges.iter().map(move |r| WeeklyHours {
                        weekday: WEEKDAYS[usize::from(*day)].to_owned(),
                        start: format_hhmm(r.start),
                        end: format_hhmm(r.end),
                    })
                })
                .collect(),
            exceptions: self
                .exceptions
                .iter()
                .map(|(date, ranges)| DateHours {
                    date: date.format("%Y-%m-%d").to_string(),
                    ranges: ranges.iter().map(hours).collect(),
                })
                .collect(),
        }
    }

    /// The JSON stored in `providers.calendar`.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.to_input()).unwrap_or_else(|_| "{}".to_owned())
    }

    /// A calendar as stored: the provider's time zone and its JSON (none: working every
    /// day, all day). What does not read back is a decode error, never a panic.
    pub fn from_stored(time_zone: &str, stored: Option<&str>) -> Result<Calendar, String> {
        let tz =
            self::time_zone(time_zone).ok_or_else(|| format!("unknown time zone `{time_zone}`"))?;
        let Some(json) = stored else {
            return Ok(Calendar::always(tz));
        };
        let mut input: CalendarInput =
            serde_json::from_str(json).map_err(|e| format!("calendar JSON: {e}"))?;
        input.time_zone = time_zone.to_owned();
        input
            .check(Entered::Before)
            .map_err(|errors| format!("stored calendar is invalid: {errors:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn calendar(tz: &str, weekly: &[(&str, &str, &str)]) -> Calendar {
        CalendarInput {
            time_zone: tz.into(),
            weekly: weekly
                .iter()
                .map(|(d, s, e)| WeeklyHours {
                    weekday: d.to_string(),
                    start: s.to_string(),
                    end: e.to_string(),
                })
                .collect(),
            exceptions: Vec::new(),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn times_are_hh_mm_from_midnight_to_midnight() {
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("00:00"), Some(0));
        for bad in ["9:30", "24:01", "12:60", "1230", "ab:cd", "", "-1:00"] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(format_hhmm(570), "09:30");
    }

    #[test]
    fn a_berlin_day_in_winter_is_utc_plus_one_and_in_summer_plus_two() {
        let c = calendar("Europe/Berlin", &[("mon", "09:00", "17:00")]);
        assert_eq!(
            c.working(at("2026-12-07T00:00:00Z"), at("2026-12-08T00:00:00Z")),
            vec![(at("2026-12-07T08:00:00Z"), at("2026-12-07T16:00:00Z"))]
        );
        assert_eq!(
            c.working(at("2026-07-06T00:00:00Z"), at("2026-07-07T00:00:00Z")),
            vec![(at("2026-07-06T07:00:00Z"), at("2026-07-06T15:00:00Z"))]
        );
    }

    #[test]
    fn the_night_clocks_go_forward_a_range_across_the_gap_is_an_hour_shorter() {
        // Berlin, Sunday 2026-03-29: 02:00 becomes 03:00.
        let c = calendar("Europe/Berlin", &[("sun", "01:00", "05:00")]);
        assert_eq!(
            c.working(at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z")),
            vec![(at("2026-03-29T00:00:00Z"), at("2026-03-29T03:00:00Z"))],
            "01:00 CET to 05:00 CEST is three hours"
        );
        // A range that starts inside the gap starts when the clock reads 03:00.
        let c = calendar("Europe/Berlin", &[("sun", "02:30", "04:00")]);
        assert_eq!(
            c.working(at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z")),
            vec![(at("2026-03-29T01:00:00Z"), at("2026-03-29T02:00:00Z"))]
        );
    }

    #[test]
    fn the_night_clocks_go_back_a_range_across_it_is_an_hour_longer() {
        // New York, Sunday 2026-11-01: 02:00 EDT becomes 01:00 EST.
        let c = calendar("America/New_York", &[("sun", "00:00", "04:00")]);
        assert_eq!(
            c.working(at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")),
            vec![(at("2026-11-01T04:00:00Z"), at("2026-11-01T09:00:00Z"))],
            "midnight EDT to 04:00 EST is five hours"
        );
        // An hour that happens twice is taken the first time.
        let c = calendar("America/New_York", &[("sun", "01:30", "03:00")]);
        assert_eq!(
            c.working(at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")),
            vec![(at("2026-11-01T05:30:00Z"), at("2026-11-01T08:00:00Z"))]
        );
        // And on New York's spring-forward Sunday, 2026-03-08, 02:00 becomes 03:00.
        let c = calendar("America/New_York", &[("sun", "01:00", "04:00")]);
        assert_eq!(
            c.working(at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z")),
            vec![(at("2026-03-08T06:00:00Z"), at("2026-03-08T08:00:00Z"))]
        );
    }

    #[test]
    fn an_exception_replaces_the_day_and_an_empty_one_is_a_day_off() {
        let mut c = calendar(
            "Europe/Berlin",
            &[("thu", "09:00", "17:00"), ("fri", "09:00", "17:00")],
        );
        c.exceptions
            .insert("2026-12-24".parse().unwrap(), Vec::new());
        c.exceptions.insert(
            "2026-12-25".parse().unwrap(),
            vec![TimeRange {
                start: 600,
                end: 840,
            }],
        );
        assert_eq!(
            c.working(at("2026-12-24T00:00:00Z"), at("2026-12-25T00:00:00Z")),
            vec![]
        );
        assert_eq!(
            c.working(at("2026-12-25T00:00:00Z"), at("2026-12-26T00:00:00Z")),
            vec![(at("2026-12-25T09:00:00Z"), at("2026-12-25T13:00:00Z"))]
        );
    }

    #[test]
    fn a_night_shift_over_midnight_is_one_interval_and_covers_a_job_across_it() {
        let c = calendar(
            "UTC",
            &[("fri", "22:00", "24:00"), ("sat", "00:00", "06:00")],
        );
        let working = c.working(at("2026-12-04T00:00:00Z"), at("2026-12-06T00:00:00Z"));
        assert_eq!(
            working,
            vec![(at("2026-12-04T22:00:00Z"), at("2026-12-05T06:00:00Z"))]
        );
        assert!(c.covers(at("2026-12-04T23:00:00Z"), at("2026-12-05T01:00:00Z")));
        assert!(!c.covers(at("2026-12-05T05:00:00Z"), at("2026-12-05T07:00:00Z")));
        assert!(
            Calendar::always(chrono_tz::UTC)
                .covers(at("2026-12-05T05:00:00Z"), at("2026-12-05T07:00:00Z"))
        );
    }

    #[test]
    fn a_calendar_with_problems_names_each() {
        let input = CalendarInput {
            time_zone: "Mars/Olympus".into(),
            weekly: [
                ("mon", "09:00", "12:00"),
                ("mon", "11:00", "13:00"),
                ("funday", "09:00", "10:00"),
                ("tue", "10:00", "09:00"),
            ]
            .map(|(d, s, e)| WeeklyHours {
                weekday: d.into(),
                start: s.into(),
                end: e.into(),
            })
            .to_vec(),
            exceptions: vec![DateHours {
                date: "2026-02-30".into(),
                ranges: vec![],
            }],
        };
        let errors = input.validate().unwrap_err();
        let fields: Vec<_> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "exceptions[0].date",
                "time_zone",
                "weekly.mon",
                "weekly[2]",
                "weekly[3]"
            ]
        );
    }
}

#[cfg(test)]
mod stored {
    use super::*;

    /// An exception date with `n` half-hour ranges, one an hour from midnight.
    fn date_with_ranges(date: &str, n: usize) -> CalendarInput {
        CalendarInput {
            time_zone: "UTC".into(),
            weekly: Vec::new(),
            exceptions: vec![DateHours {
                date: date.into(),
                ranges: (0..n)
                    .map(|h| Hours {
                        start: format!("{h:02}:00"),
                        end: format!("{h:02}:30"),
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn a_new_calendar_keeps_to_the_documented_limits_and_an_old_one_still_reads_back() {
        assert!(
            date_with_ranges("2026-12-24", MAX_RANGES_PER_DATE)
                .validate()
                .is_ok()
        );
        for (input, field, message) in [
            (
                date_with_ranges("2026-12-24", MAX_RANGES_PER_DATE + 1),
                "exceptions[0].ranges",
                "at most 10",
            ),
            (
                date_with_ranges("+12345-01-01", 1),
                "exceptions[0].date",
                "like 2026-12-24",
            ),
        ] {
            let errors = input.validate().unwrap_err();
            assert!(errors[field].contains(message), "{errors:?}");
            // Saved when these were let through, it reads back as saved.
            let stored = serde_json::to_string(&input).unwrap();
            let read = Calendar::from_stored("UTC", Some(&stored)).unwrap();
            assert_eq!(read.to_stored(), stored);
        }
    }

    #[test]
    fn a_calendar_reads_back_as_it_was_stored() {
        let input = CalendarInput {
            time_zone: "Europe/Berlin".into(),
            weekly: vec![WeeklyHours {
                weekday: "tue".into(),
                start: "13:00".into(),
                end: "17:30".into(),
            }],
            exceptions: vec![DateHours {
                date: "2026-12-24".into(),
                ranges: vec![],
            }],
        };
        let calendar = input.validate().unwrap();
        let back = Calendar::from_stored("Europe/Berlin", Some(&calendar.to_stored())).unwrap();
        assert_eq!(back, calendar);
        assert_eq!(back.to_input(), input);
        assert!(Calendar::from_stored("Europe/Berlin", None).unwrap().always);
        assert!(Calendar::from_stored("Nowhere/City", None).is_err());
        assert!(Calendar::from_stored("UTC", Some("{\"weekly\": 3}")).is_err());
    }
}

//! How a provider is chosen for a booking: the rule, as Rust you can read and test, and
//! beside it the SQL that gathers the facts the rule looks at.
//!
//! Eligible: offers the booking's service, is available (taking work), works over the
//! whole window by their calendar in their own time zone, holds no active booking
//! (assigned, accepted, in progress) whose window overlaps it, and has not declined
//! this booking, failed to show for it or let its offer expire. Among the eligible:
//! fewest active bookings that day (the booking's day, in its time zone), then the
//! highest rating, then the lowest id.
//!
//! Every attempt keeps its reasons ([`explain`]): who was chosen and, for each other
//! provider of the service, the first thing that ruled them out.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use db::{Backend, Tx, on, ts};

use crate::booking::Booking;
use crate::booking::rows::overlapping;
use crate::error::{DomainError, StoreError};
use crate::schedule::cached_calendar;
use crate::schedule::calendar::local_instant;

/// How a provider let this booking go before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declined {
    Rejected,
    NoShow,
    Expired,
}

/// What the rule looks at about one provider of the service, for one booking.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub provider_id: i64,
    pub available: bool,
    /// Works over the whole window, by their calendar.
    pub working: bool,
    /// An active booking of theirs whose window overlaps this one.
    pub overlapping: Option<i64>,
    /// How they let this booking go in an earlier attempt, if they did.
    pub declined: Option<Declined>,
    /// Their active bookings that start on the booking's day.
    pub load_that_day: i64,
    pub rating: f64,
    /// Another assignment holds them at this moment (PostgreSQL, many workers).
    pub held_elsewhere: bool,
}

impl Candidate {
    /// The first thing that rules them out, in the order a dispatcher would check.
    pub fn obstacle(&self) -> Option<String> {
        if !self.available {
            return Some("unavailable".into());
        }
        if !self.working {
            return Some("off hours".into());
        }
        if let Some(other) = self.overlapping {
            return Some(format!("overlapping booking #{other}"));
        }
        match self.declined {
            Some(Declined::Rejected) => return Some("declined before".into()),
            Some(Declined::NoShow) => return Some("did not show before".into()),
            Some(Declined::Expired) => return Some("offer expired before".into()),
            None => {}
        }
        if self.held_elsewhere {
            return Some("being assigned another booking at this moment".into());
        }
        None
    }

    /// May be chosen at all.
    pub fn is_eligible(&self) -> bool {
        self.obstacle().is_none()
    }
}

/// Who comes first among eligible candidates.
pub fn rank(a: &Candidate, b: &Candidate) -> Ordering {
    a.load_that_day
        .cmp(&b.load_that_day)
        .then(b.rating.total_cmp(&a.rating))
        .then(a.provider_id.cmp(&b.provider_id))
}

/// The provider the rule chooses, if anyone is eligible.
pub fn choose(candidates: &[Candidate]) -> Option<i64> {
    candidates
        .iter()
        .filter(|c| c.is_eligible())
        .min_by(|a, b| rank(a, b))
        .map(|c| c.provider_id)
}

/// One provider an attempt considered: chosen, or the first reason they were not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Considered {
    pub provider_id: i64,
    pub chosen: bool,
    pub reason: String,
}

/// Whom an attempt considered: at most [`MAX_LISTED`], nearest to being chosen first,
/// and how many more there were.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explanation {
    pub listed: Vec<Considered>,
    pub others_not_listed: i64,
}

/// The most candidates an attempt keeps.
pub const MAX_LISTED: usize = 20;

/// "1 job", "3 jobs".
fn jobs(n: i64) -> String {
    if n == 1 {
        "1 job".into()
    } else {
        format!("{n} jobs")
    }
}

/// Why `candidate` ranked below `chosen`.
fn ranked_lower(candidate: &Candidate, chosen: &Candidate) -> String {
    if candidate.load_that_day != chosen.load_that_day {
        format!(
            "ranked lower: {} that day against {}",
            jobs(candidate.load_that_day),
            chosen.load_that_day
        )
    } else if candidate.rating != chosen.rating {
        format!(
            "ranked lower: rank {:.1} against {:.1}",
            candidate.rating, chosen.rating
        )
    } else {
        "ranked lower: same load and rank, a later provider id".into()
    }
}

/// The record of a choice among `candidates`: the chosen first, then the other eligible
/// in rank order, then the rest in rank order, each with their reason.
pub fn explain(candidates: &[Candidate], chosen: Option<i64>) -> Explanation {
    let chosen = chosen.and_then(|id| candidates.iter().find(|c| c.provider_id == id));
    // Each candidate's place group once (not in every comparison: `obstacle` builds text).
    let mut ordered: Vec<((bool, bool), &Candidate)> = candidates
        .iter()
        .map(|c| {
            let group = (
                Some(c.provider_id) != chosen.map(|x| x.provider_id),
                !c.is_eligible(),
            );
            (group, c)
        })
        .collect();
    ordered.sort_by(|(ga, a), (gb, b)| ga.cmp(gb).then(rank(a, b)));
    let ordered: Vec<&Candidate> = ordered.into_iter().map(|(_, c)| c).collect();
    let listed = ordered
        .iter()
        .take(MAX_LISTED)
        .map(|c| {
            let is_chosen = Some(c.provider_id) == chosen.map(|x| x.provider_id);
            let reason = if is_chosen {
                format!(
                    "chosen: {} that day, rank {:.1}",
                    jobs(c.load_that_day),
                    c.rating
                )
            } else if let Some(obstacle) = c.obstacle() {
                obstacle
            } else if let Some(chosen) = chosen {
                ranked_lower(c, chosen)
            } else {
                "eligible".into()
            };
            Considered {
                provider_id: c.provider_id,
                chosen: is_chosen,
                reason,
            }
        })
        .collect();
    Explanation {
        listed,
        others_not_listed: candidates.len().saturating_sub(MAX_LISTED) as i64,
    }
}

/// The facts about every provider of the booking's service, in one statement: $1 the
/// service, $2 the booking, $3 a day before its start (no window is longer, so one that
/// overlaps starts after this), $4 its end, $5 its start, $6 and $7 the bounds of its
/// day in its time zone. Served by `bookings_active_window` (migration 0006; on SQLite it
/// holds every column read here since 0017, so no window's row is read). A provider
/// an admin deactivated is no candidate at all.
///
/// The day's count reads its rows in start order only to name the index: a PostgreSQL
/// table that has no statistics yet (new, or grown faster than autovacuum analyses it)
/// otherwise counts by `bookings_active_by_provider`, every active booking the provider
/// holds, instead of the day's few (10 ms against 0.4 ms per match, at 2,000 each).
///
/// The rating is the Bayesian rank of `crate::rating::bayesian_rank`: (C·m + Σr) / (C + n)
/// with C = 5 and m the mean of every review, or the admin's rating without reviews.
const FACTS: &str = "SELECT p.id, p.available, CAST(CASE WHEN p.rating_count > 0 THEN \
         (5 * (SELECT CAST(SUM(q.rating_sum) AS DOUBLE PRECISION) / SUM(q.rating_count) \
         FROM providers q) + p.rating_sum) / (5 + p.rating_count) ELSE p.rating END \
         AS DOUBLE PRECISION) AS rating, p.time_zone, p.calendar, \
     (SELECT o.id FROM bookings o WHERE o.provider_id = p.id \
         AND o.status IN ('assigned', 'accepted', 'in_progress') \
         AND o.starts_at > $3 AND o.starts_at < $4 AND o.ends_at > $5 AND o.id <> $2 \
         ORDER BY o.starts_at LIMIT 1) AS overlapping, \
     (SELECT COUNT(*) FROM (SELECT 1 FROM bookings o WHERE o.provider_id = p.id \
         AND o.status IN ('assigned', 'accepted', 'in_progress') \
         AND o.starts_at >= $6 AND o.starts_at < $7 ORDER BY o.starts_at) AS d) AS load_that_day, \
     (SELECT a.outcome FROM assignment_attempts a WHERE a.booking_id = $2 \
         AND a.provider_id = p.id AND a.outcome IN ('rejected', 'no_show', 'expired') \
         ORDER BY a.id DESC LIMIT 1) AS declined \
     FROM providers p JOIN provider_services s ON s.provider_id = p.id \
     WHERE s.service_type = $1 AND p.deactivated_at IS NULL ORDER BY p.id";

#[derive(FromRow)]
struct FactsRow {
    id: i64,
    available: bool,
    rating: f64,
    time_zone: String,
    calendar: Option<String>,
    overlapping: Option<i64>,
    load_that_day: i64,
    declined: Option<String>,
}

/// The local day of `t` in the booking's time zone, as instants.
fn day_of(booking: &Booking) -> (DateTime<Utc>, DateTime<Utc>) {
    let date = booking
        .starts_at
        .with_timezone(&booking.time_zone)
        .date_naive();
    (
        local_instant(booking.time_zone, date, 0),
        local_instant(booking.time_zone, date, 24 * 60),
    )
}

/// FACTS's parameters for `booking` after the service ($1) and the booking's id ($2):
/// a day before its start, its end, its start, and its local day's bounds.
fn facts_times(booking: &Booking) -> [DateTime<Utc>; 5] {
    let (day_start, day_end) = day_of(booking);
    [
        booking.starts_at - Duration::days(1),
        booking.ends_at,
        booking.starts_at,
        day_start,
        day_end,
    ]
}

impl FactsRow {
    /// A row read on a SQLite connection's own handle ([`db::Tx::direct`]), in FACTS's
    /// column order.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<FactsRow> {
        Ok(FactsRow {
            id: r.get(0)?,
            available: r.get(1)?,
            rating: r.get(2)?,
            time_zone: r.get(3)?,
            calendar: r.get(4)?,
            overlapping: r.get(5)?,
            load_that_day: r.get(6)?,
            declined: r.get(7)?,
        })
    }

    /// What the rule looks at about this provider, for `booking`.
    fn candidate(self, booking: &Booking) -> Result<Candidate, StoreError> {
        let calendar = cached_calendar(&self.time_zone, self.calendar.as_deref())?;
        Ok(Candidate {
            provider_id: self.id,
            available: self.available,
            working: calendar.covers(booking.starts_at, booking.ends_at),
            overlapping: self.overlapping,
            declined: match self.declined.as_deref() {
                Some("rejected") => Some(Declined::Rejected),
                Some("no_show") => Some(Declined::NoShow),
                Some("expired") => Some(Declined::Expired),
                _ => None,
            },
            load_that_day: self.load_that_day,
            rating: self.rating,
            held_elsewhere: false,
        })
    }
}

/// The candidates for `booking`, from the store.
pub(crate) async fn candidates_for(
    tx: &mut Tx,
    booking: &Booking,
) -> Result<Vec<Candidate>, StoreError> {
    let [day_before, ends, starts, day_start, day_end] = facts_times(booking).map(ts);
    let rows: Vec<FactsRow> = on!(tx, |c| {
        sqlx::query_as(FACTS)
            .bind(&booking.service_type)
            .bind(booking.id)
            .bind(day_before)
            .bind(ends)
            .bind(starts)
            .bind(day_start)
            .bind(day_end)
            .fetch_all(c)
            .await
    })?;
    rows.into_iter().map(|r| r.candidate(booking)).collect()
}

/// [`candidates_for`] on a SQLite connection's own handle ([`db::Tx::direct`]).
pub(crate) fn candidates_direct(
    s: &mut db::Scripts<'_>,
    booking: &Booking,
) -> Result<Vec<Candidate>, StoreError> {
    let [day_before, ends, starts, day_start, day_end] =
        facts_times(booking).map(|t| ts(t).millis());
    let rows = s.query(
        FACTS,
        &[
            &booking.service_type,
            &booking.id,
            &day_before,
            &ends,
            &starts,
            &day_start,
            &day_end,
        ],
        FactsRow::read,
    )?;
    rows.into_iter().map(|r| r.candidate(booking)).collect()
}

/// What matching decided for a booking.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Choice {
    pub chosen: Option<i64>,
    pub explanation: Explanation,
}

/// Whether an assignment may wait for a provider's row that another transaction holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// When every eligible provider is held, wait for the best (an assignment in a
    /// transaction of its own, which holds no other provider meanwhile).
    ForTheBest,
    /// Never: an assignment that shares a transaction with others may already hold
    /// providers they locked, and two such transactions waiting for each other's would
    /// deadlock (PostgreSQL breaks that after a second, failing one of them whole).
    Never,
}

/// What an assignment that may not wait meets when every eligible provider is held by
/// another transaction: it is tried again in a transaction of its own.
fn held_elsewhere() -> DomainError {
    DomainError::Conflict {
        code: "providers_held",
        message: "every eligible provider is held by another assignment's transaction".into(),
    }
}

/// Runs the rule for `booking` in the store. On PostgreSQL, where assignments run side
/// by side, the chosen provider's row is locked until the transaction ends: the first
/// in rank order that no other assignment holds (so that workers on many hosts spread
/// over the eligible instead of queueing on one), or, when every one is held, the best,
/// waited for ([`Wait::ForTheBest`]; with [`Wait::Never`], [`held_elsewhere`] instead).
/// Once locked, the overlap is looked at again: another assignment may have just given
/// them an overlapping booking.
pub(crate) async fn choose_for(
    tx: &mut Tx,
    booking: &Booking,
    may: Wait,
) -> Result<Choice, StoreError> {
    let mut candidates = candidates_for(tx, booking).await?;
    if tx.backend() == Backend::Sqlite {
        // The write transaction excludes every other writer: the facts stay true.
        let chosen = choose(&candidates);
        let explanation = explain(&candidates, chosen);
        return Ok(Choice {
            chosen,
            explanation,
        });
    }
    let mut wait = false;
    loop {
        let mut eligible: Vec<&Candidate> = candidates.iter().filter(|c| c.is_eligible()).collect();
        eligible.sort_by(|a, b| rank(a, b));
        let order: Vec<i64> = eligible.iter().map(|c| c.provider_id).collect();
        if order.is_empty() {
            // Perhaps every eligible one was held: then wait for the best of those.
            let held: Vec<&mut Candidate> =
                candidates.iter_mut().filter(|c| c.held_elsewhere).collect();
            if held.is_empty() || wait {
                break;
            }
            if may == Wait::Never {
                return Err(held_elsewhere().into());
            }
            for c in held {
                c.held_elsewhere = false;
            }
            wait = true;
            continue;
        }
        let locked = if wait {
            lock_the_best(tx, order[0]).await?.then_some(order[0])
        } else {
            lock_first_free(tx, &order).await?
        };
        // Those ranked before the one locked are held by others.
        for id in order.iter().take_while(|&&id| Some(id) != locked) {
            if let Some(c) = candidates.iter_mut().find(|c| c.provider_id == *id) {
                c.held_elsewhere = true;
            }
        }
        let Some(id) = locked else { continue };
        match overlapping(tx, id, booking.window(), booking.id).await? {
            None => {
                let explanation = explain(&candidates, Some(id));
                return Ok(Choice {
                    chosen: Some(id),
                    explanation,
                });
            }
            Some(other) => {
                if let Some(c) = candidates.iter_mut().find(|c| c.provider_id == id) {
                    c.overlapping = Some(other);
                }
            }
        }
    }
    let explanation = explain(&candidates, None);
    Ok(Choice {
        chosen: None,
        explanation,
    })
}

/// Locks the first of `order` (providers, best first) that no other transaction holds
/// (PostgreSQL), in one statement: its id, or `None` when every one is held. (One
/// statement per provider tried cost a round trip for each held one: with four workers
/// of eight jobs each, a batch's later jobs tried a score.) On SQLite the write
/// transaction already excludes every other writer: the first is free.
async fn lock_first_free(tx: &mut Tx, order: &[i64]) -> Result<Option<i64>, StoreError> {
    match tx.split() {
        db::Either::Sqlite(_) => Ok(order.first().copied()),
        db::Either::Postgres(c) => Ok(sqlx::query_scalar(
            "SELECT id FROM providers WHERE id = ANY($1) \
             ORDER BY array_position($1, id) LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(order)
        .fetch_optional(c)
        .await?),
    }
}

/// Locks provider `id`'s row (PostgreSQL), waiting for whoever holds it. Whether it is
/// locked (false only for a provider that is gone).
async fn lock_the_best(tx: &mut Tx, id: i64) -> Result<bool, StoreError> {
    let got: Option<i64> = on!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM providers WHERE id = $1 FOR UPDATE"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?;
    Ok(got.is_some())
}

#[cfg(test)]
mod tests {
    use db::Db;
    use sqlx::{AssertSqlSafe, Row};

    use super::*;

    fn candidate(provider_id: i64, load_that_day: i64, rating: f64) -> Candidate {
        Candidate {
            provider_id,
            available: true,
            working: true,
            overlapping: None,
            declined: None,
            load_that_day,
            rating,
            held_elsewhere: false,
        }
    }

    #[test]
    fn the_least_busy_that_day_comes_first_then_the_best_rated_then_the_lowest_id() {
        let all = [
            candidate(3, 1, 5.0),
            candidate(2, 0, 4.0),
            candidate(1, 0, 4.0),
            candidate(4, 0, 4.5),
        ];
        assert_eq!(
            choose(&all),
            Some(4),
            "fewest bookings, then the best rating"
        );
        assert_eq!(
            choose(&all[..3]),
            Some(1),
            "a tie on both goes to the lowest id"
        );
        assert_eq!(choose(&all[..1]), Some(3));
    }

    #[test]
    fn nobody_unavailable_off_hours_busy_or_who_let_the_booking_go_is_chosen() {
        let busy_but_willing = candidate(9, 7, 1.0);
        let mut away = candidate(1, 0, 5.0);
        away.available = false;
        let mut off = candidate(2, 0, 5.0);
        off.working = false;
        let mut booked = candidate(3, 0, 5.0);
        booked.overlapping = Some(41);
        let mut declined = candidate(4, 0, 5.0);
        declined.declined = Some(Declined::Rejected);
        let mut expired = candidate(5, 0, 5.0);
        expired.declined = Some(Declined::Expired);
        let mut all = vec![away, off, booked, declined, expired, busy_but_willing];
        assert_eq!(choose(&all), Some(9));
        all[5].available = false;
        assert_eq!(choose(&all), None);
        assert_eq!(choose(&[]), None);
    }

    #[test]
    fn an_explanation_names_the_chosen_then_the_eligible_in_rank_order_then_the_rest() {
        let mut off = candidate(1, 0, 5.0);
        off.working = false;
        let mut booked = candidate(2, 0, 5.0);
        booked.overlapping = Some(41);
        let mut expired = candidate(3, 0, 5.0);
        expired.declined = Some(Declined::Expired);
        let all = [
            off,
            booked,
            expired,
            candidate(4, 2, 5.0),
            candidate(5, 1, 4.0),
            candidate(6, 1, 4.5),
            candidate(7, 1, 4.5),
        ];
        let chosen = choose(&all);
        assert_eq!(chosen, Some(6));
        let e = explain(&all, chosen);
        let got: Vec<(i64, bool, &str)> = e
            .listed
            .iter()
            .map(|c| (c.provider_id, c.chosen, c.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (6, true, "chosen: 1 job that day, rank 4.5"),
                (
                    7,
                    false,
                    "ranked lower: same load and rank, a later provider id"
                ),
                (5, false, "ranked lower: rank 4.0 against 4.5"),
                (4, false, "ranked lower: 2 jobs that day against 1"),
                (1, false, "off hours"),
                (2, false, "overlapping booking #41"),
                (3, false, "offer expired before"),
            ]
        );
        assert_eq!(e.others_not_listed, 0);
    }

    #[test]
    fn an_explanation_keeps_twenty_and_counts_the_rest() {
        let all: Vec<Candidate> = (1..=25).map(|id| candidate(id, id, 4.0)).collect();
        let e = explain(&all, choose(&all));
        assert_eq!(e.listed.len(), MAX_LISTED);
        assert_eq!(e.others_not_listed, 5);
        assert_eq!(e.listed[0].provider_id, 1);
        assert!(e.listed[0].chosen);
        assert_eq!(e.listed[19].provider_id, 20);
        let nobody = explain(&all[..0], None);
        assert_eq!(nobody, Explanation::default());
    }

    /// The plan of the candidates' facts, one line per step, on a database just migrated:
    /// no rows and, on PostgreSQL, no statistics, as a table has until it is analysed.
    async fn plan_on_a_new_database(backend: db::Backend) -> String {
        let database = testkit::TestDatabase::create_on(backend).await;
        let db = Db::connect(&database.url).await.unwrap();
        db.migrate().await.unwrap();
        let t = ts("2026-12-05T10:00:00Z".parse::<DateTime<Utc>>().unwrap());
        // SQLite's plan is one step a row, described in the fourth column; PostgreSQL's one
        // line a row.
        let (explain, column) =
            db::dialect!(db, sqlite: ("EXPLAIN QUERY PLAN", 3), postgres: ("EXPLAIN", 0));
        let sql = format!("{explain} {FACTS}");
        let lines: Vec<String> = db::on!(db, |p| {
            let q = sqlx::query(AssertSqlSafe(sql)).bind("plumbing").bind(1_i64);
            let q = (0..5).fold(q, |q, _| q.bind(t));
            let rows = q.fetch_all(p).await.unwrap();
            rows.iter().map(|r| r.get::<String, _>(column)).collect()
        });
        db.close().await;
        lines.join("\n")
    }

    /// A provider's load on the booking's day is counted from the day's bookings, down an
    /// index by provider and start, even before the planner knows anything of the table:
    /// not from every active booking the provider holds, which grows with their backlog.
    #[tokio::test]
    async fn the_day_s_load_is_read_by_start_even_on_a_table_without_statistics() {
        let plan = plan_on_a_new_database(testkit::backend()).await;
        assert!(
            !plan.contains("bookings_active_by_provider"),
            "the facts read every active booking of each provider:\n{plan}"
        );
        assert!(
            plan.contains("bookings_active_window") || plan.contains("bookings_by_provider_start"),
            "the facts read no index by provider and start:\n{plan}"
        );
    }

    /// On SQLite a provider's windows that day are read from the index of active windows
    /// alone, never from the table: with a week of booked windows for 200 providers,
    /// reading each window's row made an assignment's facts three times as slow.
    #[tokio::test]
    async fn on_sqlite_the_facts_read_the_windows_from_the_index_alone() {
        // Whatever TEST_BACKEND says: the plan in question is SQLite's.
        let plan = plan_on_a_new_database(db::Backend::Sqlite).await;
        let windows: Vec<&str> = plan.lines().filter(|l| l.contains("SEARCH o ")).collect();
        assert_eq!(windows.len(), 2, "{plan}");
        for line in windows {
            assert!(
                line.contains("COVERING INDEX bookings_active_window"),
                "{line}\n{plan}"
            );
        }
    }
}

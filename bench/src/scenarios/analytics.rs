//! Analytics at scale: a database of 1,000,000 bookings (two years of them, by default)
//! and their 3.65 million history rows, built with batched SQL straight into the tables,
//! then the dashboard's query through the API: 90 days by day, 90 days of one service by
//! week, and a year by week (latency percentiles; target p50 <= 300 ms for 90 days),
//! each beside the plainest read of the same bookings measured in the same run (a count
//! of the 90 days' rows by their creation time).
//!
//! The data set: bookings spread evenly over the span, a quarter each of plumbing,
//! cleaning, electrical and handyman, among the demo's six providers; of every twenty, 15
//! completed (assigned, accepted, completed), 2 cancelled after assignment, 1 a provider's
//! no-show, 1 waiting on a dead assignment job, 1 cancelled before assignment. Every
//! seventh assigned one was first declined by another provider. History rows: created,
//! assigned, accepted and the end, as each booking had them. (Loaded with PostgreSQL's
//! triggers and foreign keys off, and the kept counts of bookings added after, and with
//! SQLite's foreign keys off, as a bulk load is; the event feed is not filled, as nothing
//! here reads it.)

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use serde_json::json;

use crate::report::{Report, percentile, percentile_ms};
use crate::system::login;
use crate::{Run, db, load};

const DAY_MS: i64 = 86_400_000;
const RUNS: usize = 15;

/// The numbers 0..n as rows `n(i)`, and the expression for a time given in milliseconds.
pub(crate) struct Dialect {
    pub numbers: String,
    pub from: String,
    pub postgres: bool,
}

impl Dialect {
    pub fn new(postgres: bool, n: usize) -> Dialect {
        if postgres {
            Dialect {
                numbers: String::new(),
                from: format!("FROM generate_series(CAST(0 AS BIGINT), {n} - 1) AS n(i)"),
                postgres,
            }
        } else {
            Dialect {
                numbers: format!(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n} - 1)"
                ),
                from: "FROM n".into(),
                postgres,
            }
        }
    }

    pub fn time(&self, ms: &str) -> String {
        if self.postgres {
            format!("to_timestamp(({ms}) / 1000.0)")
        } else {
            ms.to_owned()
        }
    }
}

/// The statements that build the data set: bookings with ids from `base`, created from
/// `start` (ms) every `step` ms, among providers `pbase..pbase + pn`.
fn statements(
    d: &Dialect,
    base: i64,
    start: i64,
    step: i64,
    customer: i64,
    pbase: i64,
    pn: i64,
) -> Vec<String> {
    let created = format!("({start} + i * {step})");
    let assigned = format!("({created} + 500 + (i * 7919) % 20000)");
    let accepted = format!("({assigned} + (i * 104729) % 600000)");
    let kind = "(i % 20)";
    let provider = format!("({pbase} + i % {pn})");
    let t = |ms: &str| d.time(ms);
    let (numbers, from) = (&d.numbers, &d.from);
    let history = "INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, \
        changed_by_name, changed_by_role, reason, is_override, provider_id, customer_id, timestamp)";
    vec![
        format!(
            "INSERT INTO bookings (id, customer_id, customer_name, customer_phone, customer_email, \
             service_type, address, starts_at, ends_at, time_zone, status, provider_id, \
             assignment_exhausted, absent, assigned_at, accepted_at, created_at, updated_at) \
             {overriding} {numbers} SELECT {base} + i, {customer}, 'Bench Customer', '+1 555 010 0199', \
             'bench@example.com', \
             CASE i % 4 WHEN 0 THEN 'plumbing' WHEN 1 THEN 'cleaning' WHEN 2 THEN 'electrical' \
                 ELSE 'handyman' END, \
             '1 Analytics Street', {starts}, {ends}, 'UTC', \
             CASE WHEN {kind} < 15 THEN 'completed' WHEN {kind} < 17 THEN 'cancelled' \
                 WHEN {kind} = 17 THEN 'no_show' WHEN {kind} = 18 THEN 'pending' \
                 ELSE 'cancelled' END, \
             CASE WHEN {kind} < 18 THEN {provider} END, \
             {kind} = 18, \
             CASE WHEN {kind} = 17 THEN 'provider' END, \
             CASE WHEN {kind} < 18 THEN {assigned_t} END, \
             CASE WHEN {kind} < 15 OR {kind} = 17 THEN {accepted_t} END, \
             {created_t}, {updated} {from}",
            // PostgreSQL's ids are generated always, unless a load says otherwise.
            overriding = if d.postgres {
                "OVERRIDING SYSTEM VALUE"
            } else {
                ""
            },
            starts = t(&format!("{created} + 2 * {DAY_MS}")),
            ends = t(&format!("{created} + 2 * {DAY_MS} + 7200000")),
            assigned_t = t(&assigned),
            accepted_t = t(&accepted),
            created_t = t(&created),
            updated = t(&format!("{created} + 3 * {DAY_MS}")),
        ),
        format!(
            "{history} {numbers} SELECT {base} + i, NULL, 'pending', {customer}, 'Bench Customer', \
             'customer', NULL, FALSE, NULL, {customer}, {} {from}",
            t(&created)
        ),
        format!(
            "{history} {numbers} SELECT {base} + i, 'pending', 'assigned', NULL, 'system', 'system', \
             NULL, FALSE, {provider}, {customer}, {} {from} WHERE {kind} < 18",
            t(&assigned)
        ),
        format!(
            "{history} {numbers} SELECT {base} + i, 'assigned', 'accepted', NULL, 'Bench Provider', \
             'provider', NULL, FALSE, {provider}, {customer}, {} {from} \
             WHERE {kind} < 15 OR {kind} = 17",
            t(&accepted)
        ),
        format!(
            "{history} {numbers} SELECT {base} + i, \
             CASE WHEN {kind} < 15 OR {kind} = 17 THEN 'accepted' WHEN {kind} < 17 THEN 'assigned' \
                 ELSE 'pending' END, \
             CASE WHEN {kind} < 15 THEN 'completed' WHEN {kind} = 17 THEN 'no_show' \
                 ELSE 'cancelled' END, \
             NULL, 'Bench', CASE WHEN {kind} < 15 THEN 'provider' WHEN {kind} = 17 THEN 'admin' \
                 ELSE 'customer' END, \
             NULL, FALSE, CASE WHEN {kind} < 18 THEN {provider} END, {customer}, {} {from} \
             WHERE {kind} <> 18",
            t(&format!(
                "CASE WHEN {kind} < 18 THEN {accepted} + {DAY_MS} ELSE {created} + 1800000 END"
            ))
        ),
        format!(
            "INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, \
             created_at, updated_at) {numbers} SELECT {base} + i, 1, 1, {provider}, \
             CASE WHEN {kind} = 17 THEN 'no_show' ELSE 'assigned' END, {a}, {a} {from} \
             WHERE {kind} < 18",
            a = t(&assigned)
        ),
        format!(
            "INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, \
             created_at, updated_at) {numbers} SELECT {base} + i, 1, 2, \
             {pbase} + (i + 1) % {pn}, 'rejected', {a}, {a} {from} \
             WHERE {kind} < 18 AND i % 7 = 0",
            a = t(&format!("{assigned} - 1000"))
        ),
        format!(
            "INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, \
             created_at, updated_at) {numbers} SELECT {base} + i, 1, 1, NULL, 'no_provider', \
             {a}, {a} {from} WHERE {kind} = 18",
            a = t(&format!("{created} + 2000"))
        ),
    ]
}

/// Builds the data set on the system's database; returns how long it took.
pub(crate) async fn build(url: &str, n: usize, days: i64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let now = Utc::now().timestamp_millis();
    let start = now - days * DAY_MS - 3_600_000;
    let step = (days * DAY_MS / n as i64).max(1);
    let pool = db::open_system(url).await?;
    let (base, customer, pbase, pn) = shape(&pool).await?;
    match &pool {
        db::Db::Sqlite(_) => {
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()?
                .foreign_keys(false)
                .busy_timeout(Duration::from_secs(30));
            let mut c = sqlx::ConnectOptions::connect(&options).await?;
            let d = Dialect::new(false, n);
            sqlx::query("BEGIN IMMEDIATE").execute(&mut c).await?;
            for sql in statements(&d, base, start, step, customer, pbase, pn) {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await?;
            }
            sqlx::query("COMMIT").execute(&mut c).await?;
            // A load in one transaction leaves the search index (FTS5) in large segments
            // that its incremental merges go on rewriting a piece at a time, in each later
            // booking's write; merged into one, as migration 0018 merges an index rebuilt
            // in bulk, later bookings add small segments as they would to an index grown
            // one booking at a time.
            sqlx::query("INSERT INTO bookings_search (bookings_search) VALUES ('optimize')")
                .execute(&mut c)
                .await?;
            // The load's gigabyte of log copied into the database file and the log emptied,
            // as it long since would have been in a database grown over time; otherwise the
            // processes' checkpoints copy it while the scenario measures.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut c)
                .await?;
        }
        db::Db::Postgres(p) => {
            let mut c = p.acquire().await?;
            let d = Dialect::new(true, n);
            sqlx::query("SET session_replication_role = replica")
                .execute(&mut *c)
                .await?;
            for sql in statements(&d, base, start, step, customer, pbase, pn) {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::query("SET session_replication_role = DEFAULT")
                .execute(&mut *c)
                .await?;
            // The kept counts, which the load's triggers (off) did not update.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO booking_counts (status, service_type, n) \
                 SELECT status, service_type, COUNT(*) FROM bookings WHERE id >= {base} \
                 GROUP BY status, service_type"
            )))
            .execute(&mut *c)
            .await?;
            sqlx::query("SELECT setval(pg_get_serial_sequence('bookings', 'id'), (SELECT MAX(id) FROM bookings))")
                .execute(&mut *c)
                .await?;
            // What autovacuum does soon after such a load (statistics for the planner, and
            // the visibility map that lets a read answer from an index alone).
            sqlx::query("VACUUM ANALYZE").execute(&mut *c).await?;
        }
    }
    Ok(started.elapsed())
}

/// The first free booking id, the demo customer, and the providers' ids (contiguous).
async fn shape(pool: &db::Db) -> anyhow::Result<(i64, i64, i64, i64)> {
    const SQL: &str = "SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM bookings), \
         (SELECT id FROM users WHERE email = 'customer@example.com'), \
         (SELECT MIN(id) FROM providers), (SELECT MAX(id) FROM providers), \
         (SELECT COUNT(*) FROM providers)";
    let (base, customer, min, max, count): (i64, i64, i64, i64, i64) = match pool {
        db::Db::Sqlite(p) => sqlx::query_as(SQL).fetch_one(p).await?,
        db::Db::Postgres(p) => sqlx::query_as(SQL).fetch_one(p).await?,
    };
    anyhow::ensure!(
        max - min + 1 == count,
        "the providers' ids are not contiguous"
    );
    Ok((base, customer, min, count))
}

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let n = run.args.analytics_bookings;
    let days = run.args.analytics_days;
    println!(
        "analytics: {n} bookings over {days} days, built in SQL; the dashboard's query through the API"
    );
    let (sys, _) = run.system(&[]).await?;
    let took = build(&sys.url, n, days).await?;
    r.row(
        "analytics: data set built",
        format!("{:.0} s", took.as_secs_f64()),
        format!("{n} bookings"),
    );
    let pool = db::open_system(&sys.url).await?;
    let history: i64 = match &pool {
        db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM booking_history")
                .fetch_one(p)
                .await?
        }
        db::Db::Postgres(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM booking_history")
                .fetch_one(p)
                .await?
        }
    };
    r.row(
        "analytics: history rows",
        format!("{history}"),
        String::new(),
    );
    let admin = login(&sys, "admin@example.com").await?;
    let today = Utc::now().date_naive();
    let from90 = today - chrono::Duration::days(89);
    let from365 = today - chrono::Duration::days(364);

    // The baseline: the plainest read of the 90 days' bookings, straight from the database.
    let lo = from90.and_hms_opt(0, 0, 0).context("midnight")?.and_utc();
    let mut plain = Vec::with_capacity(RUNS);
    for _ in 0..RUNS + 2 {
        let t = Instant::now();
        let _: i64 = match &pool {
            db::Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE created_at >= $1")
                    .bind(lo.timestamp_millis())
                    .fetch_one(p)
                    .await?
            }
            db::Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE created_at >= $1")
                    .bind(lo)
                    .fetch_one(p)
                    .await?
            }
        };
        plain.push(t.elapsed().as_millis() as i64);
    }
    let mut plain = plain.split_off(2);
    plain.sort_unstable();
    let plain_p50 = percentile(&plain, 0.5).max(1);
    r.row(
        "analytics: count of 90 days' bookings p50",
        format!("{plain_p50} ms"),
        "baseline (straight SQL)".into(),
    );

    let mut figures = serde_json::Map::new();
    for (name, query, target) in [
        (
            "90 days by day",
            format!("from={from90}&to={today}"),
            Some(300),
        ),
        (
            "90 days, plumbing, by week",
            format!("from={from90}&to={today}&bucket=week&service_type=plumbing"),
            None,
        ),
        (
            "365 days by week",
            format!("from={from365}&to={today}&bucket=week"),
            None,
        ),
    ] {
        let path = format!("/api/v1/admin/analytics?{query}");
        let (took, body) = load::gets(&sys, &admin, &path, RUNS).await?;
        let (p50, p90) = (
            percentile_ms(&took, 0.5).round() as i64,
            percentile_ms(&took, 0.9).round() as i64,
        );
        let note = match target {
            Some(t) => format!(
                "{:.1}x the count; target p50 <= {t} ms ({} bookings)",
                p50 as f64 / plain_p50 as f64,
                body["rates"]["created"]
            ),
            None => format!("{} bookings", body["rates"]["created"]),
        };
        r.row(
            &format!("analytics: {name} p50 / p90"),
            format!("{p50} / {p90} ms"),
            note,
        );
        figures.insert(
            name.into(),
            json!({"p50_ms": p50, "p90_ms": p90, "created": body["rates"]["created"]}),
        );
    }
    r.json.insert(
        "analytics".into(),
        json!({"bookings": n, "days": days, "history_rows": history, "build_s": took.as_secs_f64(),
               "count_90_days_p50_ms": plain_p50, "queries": figures}),
    );
    r.memory(&sys);
    Ok(())
}

//! The queue as operators see it: jobs listed, filtered, counted and read with every
//! run; queues paused and resumed; the retention of finished jobs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use db::{Ts, Tx, dialect, exec, on, ts};

use crate::Queue;
use crate::job::{Job, JobRow, JobState, jobs};

/// Which jobs to list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub queue: Option<String>,
    pub kind: Option<String>,
    pub subject_id: Option<i64>,
    /// Text the job's errors contain (any attempt's; case-insensitive for ASCII).
    pub error_text: Option<String>,
    /// Created at or after this.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this.
    pub created_to: Option<DateTime<Utc>>,
    pub order: JobOrder,
    /// Where the previous page ended ([`JobOrder::Newest`]: only its id is used, and
    /// the page goes on below it).
    pub after: Option<JobCursor>,
    pub limit: u32,
}

/// The order a list comes in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum JobOrder {
    /// Newest first (by id).
    #[default]
    Newest,
    /// By run time, the next due first (ties by id).
    RunAt,
}

/// Where a page ended: its last job's run time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCursor {
    pub run_at: DateTime<Utc>,
    pub id: i64,
}

impl JobCursor {
    pub fn of(job: &Job) -> JobCursor {
        JobCursor {
            run_at: job.run_at,
            id: job.id,
        }
    }
}

/// The filter's conditions, `$1`..`$7`: state, queue, kind, subject, error text (a LIKE
/// pattern, lower case), created from, created to.
macro_rules! matches_filter {
    () => {
        "($1 IS NULL OR state = $1) AND ($2 IS NULL OR queue = $2) AND ($3 IS NULL OR kind = $3) \
         AND ($4 IS NULL OR subject_id = $4) \
         AND ($5 IS NULL OR LOWER(last_error) LIKE $5 ESCAPE '\\' OR LOWER(CAST(errors AS TEXT)) LIKE $5 ESCAPE '\\') \
         AND ($6 IS NULL OR created_at >= $6) AND ($7 IS NULL OR created_at < $7)"
    };
}

/// Binds a filter's `$1`..`$7` to a query.
macro_rules! bind_filter {
    ($query:expr, $f:expr) => {
        $query
            .bind($f.state.map(JobState::as_str))
            .bind($f.queue.as_deref())
            .bind($f.kind.as_deref())
            .bind($f.subject_id)
            .bind($f.error_text.as_deref().map(db::like_pattern))
            .bind($f.created_from.map(ts))
            .bind($f.created_to.map(ts))
    };
}

/// One run of a job: an attempt as a worker ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    pub round: i64,
    pub attempt: i64,
    pub worker: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `done`, `failed` or `lost` (its lease expired first).
    pub outcome: String,
    pub error: Option<String>,
}

#[derive(FromRow)]
struct RunRow {
    round: i64,
    attempt: i64,
    worker: String,
    started_at: Ts,
    finished_at: Ts,
    outcome: String,
    error: Option<String>,
}

/// A queue as operators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInfo {
    pub name: String,
    /// Since when and by whom, if paused.
    pub paused: Option<(DateTime<Utc>, String)>,
    /// Jobs in each state, every state present.
    pub depth: BTreeMap<JobState, i64>,
    /// How long the oldest job that is due now has waited past its run time.
    pub oldest_due_ms: Option<i64>,
    /// Runs that ended in each of the last 60 minutes, oldest first (the current minute
    /// last).
    pub last_hour: Vec<MinuteRuns>,
}

/// A queue's gauges (see [`Queue::gauges`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGauges {
    pub name: String,
    /// Since when and by whom, if paused.
    pub paused: Option<(DateTime<Utc>, String)>,
    /// How long the oldest job that is due now has waited past its run time.
    pub oldest_due_ms: Option<i64>,
}

/// The gauges of the queue `name`, added empty when it is not there yet.
fn gauges_of<'a>(queues: &'a mut BTreeMap<String, QueueGauges>, name: &str) -> &'a mut QueueGauges {
    queues
        .entry(name.to_owned())
        .or_insert_with(|| QueueGauges {
            name: name.to_owned(),
            paused: None,
            oldest_due_ms: None,
        })
}

/// The runs of a queue that ended in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteRuns {
    pub minute: DateTime<Utc>,
    pub done: i64,
    /// Failed, or lost (their lease expired).
    pub failed: i64,
}

impl Queue {
    /// Jobs matching `filter`, in its order.
    pub async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>, db::Error> {
        let limit = i64::from(filter.limit.clamp(1, 1000));
        let rows: Vec<JobRow> = match filter.order {
            JobOrder::Newest => {
                let before = filter.after.map(|a| a.id);
                on!(self.db, |p| {
                    bind_filter!(
                        sqlx::query_as(concat!(
                            "SELECT ",
                            crate::job_columns!(),
                            " FROM jobs WHERE ",
                            matches_filter!(),
                            " AND ($8 IS NULL OR id < $8) ORDER BY id DESC LIMIT $9"
                        )),
                        filter
                    )
                    .bind(before)
                    .bind(limit)
                    .fetch_all(p)
                    .await
                })?
            }
            JobOrder::RunAt => on!(self.db, |p| {
                bind_filter!(
                    sqlx::query_as(concat!(
                        "SELECT ",
                        crate::job_columns!(),
                        " FROM jobs WHERE ",
                        matches_filter!(),
                        " AND ($8 IS NULL OR run_at > $8 OR (run_at = $8 AND id > $9)) ",
                        "ORDER BY run_at, id LIMIT $10"
                    )),
                    filter
                )
                .bind(filter.after.map(|a| ts(a.run_at)))
                .bind(filter.after.map(|a| a.id))
                .bind(limit)
                .fetch_all(p)
                .await
            })?,
        };
        Ok(jobs(rows)?)
    }

    /// How many jobs match `filter` (its paging ignored).
    pub async fn count_matching(&self, filter: &JobFilter) -> Result<i64, db::Error> {
        Ok(on!(self.db, |p| {
            bind_filter!(
                sqlx::query_scalar(concat!(
                    "SELECT COUNT(*) FROM jobs WHERE ",
                    matches_filter!()
                )),
                filter
            )
            .fetch_one(p)
            .await
        })?)
    }

    /// The ids of up to `limit` jobs matching `filter` (its paging ignored) with an id
    /// above `after`, in id order: how a bulk action walks everything a filter matches,
    /// one chunk at a time.
    pub async fn matching_ids(
        &self,
        filter: &JobFilter,
        after: i64,
        limit: u32,
    ) -> Result<Vec<i64>, db::Error> {
        Ok(on!(self.db, |p| {
            bind_filter!(
                sqlx::query_scalar(concat!(
                    "SELECT id FROM jobs WHERE ",
                    matches_filter!(),
                    " AND id > $8 ORDER BY id LIMIT $9"
                )),
                filter
            )
            .bind(after)
            .bind(i64::from(limit.max(1)))
            .fetch_all(p)
            .await
        })?)
    }

    /// One job.
    pub async fn get(&self, id: i64) -> Result<Option<Job>, db::Error> {
        let row: Option<JobRow> = on!(self.db, |p| {
            sqlx::query_as(concat!(
                "SELECT ",
                crate::job_columns!(),
                " FROM jobs WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(p)
            .await
        })?;
        Ok(row.map(Job::try_from).transpose()?)
    }

    /// Every finished run of a job, oldest first (a running one is on the job itself:
    /// its lease owner and `claimed_at`).
    pub async fn runs(&self, job_id: i64) -> Result<Vec<JobRun>, db::Error> {
        let rows: Vec<RunRow> = on!(self.db, |p| {
            sqlx::query_as(
                "SELECT round, attempt, worker, started_at, finished_at, outcome, error \
                 FROM job_runs WHERE job_id = $1 ORDER BY id",
            )
            .bind(job_id)
            .fetch_all(p)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| JobRun {
                round: r.round,
                attempt: r.attempt,
                worker: r.worker,
                started_at: r.started_at.into(),
                finished_at: r.finished_at.into(),
                outcome: r.outcome,
                error: r.error,
            })
            .collect())
    }

    /// How many jobs are in each state (every state present, zeros included).
    pub async fn count_by_state(&self) -> Result<BTreeMap<JobState, i64>, db::Error> {
        let counted: Vec<(String, i64)> = on!(self.db, |p| {
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                .fetch_all(p)
                .await
        })?;
        let mut counts = zeros();
        for (state, n) in counted {
            counts.insert(parse_state(&state)?, n);
        }
        Ok(counts)
    }

    /// What a scrape of the metrics shows of each queue: whether it is paused and how long
    /// its oldest due job has waited; for the queues named in `known` and any other that
    /// has a due job or a pause, by name. Two reads of indexes, whatever the jobs' number.
    pub async fn gauges(&self, known: &[&str]) -> Result<Vec<QueueGauges>, db::Error> {
        let now = ts(self.db.now());
        let oldest: Vec<(String, Option<Ts>)> = on!(self.db, |p| {
            sqlx::query_as(
                "SELECT queue, MIN(run_at) FROM jobs WHERE state IN ('scheduled', 'retrying') \
                 AND run_at <= $1 GROUP BY queue",
            )
            .bind(now)
            .fetch_all(p)
            .await
        })?;
        let paused: Vec<(String, Ts, String)> = on!(self.db, |p| {
            sqlx::query_as("SELECT queue, paused_at, paused_by FROM queue_pauses")
                .fetch_all(p)
                .await
        })?;
        let mut queues: BTreeMap<String, QueueGauges> = BTreeMap::new();
        for name in known {
            gauges_of(&mut queues, name);
        }
        for (queue, run_at) in oldest {
            gauges_of(&mut queues, &queue).oldest_due_ms =
                run_at.map(|r| (now.millis() - r.millis()).max(0));
        }
        for (queue, at, by) in paused {
            gauges_of(&mut queues, &queue).paused = Some((at.into(), by));
        }
        Ok(queues.into_values().collect())
    }

    /// The queues named in `known` (the application's) and any other that has jobs or a
    /// pause, by name: their [`gauges`](Self::gauges), depth by state and last hour's runs.
    pub async fn queues(&self, known: &[&str]) -> Result<Vec<QueueInfo>, db::Error> {
        let now = ts(self.db.now());
        let gauges = self.gauges(known).await?;
        let counted: Vec<(String, String, i64)> = on!(self.db, |p| {
            sqlx::query_as("SELECT queue, state, COUNT(*) FROM jobs GROUP BY queue, state")
                .fetch_all(p)
                .await
        })?;
        let hour_ago = now.millis() - 59 * 60_000 - now.millis().rem_euclid(60_000);
        let sql =
            dialect!(self.db, sqlite: RUNS_BY_MINUTE_SQLITE, postgres: RUNS_BY_MINUTE_POSTGRES);
        let runs: Vec<(String, i64, String, i64)> = on!(self.db, |p| {
            sqlx::query_as(sql)
                .bind(ts(db::from_ms(hour_ago)))
                .fetch_all(p)
                .await
        })?;
        let mut queues: BTreeMap<String, QueueInfo> = BTreeMap::new();
        fn entry<'a>(
            queues: &'a mut BTreeMap<String, QueueInfo>,
            name: &str,
            hour_ago: i64,
        ) -> &'a mut QueueInfo {
            queues.entry(name.to_owned()).or_insert_with(|| QueueInfo {
                name: name.to_owned(),
                paused: None,
                depth: zeros(),
                oldest_due_ms: None,
                last_hour: (0..60)
                    .map(|k| MinuteRuns {
                        minute: db::from_ms(hour_ago + k * 60_000),
                        done: 0,
                        failed: 0,
                    })
                    .collect(),
            })
        }
        for g in gauges {
            let info = entry(&mut queues, &g.name, hour_ago);
            info.paused = g.paused;
            info.oldest_due_ms = g.oldest_due_ms;
        }
        for (queue, state, n) in counted {
            entry(&mut queues, &queue, hour_ago)
                .depth
                .insert(parse_state(&state)?, n);
        }
        for (queue, minute, outcome, n) in runs {
            let k = usize::try_from((minute * 60_000 - hour_ago) / 60_000).unwrap_or(usize::MAX);
            if let Some(m) = entry(&mut queues, &queue, hour_ago).last_hour.get_mut(k) {
                if outcome == "done" {
                    m.done += n;
                } else {
                    m.failed += n;
                }
            }
        }
        Ok(queues.into_values().collect())
    }

    /// Deletes done and cancelled jobs that finished before `before`, with their runs;
    /// returns how many jobs. Dead jobs are kept, however old: they are what an operator
    /// has to look at, until someone retries them.
    pub async fn purge_finished(&self, before: DateTime<Utc>) -> Result<u64, db::Error> {
        let mut tx = self.db.write().await?;
        exec!(tx, |c| {
            sqlx::query(
                "DELETE FROM job_runs WHERE job_id IN (SELECT id FROM jobs \
                 WHERE state IN ('done', 'cancelled') AND finished_at < $1)",
            )
            .bind(ts(before))
            .execute(c)
            .await
        })?;
        let purged = exec!(tx, |c| {
            sqlx::query(
                "DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND finished_at < $1",
            )
            .bind(ts(before))
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(purged)
    }
}

/// Runs ended since `$1`, by queue, minute (since the epoch) and outcome.
const RUNS_BY_MINUTE_SQLITE: &str = "SELECT j.queue, r.finished_at / 60000 AS minute, r.outcome, \
     COUNT(*) FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.finished_at >= $1 \
     GROUP BY j.queue, minute, r.outcome";
const RUNS_BY_MINUTE_POSTGRES: &str = "SELECT j.queue, \
     floor(extract(epoch FROM r.finished_at) / 60)::bigint AS minute, r.outcome, COUNT(*) \
     FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.finished_at >= $1 \
     GROUP BY j.queue, minute, r.outcome";

/// Pauses `queue` (`by`: who, in words): no worker claims from it until it is resumed;
/// jobs keep their run times. False when it was paused already.
pub async fn pause(tx: &mut Tx, queue: &str, by: &str) -> Result<bool, db::Error> {
    let now = ts(tx.now());
    let rows = exec!(tx, |c| {
        sqlx::query(
            "INSERT INTO queue_pauses (queue, paused_at, paused_by) VALUES ($1, $2, $3) \
             ON CONFLICT (queue) DO NOTHING",
        )
        .bind(queue)
        .bind(now)
        .bind(by)
        .execute(c)
        .await
    })?;
    Ok(rows == 1)
}

/// Resumes `queue`: its workers claim again at once, woken at commit (PostgreSQL's
/// notification, a SQLite file's wake-up), or at their next poll. False when it was not
/// paused.
pub async fn resume(tx: &mut Tx, queue: &str) -> Result<bool, db::Error> {
    let rows = exec!(tx, |c| {
        sqlx::query("DELETE FROM queue_pauses WHERE queue = $1")
            .bind(queue)
            .execute(c)
            .await
    })?;
    if rows == 0 {
        return Ok(false);
    }
    tx.wake(queue);
    Ok(true)
}

fn zeros() -> BTreeMap<JobState, i64> {
    JobState::ALL.iter().map(|s| (*s, 0)).collect()
}

fn parse_state(state: &str) -> Result<JobState, sqlx::Error> {
    JobState::parse(state).ok_or_else(|| crate::job::decode_error("job state", state))
}

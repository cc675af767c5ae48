//! Many open event streams: bookings created one after another with no stream open, then
//! with `--streams` open, the p50 and p99 of the creates beside each other; then whether
//! every stream that may see the new bookings got all of them (and none that may not), and
//! how long after the last create the last one arrived. Two rounds: pages left open by
//! many users, of whom 1% may see the new bookings (the rest a provider's, who may not);
//! then the worst case, every stream one that sees every create. The API reads each change
//! once and fans it out; before that, every stream read the feed itself on every change.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::report::{Report, percentile_ms, wait_until};
use crate::system::{System, login};
use crate::{Run, cpu, load};

/// Creates timed with and without the streams.
const CREATES: usize = 200;

/// `CREATES` bookings one after another; each one's time (µs), sorted.
async fn creates(sys: &System, token: &str) -> anyhow::Result<Vec<i64>> {
    let url = sys.at("/api/v1/bookings");
    let mut took = Vec::with_capacity(CREATES);
    for _ in 0..CREATES {
        let t = Instant::now();
        load::create(&sys.client, &url, token, &load::body("cleaning")).await?;
        took.push(t.elapsed().as_micros() as i64);
    }
    took.sort_unstable();
    Ok(took)
}

/// The streams' side of a round: a runtime of their own, with its own HTTP client. The
/// streams stand for pages open in browsers elsewhere; reading them on the runtime that
/// times the creates would queue each create's response behind thousands of reads in the
/// bench itself, which no browser does to another client.
struct Readers {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Readers {
    fn new() -> anyhow::Result<Readers> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bench-streams")
            .enable_all()
            .build()?;
        // Its connections' tasks are spawned where its requests are sent: on the runtime.
        Ok(Readers {
            runtime,
            client: reqwest::Client::new(),
        })
    }

    /// One open stream: counts its `ready` and `booking` events until the API closes it or
    /// the task is aborted.
    fn open(
        &self,
        sys: &System,
        token: &str,
        ready: Arc<AtomicUsize>,
        bookings: Arc<AtomicUsize>,
    ) -> tokio::task::JoinHandle<()> {
        let request = self.client.get(sys.at("/api/v1/events")).bearer_auth(token);
        self.runtime.spawn(async move {
            let Ok(mut res) = request.send().await else {
                return;
            };
            if !res.status().is_success() {
                return;
            }
            // Frames are counted where they lie in the bytes read, without copying each
            // out: the bench's own reading shares the machine with what it measures.
            let mut buf: Vec<u8> = Vec::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                buf.extend_from_slice(&chunk);
                let mut start = 0;
                while let Some(end) = buf[start..].windows(2).position(|w| w == b"\n\n") {
                    let mut lines = buf[start..start + end].split(|b| *b == b'\n');
                    match lines.find(|line| line.starts_with(b"event: ")) {
                        Some(b"event: ready") => ready.fetch_add(1, Ordering::Relaxed),
                        Some(b"event: booking") => bookings.fetch_add(1, Ordering::Relaxed),
                        _ => 0,
                    };
                    start += end + 2;
                }
                buf.drain(..start);
            }
        })
    }

    /// Ends the streams' runtime (its tasks are dropped, closing their connections).
    fn close(self) {
        self.runtime.shutdown_background();
    }
}

/// The API's count of reads of the feed by `reader`: `hub` (the process's one reader,
/// whose rows are handed to the streams) or `stream` (a stream that fell behind the hub
/// reading the feed itself).
async fn feed_reads(sys: &System, admin: &str, reader: &str) -> anyhow::Result<u64> {
    let text = sys
        .client
        .get(sys.at("/metrics"))
        .bearer_auth(admin)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let series = format!("event_feed_reads_total{{reader=\"{reader}\"}} ");
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse::<f64>().ok())
        .unwrap_or(0.0) as u64)
}

/// What one round of creates with streams open measured.
struct Round {
    /// Each create's time (µs), sorted.
    took: Vec<i64>,
    /// Booking events the streams that may see the creates were due, and got.
    expected: usize,
    got: usize,
    /// Booking events the streams that may not see them got (must be none).
    leaked: usize,
    /// From the last create until every event had arrived (or the wait gave up).
    last_delivery: Duration,
    /// Reads of the feed meanwhile: the hub's, and those of streams that fell behind it.
    hub_reads: u64,
    stream_reads: u64,
    /// The API's CPU time (user and system, seconds) from the first create until every
    /// event had arrived: the creates, and the delivery to every stream.
    api_cpu: f64,
}

/// Opens `n` streams, `seeing` of them as callers who may see the customer's new bookings
/// (the admin and the customer, in turn) and the rest as a provider who may not (nobody
/// is assigned); times the creates; closes the streams.
async fn round(sys: &System, tokens: [&str; 3], n: usize, seeing: usize) -> anyhow::Result<Round> {
    let [customer, admin, provider] = tokens;
    let ready = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let leaked = Arc::new(AtomicUsize::new(0));
    let readers = Readers::new()?;
    let mut streams = Vec::with_capacity(n);
    for i in 0..n {
        let (who, count) = match i {
            i if i >= seeing => (provider, &leaked),
            i if i % 2 == 0 => (admin, &seen),
            _ => (customer, &seen),
        };
        streams.push(readers.open(sys, who, ready.clone(), count.clone()));
    }
    wait_until("opening streams", n as i64, || async {
        Ok(ready.load(Ordering::Relaxed) as i64)
    })
    .await?;
    let reads_before = (
        feed_reads(sys, admin, "hub").await?,
        feed_reads(sys, admin, "stream").await?,
    );
    let api_before = cpu::seconds(sys.api.id()).unwrap_or(0.0);
    let took = creates(sys, customer).await?;
    let last_create = Instant::now();
    let expected = seeing * CREATES;
    // Every event arrives, or the wait gives up (the report says how many did).
    let _ = wait_until("delivering", expected as i64, || async {
        Ok(seen.load(Ordering::Relaxed) as i64)
    })
    .await;
    let last_delivery = last_create.elapsed();
    let api_cpu = cpu::seconds(sys.api.id()).unwrap_or(0.0) - api_before;
    let hub_reads = feed_reads(sys, admin, "hub").await? - reads_before.0;
    let stream_reads = feed_reads(sys, admin, "stream").await? - reads_before.1;
    for stream in streams {
        stream.abort();
    }
    readers.close();
    Ok(Round {
        took,
        expected,
        got: seen.load(Ordering::Relaxed),
        leaked: leaked.load(Ordering::Relaxed),
        last_delivery,
        hub_reads,
        stream_reads,
        api_cpu,
    })
}

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let n = run.args.streams;
    println!("streams: booking creation with none and with {n} event streams open");
    // No workers: the creates alone (each writes one history row every stream is offered).
    let (mut sys, token) = run.system(&[]).await?;
    let admin = login(&sys, "admin@example.com").await?;
    let provider = login(&sys, "chen@example.com").await?;
    let tokens = [token.as_str(), admin.as_str(), provider.as_str()];
    let api_before = cpu::seconds(sys.api.id()).unwrap_or(0.0);
    let none = creates(&sys, &token).await?;
    let none_cpu = cpu::seconds(sys.api.id()).unwrap_or(0.0) - api_before;
    let none_p50 = percentile_ms(&none, 0.5);
    r.row(
        "streams: create p50/p99, none open",
        format!("{none_p50:.1}/{:.1} ms", percentile_ms(&none, 0.99)),
        format!("baseline; the API's CPU {:.0} ms in all", none_cpu * 1000.0),
    );
    let mut figures = serde_json::Map::new();
    // Pages left open by many users, of whom a few may see each new booking (its customer
    // and the operators); then the worst case, every stream sent every create.
    for (label, seeing) in [
        ("1% may see them", (n / 100).max(2)),
        ("all may see them", n),
    ] {
        let round = round(&sys, tokens, n, seeing).await?;
        let p50 = percentile_ms(&round.took, 0.5);
        let ratio = p50 / none_p50.max(0.001);
        r.row(
            &format!("streams: create p50/p99, {n} open, {label}"),
            format!("{p50:.1}/{:.1} ms", percentile_ms(&round.took, 0.99)),
            format!(
                "{ratio:.2}x none (target <= 2x{})",
                if ratio > 2.0 { ", MISSED" } else { "" }
            ),
        );
        r.row(
            &format!("streams: events delivered, {label}"),
            format!("{} of {}", round.got, round.expected),
            format!(
                "the last {:.0} ms after the last create; {} to streams that may not see them; \
                 feed read {} times by the hub, {} by streams behind it; the API's CPU {:.0} ms \
                 in all",
                round.last_delivery.as_secs_f64() * 1000.0,
                round.leaked,
                round.hub_reads,
                round.stream_reads,
                round.api_cpu * 1000.0
            ),
        );
        if round.got != round.expected || round.leaked != 0 {
            r.failures.push(format!(
                "streams, {label}: {} of {} events delivered, {} to streams that may not see them",
                round.got, round.expected, round.leaked
            ));
        }
        figures.insert(
            label.into(),
            json!({"seeing": seeing, "create_ms": [p50, percentile_ms(&round.took, 0.99)],
                   "ratio_p50": ratio, "delivered": round.got, "expected": round.expected,
                   "last_delivery_ms": round.last_delivery.as_secs_f64() * 1000.0,
                   "hub_reads": round.hub_reads, "stream_reads": round.stream_reads,
                   "api_cpu_ms": round.api_cpu * 1000.0}),
        );
        r.memory(&sys);
    }
    r.json.insert(
        "streams".into(),
        json!({"open": n, "creates": CREATES,
               "create_ms_none": [none_p50, percentile_ms(&none, 0.99)],
               "api_cpu_ms_none": none_cpu * 1000.0, "rounds": figures}),
    );
    if !sys.all_alive() {
        r.failures.push("streams: a process exited".into());
    }
    Ok(())
}

//! A worker host cut off from PostgreSQL while it holds leases. The worker reaches the
//! server through a fault-injecting TCP proxy of the test's own (this kernel has no
//! `tc netem`): first every chunk is delayed 200 ms, then the link stalls mid-query while
//! the worker holds leases; another worker connects directly. The stalled worker's leases
//! expire and the other worker finishes its jobs; when the link comes back, the stalled
//! statements go through late and their writes are refused by the lease fence. Then every
//! connection is cut and new ones refused; when the link returns, the cut-off worker
//! recovers by itself, without a restart, and does new work alone. No booking is lost
//! or assigned twice.
//! `scripts/test` runs this binary in its PostgreSQL half only.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use db::Backend;
use testkit::TestDatabase;

/// What the proxied link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Bytes go through as they come.
    Open,
    /// Every chunk waits 200 ms, each way.
    Slow,
    /// Nothing goes through; connections stay open.
    Stalled,
    /// Every connection is closed, and new ones are closed as soon as they come.
    Cut,
}

/// A TCP proxy to `upstream` whose link the test sets.
struct FaultyLink {
    addr: SocketAddr,
    mode: watch::Sender<Link>,
}

impl FaultyLink {
    async fn start(upstream: SocketAddr) -> FaultyLink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, _) = watch::channel(Link::Open);
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let link = modes.subscribe();
                if *link.borrow() == Link::Cut {
                    drop(client);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_in, client_out) = client.into_split();
                    let (server_in, server_out) = server.into_split();
                    // When either direction ends, both sockets close.
                    tokio::select! {
                        _ = pump(client_in, server_out, link.clone()) => {}
                        _ = pump(server_in, client_out, link) => {}
                    }
                });
            }
        });
        FaultyLink { addr, mode }
    }

    fn set(&self, link: Link) {
        self.mode.send_replace(link);
    }
}

/// Copies `from` to `to` as the link allows, until either side closes or the link is cut.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut link: watch::Receiver<Link>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            _ = link.wait_for(|l| *l == Link::Cut) => return,
        };
        loop {
            let now = *link.borrow_and_update();
            match now {
                Link::Open => break,
                Link::Slow => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
                Link::Stalled => {
                    if link.changed().await.is_err() {
                        return;
                    }
                }
                Link::Cut => return,
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// The process id of the worker that assigned booking `id` (its name is host-pid-suffix).
async fn assigned_by(sys: &testkit::System, admin: &str, id: i64) -> u32 {
    let history: Value = sys
        .get(&format!("/api/v1/bookings/{id}/history"), admin)
        .await;
    let name = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["new_status"] == "assigned")
        .and_then(|h| h["changed_by_name"].as_str())
        .unwrap_or_default()
        .to_owned();
    let mut parts = name.rsplit('-');
    parts.next();
    parts
        .next()
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("booking {id} assigned by {name}"))
}

async fn book_many(sys: &testkit::System, customer: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(sys.book(customer, "cleaning").await);
    }
    ids
}

#[tokio::test]
async fn a_worker_cut_off_from_postgres_loses_its_leases_to_another_and_recovers_by_itself() {
    assert_eq!(
        testkit::backend(),
        Backend::Postgres,
        "this binary is PostgreSQL's: run it with TEST_BACKEND=postgres"
    );
    let database = TestDatabase::create_on(Backend::Postgres).await;
    let url = database.url.clone();
    let server: SocketAddr = {
        let u = reqwest::Url::parse(&url).unwrap();
        format!("{}:{}", u.host_str().unwrap(), u.port().unwrap_or(5432))
            .parse()
            .unwrap()
    };
    let link = FaultyLink::start(server).await;
    let through_link = {
        let mut u = reqwest::Url::parse(&url).unwrap();
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(link.addr.port())).unwrap();
        u.to_string()
    };
    let mut sys = common::process::start_on(database, &[]).await;
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;

    // The far worker: on the faulty link, with short leases so that the test is short.
    link.set(Link::Slow);
    let log = tempfile::NamedTempFile::new().unwrap();
    let far = sys.add_worker_logging_to(
        &[
            ("DATABASE_URL", through_link.as_str()),
            ("JOB_LEASE_MS", "1500"),
            ("RUST_LOG", "warn"),
        ],
        log.path(),
    );
    sys.wait_for_workers(&admin, 1, Duration::from_secs(30))
        .await;

    // Work arrives; the far worker claims some over its slow link, and the link stalls
    // mid-query while it holds those leases.
    let mut ids = book_many(&sys, &customer, 12).await;
    let far_name = format!("-{far}-");
    let deadline = Instant::now() + Duration::from_secs(30);
    let held: Vec<i64> = loop {
        let running = sys.get("/api/v1/admin/jobs?state=running", &admin).await;
        let held: Vec<i64> = running["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| {
                j["lease_owner"]
                    .as_str()
                    .is_some_and(|o| o.contains(&far_name))
            })
            .filter_map(|j| j["booking_id"].as_i64())
            .collect();
        if !held.is_empty() {
            break held;
        }
        assert!(Instant::now() < deadline, "the far worker never held a job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    link.set(Link::Stalled);
    let stalled_at = Instant::now();
    // A near worker, connected directly, takes the rest at once and the far worker's
    // jobs once their leases run out.
    let near = sys.add_worker(&[]);
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;
    for id in &held {
        assert_eq!(
            assigned_by(&sys, &admin, *id).await,
            near,
            "booking {id}, held by the far worker when its link stalled"
        );
    }
    println!(
        "all 12 assigned {} ms after the far worker's link stalled holding {} of them",
        stalled_at.elapsed().as_millis(),
        held.len()
    );
    // The stalled statements go through late: the far worker's writes for jobs that are
    // no longer its own are refused by the fence (it logs "lease lost"), and nothing is
    // assigned twice.
    link.set(Link::Open);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(log.path())
        .unwrap_or_default()
        .contains("lease lost")
    {
        assert!(
            Instant::now() < deadline,
            "the far worker's late writes were not fenced off"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;

    // Then the link is cut: every connection closed, new ones refused.
    link.set(Link::Cut);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        sys.exited_workers().is_empty(),
        "a worker exited while cut off"
    );

    // The link returns; with the near worker gone, new work is done by the far one
    // alone: it recovered by itself.
    link.set(Link::Open);
    tokio::time::sleep(Duration::from_secs(2)).await;
    testkit::signal(near, "-KILL");
    let later = book_many(&sys, &customer, 4).await;
    sys.assert_each_assigned_once(&customer, &admin, &later)
        .await;
    ids.extend(&later);
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;
    let far_alive = sys
        .workers
        .iter_mut()
        .any(|w| w.id() == far && w.try_wait().unwrap().is_none());
    assert!(far_alive, "the far worker was not restarted, and runs");
    // The later ones were assigned by the far worker, the only one left.
    for id in &later {
        assert_eq!(assigned_by(&sys, &admin, *id).await, far, "booking {id}");
    }
    let far_log = std::fs::read_to_string(log.path()).unwrap_or_default();
    println!(
        "the far worker's log: {} lines, {} about lost leases",
        far_log.lines().count(),
        far_log.matches("lease lost").count()
    );
    let (status, _) = sys.call(Method::GET, "/readyz", &admin, None).await;
    assert_eq!(status, 200);
}

//! Intake: bookings created over HTTP by signed-in clients, as fast as they go, beside
//! raw single-row inserts on the same disk.

use serde_json::json;

use crate::report::{Report, wait_until};
use crate::{Run, db, load};

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    println!(
        "intake: bookings created over HTTP, signed in, {} clients",
        run.args.clients
    );
    let raw = if run.postgres() {
        let scratch = testkit::TestDatabase::create_on(::db::Backend::Postgres).await;
        let pool = sqlx::PgPool::connect(&scratch.url).await?;
        let v = db::raw_inserts_pg(&pool, 3000).await?;
        pool.close().await;
        v
    } else {
        db::raw_inserts(run.dir.path(), 3000).await?
    };
    let (mut sys, token) = run.system(&[]).await?;
    let n = run.args.intake;
    let (_, rate) = load::closed_loop(&sys, &token, n, run.args.clients, "plumbing").await?;
    r.row(
        "raw sqlx single-row inserts/s",
        format!("{raw:.0}"),
        "baseline".into(),
    );
    r.row(
        "intake bookings/s",
        format!("{rate:.0}"),
        format!(
            "{:.2}x raw (target >= {})",
            rate / raw,
            if run.postgres() {
                "1.0x"
            } else {
                "2000/s, 0.40x"
            }
        ),
    );
    let pool = db::open_system(&sys.url).await?;
    sys.add_quiet_workers(run.args.workers);
    wait_until("assigning", n as i64, || db::assigned(&pool)).await?;
    r.check("intake", &mut sys).await?;
    r.json.insert(
        "intake".into(),
        json!({"per_s": rate, "raw_inserts_per_s": raw, "ratio": rate / raw}),
    );
    Ok(())
}

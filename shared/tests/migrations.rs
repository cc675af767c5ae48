//! The two backends' migrations: the same versions, and the PostgreSQL ones apply to a
//! fresh database on the local server (a database made for this run and dropped after).

use std::collections::BTreeSet;

use sqlx::Connection;

fn versions(folder: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(folder);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.ends_with(".sql").then_some(name)
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

/// The server the machine runs for tests (trust auth); `TEST_POSTGRES_URL` overrides it.
fn server_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

#[tokio::test]
async fn the_postgres_migrations_apply_to_a_fresh_database_with_their_constraints() {
    let name = format!(
        "booking_migrations_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", server_url()))
        .await
        .expect("the PostgreSQL server on 127.0.0.1:5432 (see .ci/run)");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    // Everything that can fail runs before the database is dropped; the checks after.
    let outcome: Result<(String, String), Box<dyn std::error::Error>> = async {
        let pool = sqlx::PgPool::connect(&format!("{}/{name}", server_url())).await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        sqlx::raw_sql(
            "INSERT INTO users (email, name, password_hash, role, created_at) \
             VALUES ('c@x.io', 'c', 'h', 'customer', now()); \
             INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, service_type, \
             address, scheduled_date, status, created_at, updated_at) \
             SELECT id, 'c', '1', 'c@x.io', 'plumbing', 'a', now(), 'pending', now(), now() FROM users; \
             INSERT INTO booking_history (booking_id, new_status, changed_by_name, changed_by_role, \
             customer_id, timestamp) SELECT id, 'pending', 'c', 'customer', customer_id, now() FROM bookings",
        )
        .execute(&pool)
        .await?;
        let update = sqlx::query("UPDATE booking_history SET reason = 'x'").execute(&pool).await;
        let bad_status = sqlx::query("UPDATE bookings SET status = 'lost'").execute(&pool).await;
        pool.close().await;
        Ok((
            update.err().map(|e| e.to_string()).unwrap_or_default(),
            bad_status.err().map(|e| e.to_string()).unwrap_or_default(),
        ))
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let (update, bad_status) = outcome.unwrap();
    assert!(
        update.contains("append-only"),
        "updating history: {update:?}"
    );
    assert!(
        bad_status.contains("bookings_status_check"),
        "an unknown status: {bad_status:?}"
    );
}

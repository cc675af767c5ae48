//! The two backends' migrations: the same versions, and the PostgreSQL ones apply to a
//! fresh database on the local server (a database made for this run and dropped after).

use std::collections::BTreeSet;

use db::Backend;
use testkit::TestDatabase;

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

#[tokio::test]
async fn the_postgres_migrations_apply_to_a_fresh_database_with_their_constraints() {
    let db = TestDatabase::create_on(Backend::Postgres).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::migrate!("../migrations/postgres")
        .run(&pool)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO users (email, name, password_hash, role, created_at) \
         VALUES ('c@x.io', 'c', 'h', 'customer', now()); \
         INSERT INTO providers (name, email, created_at, updated_at) VALUES ('p', 'p@x.io', now(), now()); \
         INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, service_type, \
         address, starts_at, ends_at, status, provider_id, created_at, updated_at) \
         SELECT u.id, 'c', '1', 'c@x.io', 'plumbing', 'a', now(), now() + interval '2 hours', 'assigned', \
         p.id, now(), now() FROM users u, providers p; \
         INSERT INTO booking_history (booking_id, new_status, changed_by_name, changed_by_role, \
         customer_id, timestamp) SELECT id, 'pending', 'c', 'customer', customer_id, now() FROM bookings",
    )
    .execute(&pool)
    .await
    .unwrap();
    let update = sqlx::query("UPDATE booking_history SET reason = 'x'")
        .execute(&pool)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let bad_status = sqlx::query("UPDATE bookings SET status = 'lost'")
        .execute(&pool)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    // A second active window of the same provider overlapping the first.
    let overlap = sqlx::query(
        "INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, \
         service_type, address, starts_at, ends_at, status, provider_id, created_at, updated_at) \
         SELECT customer_id, 'c', '1', 'c@x.io', 'plumbing', 'a', starts_at + interval '1 hour', \
         ends_at + interval '1 hour', 'accepted', provider_id, now(), now() FROM bookings",
    )
    .execute(&pool)
    .await
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    pool.close().await;
    assert!(
        overlap.contains("bookings_no_double_booking"),
        "an overlapping window: {overlap:?}"
    );
    assert!(
        update.contains("append-only"),
        "updating history: {update:?}"
    );
    assert!(
        bad_status.contains("bookings_status_check"),
        "an unknown status: {bad_status:?}"
    );
}

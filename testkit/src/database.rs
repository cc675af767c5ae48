//! Fresh databases for the test suites of every crate, so that one suite runs on both
//! backends: a SQLite file in a temporary folder by default, or, with
//! `TEST_BACKEND=postgres`, a new database on the test server (`TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432`), dropped when the value is.

use sqlx::Connection;

use db::Backend;

/// A database of its own for one test; gone when this is dropped.
pub struct TestDatabase {
    /// What `DATABASE_URL` is set to for processes under test.
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server: String, name: String },
}

/// The backend `TEST_BACKEND` selects (`sqlite` when unset).
pub fn backend() -> Backend {
    match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("TEST_BACKEND must be sqlite or postgres, not {other:?}"),
    }
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_server() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
}

impl TestDatabase {
    /// A new, empty database on the backend `TEST_BACKEND` selects (not yet migrated).
    pub async fn create() -> TestDatabase {
        Self::create_on(backend()).await
    }

    /// A new, empty database on `backend` (not yet migrated).
    pub async fn create_on(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                TestDatabase {
                    url: format!("sqlite://{}/test.db", dir.path().display()),
                    backend: Backend::Sqlite,
                    cleanup: Cleanup::Folder(dir),
                }
            }
            Backend::Postgres => Self::create_on_server(&postgres_server()).await,
        }
    }

    /// A new, empty database on the PostgreSQL server at `server` (a URL without a
    /// database name), dropped with the value if the server is still there.
    pub async fn create_on_server(server: &str) -> TestDatabase {
        let server = server.trim_end_matches('/').to_owned();
        let name = format!(
            "booking_test_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .expect("the PostgreSQL test server (see .ci/run)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("creating a test database");
        let _ = admin.close().await;
        TestDatabase {
            url: format!("{server}/{name}"),
            backend: Backend::Postgres,
            cleanup: Cleanup::Postgres { server, name },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { server, name } = &self.cleanup else {
            return;
        };
        let (server, name) = (server.clone(), name.clone());
        // Drop may run inside a runtime, which cannot block on another future; a thread
        // of its own can. FORCE ends the connections of processes still running.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.url);
        }
    }
}

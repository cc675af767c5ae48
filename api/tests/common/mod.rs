//! A test app: the real router over a fresh SQLite file, driven with `oneshot`.

#![allow(dead_code)]

pub mod process;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use api::auth::TokenKeys;
use api::events::EventShutdown;
use api::{AppState, Settings};

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    _events: EventShutdown,
    _db: testkit::TestDatabase,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Response {
    /// The envelope's error code.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error envelope in {}", self.body))
    }
}

/// Bookings asked for so far in this test process.
static SLOTS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// A start on the grid about three days ahead; each call three hours after the one
/// before, so that no two bookings of a test overlap.
pub fn next_start() -> String {
    let k = SLOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    testkit::grid_start(chrono::Duration::days(3) + chrono::Duration::hours(3 * k)).to_rfc3339()
}

pub fn booking_body() -> Value {
    json!({
        "customer_name": "Casey Customer",
        "customer_phone": "+1 555 010 0199",
        "customer_email": "casey@example.com",
        "service_type": "plumbing",
        "address": "1 Main Street",
        "starts_at": next_start(),
    })
}

impl TestApp {
    /// A fresh database with the demo accounts seeded.
    pub async fn new() -> TestApp {
        Self::with_settings(|_| {}).await
    }

    /// Like [`TestApp::new`], with settings changed by `change`.
    pub async fn with_settings(change: impl FnOnce(&mut Settings)) -> TestApp {
        Self::with_settings_and_clock(change, None).await
    }

    /// Like [`TestApp::new`], its time read from `clock` (a test moves it).
    pub async fn with_clock(clock: std::sync::Arc<dyn db::Clock>) -> TestApp {
        Self::with_settings_and_clock(|_| {}, Some(clock)).await
    }

    async fn with_settings_and_clock(
        change: impl FnOnce(&mut Settings),
        clock: Option<std::sync::Arc<dyn db::Clock>>,
    ) -> TestApp {
        let database = testkit::TestDatabase::create().await;
        let mut db = db::Db::connect(&database.url).await.unwrap();
        if let Some(clock) = clock {
            db = db.with_clock(clock);
        }
        db.migrate().await.unwrap();
        api::seed::seed_demo(
            &shared::Accounts::new(db.clone()),
            &shared::Providers::new(db.clone()),
        )
        .await
        .unwrap();
        let mut settings = Settings {
            demo_logins: api::seed::demo_logins(),
            request_timeout: std::time::Duration::from_secs(10),
            ..Settings::default()
        };
        change(&mut settings);
        // The binary's defaults: twelve hours at most, four idle.
        let tokens = TokenKeys::new(
            b"test-secret-test-secret-test-secret",
            chrono::Duration::hours(12),
        );
        let (state, events) = AppState::new(db, tokens, settings);
        TestApp {
            router: api::app(state.clone()),
            state,
            _events: events,
            _db: database,
        }
    }

    /// The test database's URL, for a test's own connections.
    pub fn database_url(&self) -> String {
        self._db.url.clone()
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Response {
            status,
            headers,
            body,
        }
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "login {email}: {}", res.body);
        res.body["token"].as_str().unwrap().to_owned()
    }

    /// Opens the event stream as `token` (resuming after `last_event_id` if given) and
    /// returns its body, unread; the stream answered 200.
    pub async fn events(&self, token: &str, last_event_id: Option<i64>) -> Body {
        let mut req = Request::builder()
            .uri("/api/v1/events")
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.into_body()
    }

    /// Opens the event stream as `token` from now, and waits until it is open.
    pub async fn open_events(&self, token: &str) -> Body {
        let mut body = self.events(token, None).await;
        let text = read_stream(&mut body, std::time::Duration::from_secs(2), |t| {
            t.contains("event: ready")
        })
        .await;
        assert!(text.contains("event: ready"), "{text}");
        body
    }

    /// The account whose e-mail is `email`, as the store has it.
    pub async fn user(&self, email: &str) -> shared::account::User {
        let (user, _) = self
            .state
            .accounts
            .user_with_password(email)
            .await
            .unwrap()
            .unwrap();
        user
    }

    pub async fn demo(&self, who: &str) -> String {
        self.login(&format!("{who}@example.com"), "demo1234").await
    }

    /// Registers a new customer and returns their token.
    pub async fn customer(&self, name: &str) -> String {
        let body = json!({"name": name, "email": format!("{name}@example.com"), "password": "secret-password"});
        let res = self
            .call("POST", "/api/v1/auth/register", None, Some(body))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body["token"].as_str().unwrap().to_owned()
    }

    pub async fn book(&self, token: &str) -> Value {
        let res = self
            .call(
                "POST",
                "/api/v1/bookings",
                Some(token),
                Some(booking_body()),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body
    }

    /// How many bookings exist, whoever owns them.
    pub async fn booking_count(&self) -> usize {
        let admin = self.demo("admin").await;
        self.get("/api/v1/bookings?limit=100", &admin).await.body["items"]
            .as_array()
            .unwrap()
            .len()
    }

    /// The demo provider's id for a demo provider login.
    pub async fn provider_id(&self, token: &str) -> i64 {
        self.get("/api/v1/auth/me", token).await.body["provider_id"]
            .as_i64()
            .unwrap()
    }
}

/// What a stream sends until it ends, which it must within `within`.
pub async fn read_to_end(body: Body, within: std::time::Duration) -> String {
    let bytes = tokio::time::timeout(within, body.collect())
        .await
        .expect("the stream ended")
        .unwrap()
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads an event stream's frames until `done` holds of all read so far, the stream ends, or
/// `within` passes; returns what was read.
pub async fn read_stream(
    body: &mut Body,
    within: std::time::Duration,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + within;
    let mut text = String::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match tokio::time::timeout(left, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    text.push_str(&String::from_utf8_lossy(&data));
                }
                if done(&text) {
                    break;
                }
            }
            _ => break,
        }
    }
    text
}

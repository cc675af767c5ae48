//! The HTTP API of the booking service: routes, sign-in, live events and (once built)
//! the frontend, on one port.
//!
//! [`app`] builds the router from an [`AppState`]; [`serve`] runs it on a listener until
//! a shutdown future resolves. Tests call both directly; `main.rs` only reads the
//! configuration and calls [`run`].

pub mod auth;
pub mod config;
pub mod doc;
pub mod error;
pub mod events;
pub mod extract;
pub mod limits;
pub mod origin;
pub mod routes;
pub mod seed;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use db::Db;
use queue::{Queue, RetryPolicy};
use shared::assignment::AssignmentPolicy;
use shared::schedule::ScheduleRules;
use shared::{
    Accounts, Analytics, Assignment, Bookings, Console, Feed, Overview, Providers, Ratings,
    Schedule,
};

pub use config::Config;

use auth::TokenKeys;
use auth::limiter::LoginLimiter;
use events::{EventHub, EventShutdown};
use seed::DemoLogin;

/// Settings the handlers read, fixed at start.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Mark the session cookie `Secure` (serve over HTTPS).
    pub cookie_secure: bool,
    /// The demo logins the sign-in page may show; empty when no demo was seeded.
    pub demo_logins: Vec<DemoLogin>,
    /// The one origin allowed to call the API from a browser on another origin.
    pub cors_origin: Option<HeaderValue>,
    /// Where people open the app, without a trailing `/` (`PUBLIC_URL`): the start of the
    /// links the API hands out; `None`, the request's host.
    pub public_url: Option<String>,
    /// How long a request (other than the event stream) may take.
    pub request_timeout: Duration,
    /// The built frontend, served at `/` with `index.html` for client-side routes.
    pub frontend_dir: Option<std::path::PathBuf>,
    /// How assignment attempts are retried: stored with every job this API enqueues or
    /// retries, so that every process that records a failure schedules the same retry.
    pub retry_policy: RetryPolicy,
    /// The rules of time: service area, lead time, offer timeout (stored with every
    /// assignment job, like the retry policy).
    pub schedule: ScheduleRules,
    /// Requests a minute per client address, per user, and bookings per user (0: none;
    /// none by default here, the binary's flags set them).
    pub rate_limits: limits::RateLimitSettings,
}

/// Everything a handler needs, room by room, behind one `Arc`: every request clones the
/// state (its extractors each take one), and a clone of the rooms themselves would count
/// a dozen shared handles up and down, each an atomic the two cores contend for, and copy
/// the token keys.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Rooms>);

impl std::ops::Deref for AppState {
    type Target = Rooms;

    fn deref(&self) -> &Rooms {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Rooms {
    pub db: Db,
    pub bookings: Bookings,
    pub assignment: Assignment,
    pub providers: Providers,
    pub schedule: Schedule,
    pub accounts: Accounts,
    pub ratings: Ratings,
    pub analytics: Analytics,
    pub feed: Feed,
    pub overview: Overview,
    pub console: Console,
    pub queue: Queue,
    pub tokens: TokenKeys,
    pub events: EventHub,
    pub limiter: LoginLimiter,
    pub limits: limits::RateLimits,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Builds the state and starts the event hub (the process's one reader of the feed),
    /// which runs until the returned handle is closed (or dropped).
    pub fn new(db: Db, tokens: TokenKeys, settings: Settings) -> (AppState, EventShutdown) {
        // The process's metrics recorder, before anything counts.
        runtime::metrics::handle();
        let feed = Feed::new(db.clone());
        let accounts = Accounts::new(db.clone());
        let (events, shutdown) = EventHub::start(feed.clone(), accounts.clone(), tokens.idle);
        let policy = settings.retry_policy;
        let rules = settings.schedule;
        let state = AppState(Arc::new(Rooms {
            bookings: Bookings::new(db.clone(), policy).with_rules(rules),
            assignment: Assignment::new(db.clone(), "api").with_policy(AssignmentPolicy {
                retry: policy,
                offer_timeout: rules.offer_timeout,
            }),
            providers: Providers::new(db.clone()),
            schedule: Schedule::new(db.clone(), rules),
            accounts,
            ratings: Ratings::new(db.clone()),
            analytics: Analytics::new(db.clone()),
            overview: Overview::new(db.clone()),
            console: Console::new(
                db.clone(),
                AssignmentPolicy {
                    retry: policy,
                    offer_timeout: rules.offer_timeout,
                },
            ),
            queue: Queue::new(db.clone()),
            feed,
            db,
            tokens,
            events,
            limiter: LoginLimiter::default(),
            limits: limits::RateLimits::new(settings.rate_limits),
            settings: Arc::new(settings),
        }));
        (state, shutdown)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the browser may load and run for a page of ours: only this origin's scripts,
/// styles, images and connections (the built frontend has no inline script or style),
/// no plugins, no other site framing it, forms posting only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `service`'s answers marked as depending on Accept-Encoding (a file is sent as the build's
/// brotli or gzip form of it, or compressed on the fly, or plain), so that a cache keeps
/// them apart. The compression layer then adds no second mark.
fn varies_by_encoding<S>(service: S) -> SetResponseHeader<S, axum::http::HeaderValue> {
    SetResponseHeader::if_not_present(
        service,
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    )
}

/// The security headers every response carries (API answers, errors, the frontend's
/// files), set where a handler did not set its own; HSTS only when the session cookie is
/// `Secure` (the API is served over HTTPS).
fn security_headers(router: Router<AppState>, hsts: bool) -> Router<AppState> {
    use axum::http::HeaderValue;
    use axum::http::header;
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    if hsts {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        router
    }
}

/// The routes under `/api/v1`, each with its OpenAPI description; `timeout` bounds every
/// request but the event stream's.
fn api_routes(timeout: Duration) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(doc::ApiDoc::openapi())
        .nest("/auth", routes::auth::router())
        .nest(
            "/bookings",
            routes::bookings::router().merge(routes::ratings::booking_router()),
        )
        .nest(
            "/providers",
            routes::providers::router().merge(routes::ratings::provider_router()),
        )
        .merge(routes::providers::service_types_router())
        .merge(routes::availability::router())
        .merge(routes::openapi::router())
        .nest(
            "/admin",
            routes::admin::router()
                .merge(routes::jobs::router())
                .merge(routes::users::router())
                .merge(routes::ratings::admin_router())
                .merge(routes::analytics::router()),
        )
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // The event stream is long-lived, and a bulk action on jobs works through as
        // many as a filter matches: they are outside the timeout.
        .routes(utoipa_axum::routes!(events::events))
        .nest("/admin", routes::jobs::actions_router())
}

/// The API's OpenAPI document, derived from the handlers and their types.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = api_routes(Duration::from_secs(1)).split_for_parts().1;
    doc::writes_may_be_refused_cross_origin(&mut document);
    document
}

/// The whole HTTP surface: `/api/v1/...`, `/healthz`, `/readyz`.
pub fn app(state: AppState) -> Router {
    let timeout = state.settings.request_timeout;
    let (api, _) = api_routes(timeout).split_for_parts();
    // Unknown API paths are JSON 404s, not the frontend's index page.
    let api = api
        .fallback(|| async { error::ApiError::NotFound("there is nothing at this address".into()) })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::same_origin_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::limit,
        ))
        // Every answer is someone's own data: no browser or proxy keeps it. Kept, a
        // browser serves it again to a page loaded by Back: after signing out, `/auth/me`
        // answered from the cache named the user who had left.
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    let mut router = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::metrics::metrics));
    if let Some(dir) = &state.settings.frontend_dir {
        // Built assets are files or 404s; any other path is a client route of the app.
        // The build writes each file's brotli and gzip forms beside it (vite.config.ts),
        // sent as they are to a browser that accepts them; the compression layer below
        // compresses the rest.
        let index = ServeFile::new(dir.join("index.html"))
            .precompressed_br()
            .precompressed_gzip();
        // Built assets are named by their content's hash: a browser may keep them a year.
        // Everything else is asked again each time, so that a new build is seen at once.
        // The page itself is never stored (`no-store`): the browser then keeps no page in
        // its back-forward cache either, so Back after signing out loads the page afresh
        // (and it asks to sign in) instead of showing the signed-out user's page as it
        // was left. It is a kilobyte, asked again each time anyway.
        let assets = SetResponseHeader::overriding(
            ServeDir::new(dir.join("assets"))
                .precompressed_br()
                .precompressed_gzip(),
            axum::http::header::CACHE_CONTROL,
            |res: &axum::http::Response<_>| {
                res.status().is_success().then(|| {
                    axum::http::HeaderValue::from_static("public, max-age=31536000, immutable")
                })
            },
        );
        let pages = SetResponseHeader::if_not_present(
            ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(index),
            axum::http::header::CACHE_CONTROL,
            |res: &axum::http::Response<_>| {
                let html = res
                    .headers()
                    .get(axum::http::header::CONTENT_TYPE)
                    .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
                Some(axum::http::HeaderValue::from_static(if html {
                    "no-store"
                } else {
                    "no-cache"
                }))
            },
        );
        router = router
            .nest_service("/assets", varies_by_encoding(assets))
            .fallback_service(varies_by_encoding(pages));
    }
    let router = router
        .layer(axum::middleware::map_response(error::ensure_envelope))
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(axum::middleware::from_fn(extract::refuse_declared_oversize));
    // Compressed (brotli or gzip, as the client accepts) when worth it; never the event
    // stream, which must flush each event as it comes (tower-http leaves SSE alone).
    let router = router.layer(tower_http::compression::CompressionLayer::new());
    let mut router = security_headers(router, state.settings.cookie_secure);
    if let Some(origin) = state.settings.cors_origin.clone() {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_credentials(true)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH])
                .allow_headers([
                    axum::http::header::CONTENT_TYPE,
                    axum::http::header::AUTHORIZATION,
                    HeaderName::from_static("idempotency-key"),
                    HeaderName::from_static("last-event-id"),
                ]),
        );
    }
    router
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let path = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
                    let request_id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path, request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then closes the event
/// streams and waits for in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    events: EventShutdown,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With each connection's peer address: the rate limits of anonymous requests key on it.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        events.close();
    })
    .await
}

/// Starts the API as configured: connects, migrates, bootstraps accounts, and serves
/// until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.check()?;
    let db = config.database.open(db::Workload::Mixed).await?;
    let secret = match &config.auth_secret {
        Some(s) => s.clone(),
        None => {
            db.setting_or_insert("auth_secret", auth::new_secret)
                .await?
        }
    };
    let accounts = Accounts::new(db.clone());
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password)
        && seed::ensure_admin(&accounts, email, password).await?
    {
        tracing::info!("created the admin account named by ADMIN_EMAIL");
    }
    let demo_logins = if config.seed_demo {
        if seed::seed_demo(&accounts, &Providers::new(db.clone())).await? > 0 {
            print_demo_logins();
        }
        seed::demo_logins()
    } else {
        Vec::new()
    };
    // Loud while they exist, whether or not this start created them: anyone who reads
    // the README can sign in as these.
    let exposed = seed::demo_accounts_with_demo_password(&accounts).await?;
    if !exposed.is_empty() {
        tracing::warn!(
            accounts = %exposed.join(", "),
            bind_addr = %config.bind_addr,
            reachable_beyond_this_host = !config.binds_loopback(),
            "demo accounts with the published password exist; never expose them (change their passwords or use a fresh database)"
        );
    }
    let settings = Settings {
        cookie_secure: config.cookie_secure,
        demo_logins,
        cors_origin: config
            .cors_origin
            .as_deref()
            .map(HeaderValue::from_str)
            .transpose()?,
        public_url: config.public_url.clone(),
        request_timeout: Duration::from_millis(config.request_timeout_ms),
        frontend_dir: frontend_dir(&config.frontend_dir),
        retry_policy: config.retry.policy(),
        schedule: config.schedule.rules(),
        rate_limits: config.rate_limits.settings(),
    };
    let tokens = TokenKeys::new(
        secret.as_bytes(),
        chrono::Duration::minutes(config.token_ttl_minutes),
    )
    .with_idle(chrono::Duration::minutes(config.session_idle_minutes));
    let (state, events) = AppState::new(db.clone(), tokens, settings);
    let listener = TcpListener::bind(&config.bind_addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    serve(listener, state, events, runtime::shutdown_signal()).await?;
    db.close().await;
    tracing::info!("api stopped");
    Ok(())
}

/// The frontend folder if it holds a build; otherwise says how to make one.
fn frontend_dir(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    if dir.join("index.html").is_file() {
        Some(dir.to_path_buf())
    } else {
        tracing::warn!(dir = %dir.display(), "no frontend build here (run `npm run build` in frontend/); serving the API only");
        None
    }
}

/// Prints the demo logins once, when they are created (stdout, not the log).
fn print_demo_logins() {
    println!(
        "\nDemo accounts created (password for all: {}):",
        seed::DEMO_PASSWORD
    );
    for login in seed::demo_logins() {
        println!(
            "  {:<9} {:<22} {}",
            login.role.as_str(),
            login.email,
            login.name
        );
    }
    println!();
}

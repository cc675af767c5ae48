//! Rate limits, per API process (each process counts its own): per client address for
//! requests without a valid sign-in, per user for signed-in ones, and a separate budget for
//! creating bookings, per customer. Each budget is a number of requests a minute, any of
//! which may come at once, refilled evenly over the minute (governor's GCRA). Past it:
//! 429 `rate_limited` with `Retry-After`. 0 turns a limit off.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::AppState;
use crate::auth::request_token;
use crate::error::ApiError;

/// The budgets, in requests a minute (0: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Requests without a valid sign-in, per client address.
    pub anonymous_per_min: u32,
    /// Requests of one signed-in user.
    pub user_per_min: u32,
    /// Bookings one user creates (counted in the user's budget too).
    pub bookings_per_min: u32,
}

/// The process's counters, one per key.
#[derive(Debug, Clone, Default)]
pub struct RateLimits {
    inner: Option<Arc<Limiters>>,
}

#[derive(Debug)]
struct Limiters {
    anonymous: Option<DefaultKeyedRateLimiter<IpAddr>>,
    user: Option<DefaultKeyedRateLimiter<i64>>,
    bookings: Option<DefaultKeyedRateLimiter<i64>>,
    clock: DefaultClock,
    /// Requests seen, to forget idle keys now and then (memory stays bounded by the
    /// clients of the last minute).
    seen: AtomicU64,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_min: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_min).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)))
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> RateLimits {
        if settings == RateLimitSettings::default() {
            return RateLimits { inner: None };
        }
        RateLimits {
            inner: Some(Arc::new(Limiters {
                anonymous: limiter(settings.anonymous_per_min),
                user: limiter(settings.user_per_min),
                bookings: limiter(settings.bookings_per_min),
                clock: DefaultClock::default(),
                seen: AtomicU64::new(0),
            })),
        }
    }
}

/// How often idle keys are forgotten, in requests.
const SWEEP_EVERY: u64 = 4096;

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<DefaultKeyedRateLimiter<K>>,
    key: &K,
    clock: &DefaultClock,
) -> Result<(), ApiError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter
        .check_key(key)
        .map_err(|not_until| ApiError::RateLimited {
            retry_after_secs: not_until.wait_time_from(clock.now()).as_secs().max(1),
        })
}

/// Drops the keys whose budget is full again (they would start afresh anyway).
fn forget_idle<K: std::hash::Hash + Eq + Clone>(limiter: &Option<DefaultKeyedRateLimiter<K>>) {
    if let Some(l) = limiter {
        l.retain_recent();
        l.shrink_to_fit();
    }
}

/// The middleware: counts the request against its budgets before anything else runs.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(l) = &state.limits.inner else {
        return next.run(req).await;
    };
    if l.seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
        forget_idle(&l.anonymous);
        forget_idle(&l.user);
        forget_idle(&l.bookings);
    }
    // A token that verifies names the user; anything else counts as its address's. On the
    // routes that need no sign-in a token proves nothing (its session may have ended, and
    // sign-up is open to anyone who wants a budget of their own): always the address's.
    let user = request_token(req.headers())
        .filter(|_| !needs_no_sign_in(&req))
        .and_then(|t| state.tokens.verify(&t))
        .map(|c| c.user_id);
    let outcome = match user {
        Some(user) => check(&l.user, &user, &l.clock).and_then(|()| {
            let creating = req.method() == Method::POST && req.uri().path().ends_with("/bookings");
            if creating {
                check(&l.bookings, &user, &l.clock)
            } else {
                Ok(())
            }
        }),
        None => {
            let address = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
            check(&l.anonymous, &address, &l.clock)
        }
    };
    match outcome {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Signing up, in, or with a reset link, and the demo logins: the routes anyone may call,
/// where guessing passwords and making accounts would be done.
fn needs_no_sign_in(req: &Request) -> bool {
    const OPEN: [&str; 4] = ["/auth/register", "/auth/login", "/auth/reset", "/auth/demo"];
    let path = req.uri().path().trim_end_matches('/');
    OPEN.iter().any(|open| path.ends_with(open))
}

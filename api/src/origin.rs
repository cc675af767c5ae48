//! Writes from another site are refused. A browser sends the session cookie with a form or
//! a `fetch` that another page on the same site (another port of the host, a sibling
//! subdomain) starts, and the cookie's `SameSite=Lax` does not stop those; the JSON
//! content type the handlers require does not protect a write without a body (pausing a
//! queue, signing out everywhere). So a request that changes something (any method but
//! GET, HEAD and OPTIONS) must come from the app's own origin, or from the one origin
//! `CORS_ORIGIN` allows, by what the browser says of it:
//!
//! - `Sec-Fetch-Site`, which every current browser sends: `same-origin` (the app itself)
//!   or `none` (typed by the user) pass; `same-site` and `cross-site` pass only from the
//!   allowed origin.
//! - Without it, an `Origin` header must name this host (or the allowed origin).
//! - Without either, the request is not a browser's (curl, a script, a server): there is
//!   no cookie it could have been lent, and it passes.
//!
//! The check Go's `net/http.CrossOriginProtection` makes, and the one the OWASP CSRF
//! cheat sheet recommends with `Sec-Fetch-Site`.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The middleware: refuses a write another site started, with 403 `cross_origin_request`.
pub async fn same_origin_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let reads = [Method::GET, Method::HEAD, Method::OPTIONS];
    if reads.contains(req.method()) || allowed(req.headers(), state.settings.cors_origin.as_ref()) {
        return next.run(req).await;
    }
    ApiError::CrossOrigin.into_response()
}

/// Whether a write with these headers may go on: see the module's documentation.
fn allowed(headers: &HeaderMap, trusted: Option<&HeaderValue>) -> bool {
    let origin = headers.get(header::ORIGIN);
    if origin.is_some() && origin == trusted {
        return true;
    }
    match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
        Some(b"same-origin" | b"none") => true,
        Some(_) => false,
        None => match origin {
            None => true,
            Some(origin) => names_this_host(origin, headers.get(header::HOST)),
        },
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
fn names_this_host(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), host.map(HeaderValue::to_str)) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    axum::http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn a_write_passes_from_the_app_itself_or_the_allowed_origin_and_not_from_another_site() {
        let trusted = HeaderValue::from_static("https://app.example.com");
        let cases: [(&[(&'static str, &'static str)], bool); 12] = [
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "none")], true),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("sec-fetch-site", "cross-site")], false),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://app.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("sec-fetch-site", "same-site"),
                    ("origin", "https://other.example.com"),
                ],
                false,
            ),
            // An older browser: the origin against the host.
            (
                &[
                    ("origin", "http://127.0.0.1:5000"),
                    ("host", "127.0.0.1:5000"),
                ],
                true,
            ),
            (
                &[
                    ("origin", "HTTP://Bookings.Example.com"),
                    ("host", "bookings.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("origin", "http://127.0.0.1:9999"),
                    ("host", "127.0.0.1:5000"),
                ],
                false,
            ),
            (&[("origin", "null"), ("host", "127.0.0.1:5000")], false),
            (&[("origin", "http://127.0.0.1:5000")], false),
            // Not a browser: nothing to go by, and no cookie it could have been lent.
            (&[("host", "127.0.0.1:5000")], true),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                allowed(&headers(pairs), Some(&trusted)),
                expected,
                "{pairs:?}"
            );
        }
        assert!(!allowed(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://app.example.com")
            ]),
            None
        ));
    }
}

//! The OpenAPI document: derived from the handlers and their types (utoipa), served at
//! `/api/v1/openapi.json`, committed as `api/openapi.json` (a test checks they agree),
//! from which the frontend's API types are generated.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::responses;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Home-services booking and dispatch API",
        version = "1.0.0",
        description = "Every error is {\"error\": {\"code\", \"message\", \"details\"}}; validation errors (422) name each field in details.fields. Sign in with POST /auth/login and send the token as `Authorization: Bearer ...`, or let a browser carry the HttpOnly `session` cookie."
    ),
    servers((url = "/api/v1")),
    modifiers(&Security),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail), responses(
        responses::BadRequest,
        responses::Unauthorized,
        responses::Forbidden,
        responses::NotFound,
        responses::Timeout,
        responses::Conflict,
        responses::PayloadTooLarge,
        responses::UnsupportedMediaType,
        responses::Unprocessable,
        responses::TooManyRequests,
        responses::Unavailable,
    )),
    tags(
        (name = "auth", description = "Signing up, in and out"),
        (name = "bookings", description = "Bookings and their status"),
        (name = "providers", description = "Providers and service types"),
        (name = "ratings", description = "Ratings of completed bookings, and providers' reviews"),
        (name = "admin", description = "The job queue, the overview and the accounts (admins only)"),
        (name = "events", description = "Live changes"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The two ways to carry a session: a bearer token, or the `session` cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// An IANA time zone name (the tz database's), e.g. `Europe/Berlin`: the document lists
/// every one the server knows (chrono-tz).
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An IANA time zone, e.g. Europe/Berlin"))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .into()
    }
}

impl utoipa::ToSchema for TimeZoneName {}

/// Every operation that writes may be refused as started by another site's page (403
/// `cross_origin_request`, [`crate::origin`]): said under each, beside its own 403s.
pub fn writes_may_be_refused_cross_origin(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Ref, RefOr};
    for item in openapi.paths.paths.values_mut() {
        let writes = [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in writes.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("403".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Forbidden")));
        }
    }
}

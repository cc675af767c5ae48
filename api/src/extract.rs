//! Extractors whose rejections are [`ApiError`]s, so malformed input gets the envelope
//! and a field name, never axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use serde_json::json;

use crate::error::ApiError;

/// The request body limit (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body. Syntax errors are 400; a missing, unknown or wrongly typed field is 422
/// naming the field; a body over the limit is 413; another content type is 415.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit: BODY_LIMIT }
            } else {
                ApiError::bad_request("unreadable_body", "the request body could not be read")
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses `bytes` as a `T`, mapping serde's errors to the envelope's.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body of this API is an object; serde would read an array as a struct's
    // fields in order, and report "[0]" as the field.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            Category::Data => wrong_field(&path, &inner),
            // serde_json reads a fixed choice (an enum) only from a string, and calls
            // anything else there (null, a number, an array) a syntax error. In a body
            // that is valid JSON (it parses as a value) that is a wrongly typed field:
            // read again from the parsed value, it is a data error naming the field.
            Category::Syntax => serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|v| serde_path_to_error::deserialize::<_, T>(v).err())
                .map_or_else(
                    || malformed(&inner),
                    |e| wrong_field(&e.path().to_string(), e.inner()),
                ),
            _ => malformed(&inner),
        }
    })?;
    // Trailing characters after the value are malformed JSON too.
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

/// A 422 naming the field at `path` that `e` (a data error) is about.
fn wrong_field(path: &str, e: &serde_json::Error) -> ApiError {
    let message = e.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        // A fixed choice read from a parsed value is a string (or, to serde, a map).
        .replace("expected string or map", "expected a string");
    ApiError::Validation([(field_name(path, &message), message)].into())
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::BadRequest {
        code: "malformed_json",
        message: "the request body is not valid JSON".into(),
        details: json!({"line": e.line(), "column": e.column()}),
    }
}

/// The field a data error is about: its path, or for a missing or unknown field at the
/// top level, the name serde puts in backticks.
fn field_name(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|p| message.split_once(p))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    match (path, named) {
        (".", Some(name)) => name,
        (".", None) => "body".into(),
        // serde_path_to_error already ends the path with an unknown field's name.
        (p, Some(name)) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        (p, Some(name)) => format!("{p}.{name}"),
        (p, None) => p.to_owned(),
    }
}

/// A positive numeric id from the path: anything else is a 400 naming the id.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| {
                    ApiError::bad_request("invalid_id", "the id in the path is missing")
                })?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Id(id)),
            _ => Err(ApiError::BadRequest {
                code: "invalid_id",
                message: "the id in the path must be a positive whole number".into(),
                details: json!({"id": raw}),
            }),
        }
    }
}

/// Query parameters; a malformed query string is a 400 naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        // No parameter means a NUL (PostgreSQL refuses one in any text it is given).
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                details: json!({"parameter": name}),
                message: format!("the query string is invalid: `{name}` holds a NUL character"),
            });
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.into_inner().to_string();
                ApiError::BadRequest {
                    code: "invalid_query",
                    details: json!({"parameter": field_name(&path, &message)}),
                    message: format!("the query string is invalid: {message}"),
                }
            })
    }
}

/// Whole numbers in JSON bodies: JSON Schema's `integer` is any number without a
/// fraction, so `18471.0` and `1e3` are integers as much as `18471` is (serde alone
/// refuses them). A fraction or a number out of range is refused as usual.
pub mod integer {
    use serde::de::{Deserializer, Error, Visitor};

    struct Whole;

    impl Visitor<'_> for Whole {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("the number is too large"))
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
            // Beyond 2^53 a float no longer says which whole number it was (an integer
            // literal out of i64's range arrives as one): refused, not rounded.
            const EXACT: f64 = 9_007_199_254_740_992.0;
            if v.fract() == 0.0 && v.abs() <= EXACT {
                Ok(v as i64)
            } else {
                Err(E::custom("expected a whole number within range"))
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(Whole)
    }

    /// An optional whole number (`null` or absent is `None`).
    pub mod option {
        use serde::Deserialize;
        use serde::de::Deserializer;

        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "super::deserialize")] i64);

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
            Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(v)| v))
        }
    }

    /// A list of whole numbers that may be left out but, when given, is a list: with
    /// `#[serde(default)]`, absent is `None` and `null` an error (a body that names the
    /// field says which selection it is).
    pub mod present_vec {
        use serde::Deserialize;
        use serde::de::Deserializer;

        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "super::deserialize")] i64);

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
            Ok(Some(
                Vec::<Wrapped>::deserialize(d)?
                    .into_iter()
                    .map(|Wrapped(n)| n)
                    .collect(),
            ))
        }
    }
}

/// A field that may be left out but, when given, may not be `null`: with
/// `#[serde(default, deserialize_with = "present")]`, absent is `None` and `null` an error.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::de::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Query parameter `parameter`, a date and time in RFC 3339 with an offset, in UTC.
pub fn query_instant(
    parameter: &str,
    value: &str,
) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            ApiError::invalid_query(
                parameter,
                "must be an RFC 3339 date and time with an offset",
            )
        })
}

/// Paging by id, newest first, as the admin's tables and a provider's reviews page: a
/// page size, a cursor (the previous page's last id), and the next page's cursor.
pub mod paging {
    use crate::error::ApiError;

    /// The page size `limit` asks for: `default` without one, else 1 to `max` (400 beyond).
    pub fn limit(limit: Option<i64>, default: u32, max: u32) -> Result<u32, ApiError> {
        match limit {
            None => Ok(default),
            Some(n) if (1..=i64::from(max)).contains(&n) => Ok(n as u32),
            Some(_) => Err(ApiError::invalid_query(
                "limit",
                format!("must be from 1 to {max}"),
            )),
        }
    }

    /// Refuses a value of query parameter `parameter` below 1 (an id or a cursor).
    pub fn positive(parameter: &str, value: Option<i64>) -> Result<(), ApiError> {
        match value {
            Some(n) if n < 1 => Err(ApiError::invalid_query(
                parameter,
                "must be a positive whole number",
            )),
            _ => Ok(()),
        }
    }

    /// Cuts rows read with `limit + 1` to `limit`; the cursor of the next page (the last
    /// row's id) when there is one.
    pub fn next_cursor<T>(
        items: &mut Vec<T>,
        limit: u32,
        id: impl Fn(&T) -> i64,
    ) -> Option<String> {
        if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|item| id(item).to_string())
        } else {
            None
        }
    }
}

/// Refuses a body declared larger than [`BODY_LIMIT`] (by `Content-Length`) at once, with
/// 413, instead of reading up to the limit first or, when fewer bytes come than declared,
/// waiting for the rest until the request times out.
pub async fn refuse_declared_oversize(
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return ApiError::PayloadTooLarge { limit: BODY_LIMIT }.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Choice {
        Cancelled,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        status: Choice,
        #[serde(default)]
        absent: Option<Choice>,
    }

    /// The field a 422 names and its message, or the code of another error.
    fn outcome(body: &str) -> Result<(String, String), String> {
        match parse_json::<Body>(body.as_bytes()) {
            Ok(_) => Err("accepted".into()),
            Err(ApiError::Validation(fields)) => Ok(fields.into_iter().next().unwrap()),
            Err(ApiError::BadRequest { code, .. }) => Err(code.into()),
            Err(other) => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn a_fixed_choice_of_the_wrong_type_is_a_wrong_field_and_broken_json_is_malformed() {
        for (body, field, found) in [
            (r#"{"status":null}"#, "status", "null"),
            (r#"{"status":5}"#, "status", "integer `5`"),
            (r#"{"status":["cancelled"]}"#, "status", "sequence"),
            (r#"{"status":true}"#, "status", "boolean `true`"),
            (
                r#"{"status":"cancelled","absent":7}"#,
                "absent",
                "integer `7`",
            ),
        ] {
            let (named, message) = outcome(body).unwrap();
            assert_eq!(named, field, "{body}");
            assert_eq!(
                message,
                format!("invalid type: {found}, expected a string"),
                "{body}"
            );
        }
        assert!(
            outcome(r#"{"status":"bogus"}"#)
                .unwrap()
                .1
                .contains("unknown variant")
        );
        for broken in [
            r#"{"status":nul}"#,
            r#"{"status":5"#,
            r#"{"status":"cancelled"} x"#,
            "",
        ] {
            assert_eq!(outcome(broken), Err("malformed_json".into()), "{broken}");
        }
        assert!(parse_json::<Body>(br#"{"status":"cancelled"}"#).is_ok());
    }
}

//! `GET /admin/analytics`: the dashboard's figures over a range of days, as JSON or as
//! CSV (one table at a time), for admins. With its query and response types.

use std::collections::BTreeMap;

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shared::DomainError;
use shared::analytics::{BucketSize, DemandCell, ProviderFigures, Range, Rates, Report};

use crate::AppState;
use crate::auth::OperatorUser;
use crate::error::ApiError;
use crate::extract::Query;

/// Under `/admin`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(analytics))
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BucketName {
    Day,
    Week,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    #[default]
    Buckets,
    Providers,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AnalyticsQuery {
    /// The first day (`YYYY-MM-DD`, the service area's calendar); default: 29 days before `to`.
    #[param(format = Date)]
    from: Option<String>,
    /// The last day, included; default: today. At most 366 days after `from`.
    #[param(format = Date)]
    to: Option<String>,
    /// Figures per day (default) or per week (from Monday).
    bucket: Option<BucketName>,
    /// Only bookings of this service.
    #[param(max_length = 100)]
    service_type: Option<String>,
    /// `csv` for one table as CSV (`table`).
    #[param(inline)]
    format: Option<Format>,
    /// With `format=csv`: the buckets (default) or the providers.
    #[param(inline)]
    table: Option<Table>,
}

/// One day or week of bookings created.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BucketView {
    /// Its first day.
    pub start: NaiveDate,
    pub created: i64,
    /// Bookings created in it, by their status now (every status, zeros included).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub by_status: BTreeMap<&'static str, i64>,
    /// Of them, how many wait for an operator: no provider could be assigned (their job
    /// is dead), or an operator cancelled the search.
    pub dead: i64,
    /// Milliseconds from creation to the first assignment, p50 and p90 (nearest rank);
    /// `null` when none was assigned.
    #[schema(required = true)]
    pub assign_p50_ms: Option<i64>,
    #[schema(required = true)]
    pub assign_p90_ms: Option<i64>,
    /// Milliseconds from creation to the first acceptance; `null` when none was accepted.
    #[schema(required = true)]
    pub accept_p50_ms: Option<i64>,
    #[schema(required = true)]
    pub accept_p90_ms: Option<i64>,
}

/// The range's totals and rates (`null` where there is nothing to divide by).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatesView {
    pub created: i64,
    /// Offers made to providers in the range.
    pub offers: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub expired: i64,
    pub no_shows: i64,
    pub cancelled: i64,
    pub dead: i64,
    /// accepted / offers.
    #[schema(required = true)]
    pub acceptance: Option<f64>,
    /// rejected / offers.
    #[schema(required = true)]
    pub rejection: Option<f64>,
    /// expired / offers.
    #[schema(required = true)]
    pub expiry: Option<f64>,
    /// no-shows / accepted.
    #[schema(required = true)]
    pub no_show: Option<f64>,
    /// cancelled / created.
    #[schema(required = true)]
    pub cancellation: Option<f64>,
}

/// Bookings of one service created in one hour of one weekday (service area's clock).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DemandView {
    pub service_type: String,
    /// 1 = Monday ... 7 = Sunday.
    #[schema(minimum = 1, maximum = 7)]
    pub weekday: u32,
    #[schema(maximum = 23)]
    pub hour: u32,
    pub created: i64,
}

/// One provider's part in the range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderFiguresView {
    pub provider_id: i64,
    pub name: String,
    pub offers: i64,
    pub accepts: i64,
    pub rejects: i64,
    pub expiries: i64,
    pub no_shows: i64,
    pub completed: i64,
    /// The plain mean of all their reviews; `null` without any.
    #[schema(required = true)]
    pub rating_mean: Option<f64>,
    pub rating_count: i64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnalyticsView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub bucket: BucketName,
    #[schema(required = true)]
    pub service_type: Option<String>,
    /// The service area's time zone, whose days and hours these are.
    pub time_zone: String,
    pub buckets: Vec<BucketView>,
    pub rates: RatesView,
    /// Cells with at least one booking.
    pub demand: Vec<DemandView>,
    /// Providers with an offer or a booking in the range.
    pub providers: Vec<ProviderFiguresView>,
}

impl From<Report> for AnalyticsView {
    fn from(r: Report) -> Self {
        let Rates {
            created,
            offers,
            accepted,
            rejected,
            expired,
            no_shows,
            cancelled,
            dead,
            acceptance,
            rejection,
            expiry,
            no_show,
            cancellation,
        } = r.rates;
        AnalyticsView {
            from: r.range.from,
            to: r.range.to,
            bucket: match r.range.bucket {
                BucketSize::Day => BucketName::Day,
                BucketSize::Week => BucketName::Week,
            },
            service_type: r.range.service_type,
            time_zone: r.range.time_zone.name().to_owned(),
            buckets: r
                .buckets
                .into_iter()
                .map(|b| BucketView {
                    start: b.start,
                    created: b.created,
                    by_status: b
                        .by_status
                        .into_iter()
                        .map(|(s, n)| (s.as_str(), n))
                        .collect(),
                    dead: b.dead,
                    assign_p50_ms: b.assign_p50_ms,
                    assign_p90_ms: b.assign_p90_ms,
                    accept_p50_ms: b.accept_p50_ms,
                    accept_p90_ms: b.accept_p90_ms,
                })
                .collect(),
            rates: RatesView {
                created,
                offers,
                accepted,
                rejected,
                expired,
                no_shows,
                cancelled,
                dead,
                acceptance,
                rejection,
                expiry,
                no_show,
                cancellation,
            },
            demand: r.demand.into_iter().map(DemandView::from).collect(),
            providers: r
                .providers
                .into_iter()
                .map(ProviderFiguresView::from)
                .collect(),
        }
    }
}

impl From<DemandCell> for DemandView {
    fn from(c: DemandCell) -> Self {
        DemandView {
            service_type: c.service_type,
            weekday: c.weekday,
            hour: c.hour,
            created: c.created,
        }
    }
}

impl From<ProviderFigures> for ProviderFiguresView {
    fn from(p: ProviderFigures) -> Self {
        ProviderFiguresView {
            provider_id: p.provider_id,
            name: p.name,
            offers: p.offers,
            accepts: p.accepts,
            rejects: p.rejects,
            expiries: p.expiries,
            no_shows: p.no_shows,
            completed: p.completed,
            rating_mean: p.rating_mean,
            rating_count: p.rating_count,
        }
    }
}

/// How the business is doing over a range of days (admins only): per day or week of
/// bookings created, their statuses now and how long they waited to be assigned and
/// accepted; the range's rates; demand by service, weekday and hour; and each provider's
/// offers, accepts, rejects, expiries, no-shows and completed jobs. `format=csv` answers
/// one table (`table=buckets|providers`) as CSV.
#[utoipa::path(
    get,
    path = "/analytics",
    operation_id = "getAnalytics",
    tag = "admin",
    params(AnalyticsQuery),
    responses(
        (status = 200, description = "The figures", content(
            (AnalyticsView = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn analytics(
    State(state): State<AppState>,
    _operator: OperatorUser,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    let day = |name: &str, value: Option<&str>| -> Result<Option<NaiveDate>, ApiError> {
        value
            .map(|v| {
                shared::input::date(v.trim())
                    .ok_or_else(|| ApiError::invalid_query(name, "must be a date, YYYY-MM-DD"))
            })
            .transpose()
    };
    let (from, to) = (
        day("from", query.from.as_deref())?,
        day("to", query.to.as_deref())?,
    );
    if let Some(service) = &query.service_type {
        let types = state.providers.service_types().await?;
        if !types.iter().any(|t| &t.name == service) {
            return Err(ApiError::invalid_query(
                "service_type",
                "must be one of GET /service-types",
            ));
        }
    }
    let bucket = match query.bucket.unwrap_or(BucketName::Day) {
        BucketName::Day => BucketSize::Day,
        BucketName::Week => BucketSize::Week,
    };
    let zone = state.settings.schedule.service_time_zone;
    let range = Range::new(from, to, bucket, query.service_type, zone, state.db.now()).map_err(
        |e| match e {
            DomainError::Validation(fields) => {
                let (name, message) = fields.into_iter().next().unwrap_or_default();
                ApiError::invalid_query(&name, message)
            }
            other => other.into(),
        },
    )?;
    let view = AnalyticsView::from(state.analytics.report(range).await?);
    match query.format.unwrap_or_default() {
        Format::Json => Ok(JsonBody(view).into_response()),
        Format::Csv => {
            let table = query.table.unwrap_or_default();
            let body = csv_of(&view, table).map_err(|e| ApiError::Internal(e.to_string()))?;
            let name = match table {
                Table::Buckets => "buckets",
                Table::Providers => "providers",
            };
            let disposition = format!(
                "attachment; filename=\"analytics-{name}-{}-to-{}.csv\"",
                view.from, view.to
            );
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response())
        }
    }
}

/// One of the report's tables as CSV, a header row first.
fn csv_of(view: &AnalyticsView, table: Table) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    match table {
        Table::Buckets => {
            let statuses: Vec<&str> = shared::Status::ALL.iter().map(|s| s.as_str()).collect();
            let mut header = vec!["start", "created"];
            header.extend(&statuses);
            header.extend([
                "dead",
                "assign_p50_ms",
                "assign_p90_ms",
                "accept_p50_ms",
                "accept_p90_ms",
            ]);
            out.write_record(&header)?;
            for b in &view.buckets {
                let mut row = vec![b.start.to_string(), b.created.to_string()];
                row.extend(statuses.iter().map(|s| b.by_status[s].to_string()));
                row.extend([
                    b.dead.to_string(),
                    opt(b.assign_p50_ms),
                    opt(b.assign_p90_ms),
                    opt(b.accept_p50_ms),
                    opt(b.accept_p90_ms),
                ]);
                out.write_record(&row)?;
            }
        }
        Table::Providers => {
            out.write_record([
                "provider_id",
                "name",
                "offers",
                "accepts",
                "rejects",
                "expiries",
                "no_shows",
                "completed",
                "rating_mean",
                "rating_count",
            ])?;
            for p in &view.providers {
                out.write_record([
                    p.provider_id.to_string(),
                    spreadsheet_safe(&p.name),
                    p.offers.to_string(),
                    p.accepts.to_string(),
                    p.rejects.to_string(),
                    p.expiries.to_string(),
                    p.no_shows.to_string(),
                    p.completed.to_string(),
                    p.rating_mean.map(|m| format!("{m:.2}")).unwrap_or_default(),
                    p.rating_count.to_string(),
                ])?;
            }
        }
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A name a spreadsheet will not run as a formula: one starting with `=`, `+`, `-`, `@`
/// or a tab gets a leading `'`.
fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn a_name_that_looks_like_a_formula_is_quoted() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@sum"), "'@sum");
        assert_eq!(spreadsheet_safe("Ana-Maria"), "Ana-Maria");
    }
}

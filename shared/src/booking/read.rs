//! Reading bookings: one (with everything its page shows), a page of a list, the trail;
//! only what the reader may see.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use db::{Tx, on, ts};

use super::permission::can_see;
use super::rows::{self, BookingRow, convert};
use super::{Booking, Bookings, HistoryEntry, history};
use crate::assignment::{self, AssignmentState, Attempt};
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role, Status};

/// What a list may filter on. Visibility is applied on top, always.
#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub status: Option<Status>,
    /// Only bookings a provider holds (assigned, accepted, in progress).
    pub active: bool,
    pub provider_id: Option<i64>,
    /// Only bookings of this service type.
    pub service_type: Option<String>,
    /// Case-insensitive text search over name, e-mail, phone, address, service, notes and
    /// the provider's name; `57` or `#57` also finds booking 57.
    pub q: Option<String>,
    /// Only bookings starting in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// For a provider: every booking they were offered, held or handled (those they
    /// declined or let expire too, read-only), rather than those they hold now.
    pub handled: bool,
    /// Only bookings waiting for an operator: their assignment is exhausted (nobody could
    /// be assigned, or an operator cancelled the search).
    pub waiting: bool,
    pub order: BookingOrder,
    /// Where the previous page ended (its `next_cursor`).
    pub after: Option<Cursor>,
    pub limit: u32,
}

impl BookingFilter {
    /// How many bookings a page holds: the `limit` asked for, 1 to 100.
    pub fn page_size(&self) -> u32 {
        self.limit.clamp(1, 100)
    }
}

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BookingOrder {
    /// Newest first (by id).
    #[default]
    Newest,
    /// Soonest start first (an agenda).
    StartsAt,
}

/// Where a page ended: below an id (newest first), or after a start and id (by start).
/// Written the same way for both orders (`starts_at_ms.id`), so that any cursor of the
/// documented form reads in either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    BeforeId(i64),
    After { starts_at: DateTime<Utc>, id: i64 },
}

impl Cursor {
    /// The cursor after `booking`, the last of a page in `order`.
    pub fn after(booking: &Booking, order: BookingOrder) -> Cursor {
        match order {
            BookingOrder::Newest => Cursor::BeforeId(booking.id),
            BookingOrder::StartsAt => Cursor::After {
                starts_at: booking.starts_at,
                id: booking.id,
            },
        }
    }

    /// As a `next_cursor`: `starts_at_ms.id` (a page newest first reads only the id).
    pub fn encode(&self, last: &Booking) -> String {
        let id = match self {
            Cursor::BeforeId(id) | Cursor::After { id, .. } => *id,
        };
        format!("{}.{id}", last.starts_at.timestamp_millis())
    }

    /// A `next_cursor` read for a list in `order` (a bare id too, newest first, as
    /// cursors were once written); `None` when it is not one.
    pub fn decode(s: &str, order: BookingOrder) -> Option<Cursor> {
        let positive = |t: &str| t.parse::<i64>().ok().filter(|n| *n > 0);
        let (ms, id) = match s.split_once('.') {
            Some((ms, id)) => (Some(ms), positive(id)?),
            None => (None, positive(s)?),
        };
        match order {
            BookingOrder::Newest => Some(Cursor::BeforeId(id)),
            BookingOrder::StartsAt => Some(Cursor::After {
                starts_at: DateTime::from_timestamp_millis(ms?.parse().ok()?)?,
                id,
            }),
        }
    }
}

/// One page of bookings, newest first.
#[derive(Debug, Clone)]
pub struct BookingPage {
    pub items: Vec<Booking>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// How many bookings match the filter, on every page together: counted for operators
    /// (admins and viewers), whose lists are the whole book; `None` for anyone else.
    pub total: Option<i64>,
    /// When the offer of each offered booking on the page (`assigned`) lapses unanswered,
    /// by booking id; not for a booking its reader no longer holds.
    pub offer_deadlines: std::collections::HashMap<i64, DateTime<Utc>>,
    /// In a provider's record (`handled`), how each booking they no longer hold left them,
    /// by booking id.
    pub passed_on: std::collections::HashMap<i64, PassedOn>,
}

/// How a booking left a provider who once held it, as their record says.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassedOn {
    /// They rejected the offer.
    Declined,
    /// They did not answer the offer in time.
    Lapsed,
    /// They were reported absent.
    Absent,
    /// Dispatch took it back: an operator gave it to someone else, or it moved to a time
    /// they were not free.
    TakenBack,
}

impl PassedOn {
    /// From the outcome of the provider's latest attempt at the booking.
    fn after(outcome: &str) -> PassedOn {
        match assignment::AttemptOutcome::parse(outcome) {
            Some(assignment::AttemptOutcome::Rejected) => PassedOn::Declined,
            Some(assignment::AttemptOutcome::Expired) => PassedOn::Lapsed,
            Some(assignment::AttemptOutcome::NoShow) => PassedOn::Absent,
            _ => PassedOn::TakenBack,
        }
    }
}

/// How each of `booking_ids`, which `provider` no longer holds, left them: from their
/// latest attempt at each (down `assignment_attempts_of_provider`).
async fn passed_on(
    db: &db::Db,
    provider: i64,
    booking_ids: &[i64],
) -> Result<std::collections::HashMap<i64, PassedOn>, StoreError> {
    if booking_ids.is_empty() {
        return Ok(Default::default());
    }
    let ids = db::json_ids(booking_ids);
    macro_rules! attempts_among {
        ($($ids:tt)*) => {
            concat!(
                "SELECT booking_id, outcome FROM assignment_attempts WHERE provider_id = $1 \
                 AND booking_id IN ",
                $($ids)*,
                " ORDER BY id"
            )
        };
    }
    let sql = db::dialect!(db,
        sqlite: attempts_among!(db::ids_of_json!(sqlite, "$2")),
        postgres: attempts_among!(db::ids_of_json!(postgres, "$2")),
    );
    let rows: Vec<(i64, String)> = on!(db, |p| sqlx::query_as(sql)
        .bind(provider)
        .bind(&ids)
        .fetch_all(p)
        .await)?;
    // A booking in their record with no attempt of theirs was theirs by an override.
    let mut passed: std::collections::HashMap<i64, PassedOn> = booking_ids
        .iter()
        .map(|id| (*id, PassedOn::TakenBack))
        .collect();
    // In id order: each booking's latest attempt is written last, and has the last word.
    for (booking, outcome) in rows {
        passed.insert(booking, PassedOn::after(&outcome));
    }
    Ok(passed)
}

/// A booking with everything its page shows. A provider who no longer holds it (they
/// declined it, let the offer expire, or were reported absent) sees it read-only,
/// without the customer's contact details, and only the history and attempts that
/// concern them.
#[derive(Debug, Clone)]
pub struct BookingDetail {
    pub booking: Booking,
    pub history: Vec<HistoryEntry>,
    pub attempts: Vec<Attempt>,
    pub assignment: Option<AssignmentState>,
    /// The names of the providers this booking mentions (its own, and those in its
    /// history and attempts), so that every reader of the page can name them.
    pub provider_names: BTreeMap<i64, String>,
}

/// The booking if `actor` may see it; otherwise `NotFound`, so that nobody learns which
/// ids exist.
pub(crate) async fn visible(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Booking, StoreError> {
    let booking = rows::fetch(tx, id).await?;
    if !can_see(actor.role, booking.relation_to(actor)) {
        return Err(DomainError::NotFound {
            entity: "booking",
            id,
        }
        .into());
    }
    Ok(booking)
}

/// The provider `actor` acts for, when they were offered booking `id` before but do not
/// hold it now: they may read it, without the customer's contact details.
async fn former_provider(
    tx: &mut Tx,
    actor: &Actor,
    booking: &Booking,
) -> Result<Option<i64>, StoreError> {
    let Some(me) = actor.provider_id.filter(|_| actor.role == Role::Provider) else {
        return Ok(None);
    };
    if booking.provider_id == Some(me) {
        return Ok(None);
    }
    let offered: bool = on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM assignment_attempts WHERE booking_id = $1 AND provider_id = $2)",
        )
        .bind(booking.id)
        .bind(me)
        .fetch_one(c)
        .await
    })?;
    Ok(offered.then_some(me))
}

/// What a provider who no longer holds a booking does not see of it.
fn without_contact(mut booking: Booking) -> Booking {
    booking.customer_phone = String::new();
    booking.customer_email = String::new();
    booking.notes = None;
    booking
}

/// A parameter of a built statement. The list's statements are not kept prepared
/// (`persistent(false)`): PostgreSQL then plans each with its values, where a kept one gets
/// a generic plan after five runs, blind to how few bookings have a status or contain a
/// piece of text, one that may read every booking.
#[derive(Debug, Clone)]
enum Param {
    Int(i64),
    Text(String),
    Time(db::Ts),
}

/// The list's condition, built from the filters present only, so that each can use its
/// index (a `$1 IS NULL OR ...` condition cannot): its text and its parameters, numbered
/// in the order they were added.
#[derive(Debug, Default)]
struct Condition {
    /// What every booking listed meets.
    clauses: Vec<String>,
    /// A text search's ways of matching, of which a booking listed meets at least one:
    /// each is read from its own index.
    any_of: Vec<String>,
    params: Vec<Param>,
}

impl Condition {
    /// The placeholder of a new parameter.
    fn param(&mut self, value: Param) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    fn and(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    fn is_empty(&self) -> bool {
        self.clauses.is_empty() && self.any_of.is_empty()
    }

    /// The statement that counts the bookings matching. With a text search, it adds up
    /// each way of matching's bookings that no earlier way matched: each is counted down
    /// its own index, and none twice. (ORed together, PostgreSQL cannot tell how many
    /// bookings each way matches, and reads every booking; a union gathers every match
    /// to remove those matched twice, which takes longer than the counting.)
    fn count_sql(&self) -> String {
        let clauses = Self::joined(&self.clauses);
        if self.any_of.is_empty() {
            return format!("SELECT COUNT(*) FROM bookings WHERE {clauses}");
        }
        let counts: Vec<String> = (0..self.any_of.len())
            .map(|i| {
                let earlier: String = self.any_of[..i]
                    .iter()
                    .map(|way| format!(" AND NOT COALESCE(({way}), FALSE)"))
                    .collect();
                format!(
                    "(SELECT COUNT(*) FROM bookings WHERE ({}) AND {clauses}{earlier})",
                    self.any_of[i]
                )
            })
            .collect();
        format!("SELECT {}", counts.join(" + "))
    }

    fn joined(clauses: &[String]) -> String {
        if clauses.is_empty() {
            "1 = 1".into()
        } else {
            clauses.join(" AND ")
        }
    }

    /// The bookings of one page: the first `rows` in `order`. With a text search, each way
    /// of matching gives its own first `rows` down its index, and the page is the first
    /// of these together: when a provider's name matches tens of thousands of bookings,
    /// only a page's worth of them is read and sorted, not all.
    fn page_sql(&self, order: &str, rows: i64) -> String {
        let columns = rows::booking_columns!();
        let clauses = Self::joined(&self.clauses);
        if self.any_of.is_empty() {
            return format!("SELECT {columns} FROM bookings WHERE {clauses} {order} LIMIT {rows}");
        }
        let firsts: Vec<String> = self
            .any_of
            .iter()
            .enumerate()
            .map(|(i, way)| {
                format!(
                    "SELECT id FROM (SELECT id FROM bookings WHERE ({way}) AND {clauses} \
                     {order} LIMIT {rows}) AS way_{i}"
                )
            })
            .collect();
        format!(
            "SELECT {columns} FROM bookings WHERE id IN ({}) {order} LIMIT {rows}",
            firsts.join(" UNION ")
        )
    }
}

/// Binds a built statement's parameters, in order.
macro_rules! bind_params {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                Param::Int(v) => query.bind(*v),
                Param::Text(v) => query.bind(v.as_str()),
                Param::Time(v) => query.bind(*v),
            };
        }
        query
    }};
}

/// The text of a search as a `LIKE` pattern (`%`, `_` and `\` taken literally), or none
/// when it is blank.
fn like_pattern(q: Option<&str>) -> Option<String> {
    let q = q.map(str::trim).filter(|q| !q.is_empty())?;
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}

/// The case-insensitive `LIKE` of each backend: SQLite's LIKE ignores ASCII case;
/// PostgreSQL's ILIKE is the same search.
fn like(postgres: bool) -> &'static str {
    if postgres { "ILIKE" } else { "LIKE" }
}

/// The searched columns a provider still sees of a booking they no longer hold, and the
/// rest ([`without_contact`] empties them).
const SEEN_BY_FORMER_PROVIDERS: &[&str] = &["customer_name", "address", "service_type"];
const CONTACT: &[&str] = &["customer_email", "customer_phone", "notes"];

/// The list's filter and the caller's visibility. `customer` and `provider` are what the
/// caller may see (their own bookings), `offered_to` a provider's handled list (every
/// booking they were offered). Text search ([`like`]) also matches the name of the
/// provider who holds the booking (`named`: the providers whose name contains it), and
/// `57` or `#57` finds booking 57.
fn list_condition(
    postgres: bool,
    filter: &BookingFilter,
    named: &[i64],
    customer: Option<i64>,
    provider: Option<i64>,
    offered_to: Option<i64>,
) -> Condition {
    let mut c = Condition::default();
    if let Some(id) = customer {
        let p = c.param(Param::Int(id));
        c.and(format!("customer_id = {p}"));
    }
    for id in [provider, filter.provider_id].into_iter().flatten() {
        let p = c.param(Param::Int(id));
        c.and(format!("provider_id = {p}"));
    }
    if let Some(status) = filter.status {
        let p = c.param(Param::Text(status.as_str().into()));
        c.and(format!("status = {p}"));
    }
    if let Some(service) = &filter.service_type {
        let p = c.param(Param::Text(service.clone()));
        c.and(format!("service_type = {p}"));
    }
    if filter.waiting {
        // As the partial index `bookings_waiting` says it, so that it is read.
        c.and("assignment_exhausted".into());
    }
    if let Some(pattern) = like_pattern(filter.q.as_deref()) {
        let like = like(postgres);
        let text = filter.q.as_deref().unwrap_or_default().trim();
        // On SQLite, three characters or more are looked up in the index of trigrams
        // (migration 0014_search) as a phrase; PostgreSQL's trigram indexes serve ILIKE.
        // A provider's handled list holds bookings they no longer hold, without the
        // customer's contact details and notes (`without_contact`): those are searched
        // only in the bookings they hold, or the search would tell them what the page
        // withholds.
        let holder = offered_to.map(|me| c.param(Param::Int(me)));
        let words: Vec<String> = if !postgres && text.chars().count() >= 3 {
            let phrase = format!("\"{}\"", text.replace('"', "\"\""));
            let matching = |query: &str| {
                format!(
                    "id IN (SELECT rowid FROM bookings_search WHERE bookings_search MATCH {query})"
                )
            };
            let every = c.param(Param::Text(phrase.clone()));
            match holder {
                None => vec![matching(&every)],
                Some(me) => {
                    let seen = c.param(Param::Text(format!(
                        "{{{}}} : {phrase}",
                        SEEN_BY_FORMER_PROVIDERS.join(" ")
                    )));
                    vec![
                        matching(&seen),
                        format!("(provider_id = {me} AND {})", matching(&every)),
                    ]
                }
            }
        } else {
            let p = c.param(Param::Text(pattern));
            let like_in = |columns: &[&str]| -> Vec<String> {
                columns
                    .iter()
                    .map(|column| format!("{column} {like} {p} ESCAPE '\\'"))
                    .collect()
            };
            let mut words = like_in(SEEN_BY_FORMER_PROVIDERS);
            match holder {
                None => words.extend(like_in(CONTACT)),
                Some(me) => words.push(format!(
                    "(provider_id = {me} AND ({}))",
                    like_in(CONTACT).join(" OR ")
                )),
            }
            words
        };
        let number = filter
            .q
            .as_deref()
            .map(|q| q.trim().trim_start_matches('#'))
            .and_then(|q| q.parse::<i64>().ok())
            .map(|n| c.param(Param::Int(n)));
        // A provider's name first, as it may match every booking they ever held: each
        // later way's count leaves out what an earlier way matched by checking its own
        // bookings, which are fewer. The providers are named by their ids (several in one
        // parameter), so that the database plans with how many bookings they hold, and
        // reads one provider's in order down an index; a name nobody has adds no way.
        if let [one] = named {
            let id = c.param(Param::Int(*one));
            c.any_of.push(format!("provider_id = {id}"));
        } else if !named.is_empty() {
            let ids: Vec<String> = named.iter().map(i64::to_string).collect();
            let held_by = if postgres {
                let ids = c.param(Param::Text(ids.join(",")));
                format!("provider_id = ANY (CAST(string_to_array({ids}, ',') AS BIGINT[]))")
            } else {
                let ids = c.param(Param::Text(format!("[{}]", ids.join(","))));
                format!("provider_id IN (SELECT value FROM json_each({ids}))")
            };
            c.any_of.push(held_by);
        }
        c.any_of.push(words.join(" OR "));
        c.any_of.extend(number.map(|n| format!("id = {n}")));
    }
    if filter.active {
        c.and("status IN ('assigned', 'accepted', 'in_progress')".into());
    }
    if let Some(from) = filter.from {
        let p = c.param(Param::Time(ts(from)));
        c.and(format!("starts_at >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = c.param(Param::Time(ts(to)));
        c.and(format!("starts_at < {p}"));
    }
    if let Some(me) = offered_to {
        let p = c.param(Param::Int(me));
        if c.is_empty() && filter.order == BookingOrder::Newest {
            // Nothing else filters this newest-first page: its bookings are among the
            // newest page's worth the provider held and the newest they were offered
            // (each read down its index), whatever their number.
            let (held_below, offered_below) = match filter.after {
                Some(Cursor::BeforeId(id)) => {
                    let b = c.param(Param::Int(id));
                    (format!(" AND id < {b}"), format!(" AND booking_id < {b}"))
                }
                _ => (String::new(), String::new()),
            };
            let page = i64::from(filter.page_size()) + 1;
            c.and(format!(
                "id IN (SELECT id FROM (SELECT id FROM bookings \
                 WHERE provider_id = {p}{held_below} ORDER BY id DESC LIMIT {page}) AS held \
                 UNION SELECT booking_id FROM (SELECT DISTINCT booking_id FROM assignment_attempts \
                 WHERE provider_id = {p}{offered_below} ORDER BY booking_id DESC LIMIT {page}) AS offered)"
            ));
        } else {
            c.and(format!(
                "id IN (SELECT id FROM bookings WHERE provider_id = {p} \
                 UNION SELECT booking_id FROM assignment_attempts WHERE provider_id = {p})"
            ));
        }
    }
    c
}

/// The providers whose name matches a search's `LIKE` pattern, in any case.
async fn named_providers(
    db: &db::Db,
    postgres: bool,
    pattern: &str,
) -> Result<Vec<i64>, StoreError> {
    let like = like(postgres);
    let named = format!("SELECT id FROM providers WHERE name {like} $1 ESCAPE '\\' ORDER BY id");
    Ok(on!(db, |p| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(named.as_str()))
            .bind(pattern)
            .fetch_all(p)
            .await
    })?)
}

/// How many bookings `filter` matches, from the kept counts, when it filters by status,
/// activity and service alone (and the caller sees every booking); otherwise none.
async fn counted_total(db: &db::Db, filter: &BookingFilter) -> Result<Option<i64>, StoreError> {
    let other = filter.provider_id.is_some()
        || filter.waiting
        || like_pattern(filter.q.as_deref()).is_some()
        || filter.from.is_some()
        || filter.to.is_some();
    if other {
        return Ok(None);
    }
    let statuses: Vec<Status> = match (filter.status, filter.active) {
        (Some(s), true) if !s.is_active_for_provider() => return Ok(Some(0)),
        (Some(s), _) => vec![s],
        (None, true) => Status::ALL
            .into_iter()
            .filter(|s| s.is_active_for_provider())
            .collect(),
        (None, false) => Vec::new(),
    };
    let counts = super::counts::read(db).await?;
    Ok(Some(
        counts.matching(&statuses, filter.service_type.as_deref()),
    ))
}

impl Bookings {
    /// The booking if `actor` may see it; otherwise `NotFound`.
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<Booking, StoreError> {
        let mut tx = self.db.read().await?;
        visible(&mut tx, actor, id).await
    }

    /// The booking with its history, attempts and assignment state, read in one
    /// transaction so that they agree (a job seen dead has its booking seen exhausted).
    pub async fn detail(&self, actor: &Actor, id: i64) -> Result<BookingDetail, StoreError> {
        let mut tx = self.db.read().await?;
        let booking = rows::fetch(&mut tx, id).await?;
        let former = former_provider(&mut tx, actor, &booking).await?;
        if former.is_none() && !can_see(actor.role, booking.relation_to(actor)) {
            return Err(DomainError::NotFound {
                entity: "booking",
                id,
            }
            .into());
        }
        let mut history = history::of_booking(&mut tx, id).await?;
        let mut attempts = assignment::attempts_of(&mut tx, id).await?;
        let assignment = assignment::state_of(&mut tx, &booking).await?;
        // The providers the page names: the booking's, those in its trail and attempts,
        // and (for the candidates an attempt considered) those of its service.
        let provider_names: Vec<(i64, String)> = on!(tx, |c| {
            sqlx::query_as(
                "SELECT id, name FROM providers WHERE id IN ( \
                     SELECT provider_id FROM bookings WHERE id = $1 \
                     UNION SELECT provider_id FROM booking_history WHERE booking_id = $1 \
                     UNION SELECT provider_id FROM assignment_attempts WHERE booking_id = $1 \
                     UNION SELECT provider_id FROM provider_services WHERE service_type = $2)",
            )
            .bind(id)
            .bind(&booking.service_type)
            .fetch_all(c)
            .await
        })?;
        tx.commit().await?;
        let mut provider_names: BTreeMap<i64, String> = provider_names.into_iter().collect();
        let booking = match former {
            Some(me) => {
                history.retain(|h| h.provider_id == Some(me));
                attempts.retain(|a| a.provider_id == Some(me));
                provider_names.retain(|id, _| *id == me);
                without_contact(booking)
            }
            None => booking,
        };
        Ok(BookingDetail {
            booking,
            history,
            attempts,
            assignment: if former.is_some() { None } else { assignment },
            provider_names,
        })
    }

    /// When the offer of `booking` lapses unanswered, while it is offered (`assigned`):
    /// for a booking its caller has just changed, to show it as the lists do.
    pub async fn offer_deadline(
        &self,
        booking: &Booking,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        if booking.status != Status::Assigned {
            return Ok(None);
        }
        let mut tx = self.db.read().await?;
        let mut deadlines = assignment::offer_deadlines(&mut tx, &[booking.id]).await?;
        tx.commit().await?;
        Ok(deadlines.remove(&booking.id))
    }

    /// The audit trail of a booking `actor` may see, oldest first.
    pub async fn history(&self, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        Ok(self.detail(actor, id).await?.history)
    }

    /// A page of the bookings `actor` may see, matching `filter`, in its order. A
    /// provider's `handled` list includes the bookings they no longer hold, without the
    /// customer's contact details.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &BookingFilter,
    ) -> Result<BookingPage, StoreError> {
        let me = actor.provider_id.unwrap_or(-1);
        let (customer, provider, offered_to) = match actor.role {
            Role::Admin | Role::Viewer | Role::System => (None, None, None),
            Role::Customer => (Some(actor.user_id.unwrap_or(-1)), None, None),
            Role::Provider if filter.handled => (None, None, Some(me)),
            Role::Provider => (None, Some(me), None),
        };
        let limit = filter.page_size();
        let postgres = self.db.backend() == db::Backend::Postgres;
        let named = match like_pattern(filter.q.as_deref()) {
            Some(pattern) => named_providers(&self.db, postgres, &pattern).await?,
            None => Vec::new(),
        };
        let mut condition =
            list_condition(postgres, filter, &named, customer, provider, offered_to);
        // How many the filter matches, whatever the page: from the kept counts when it
        // filters by status and service only.
        let total = if !actor.sees_everything() {
            None
        } else if let Some(total) = counted_total(&self.db, filter).await? {
            Some(total)
        } else {
            let count = condition.count_sql();
            Some(on!(self.db, |p| {
                bind_params!(
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count)),
                    &condition.params
                )
                .persistent(false)
                .fetch_one(p)
                .await
            })?)
        };
        let order = match (filter.order, filter.after) {
            (BookingOrder::Newest, after) => {
                if let Some(Cursor::BeforeId(id)) = after {
                    let p = condition.param(Param::Int(id));
                    condition.and(format!("id < {p}"));
                }
                "ORDER BY id DESC"
            }
            (BookingOrder::StartsAt, after) => {
                if let Some(Cursor::After { starts_at, id }) = after {
                    let at = condition.param(Param::Time(ts(starts_at)));
                    let id = condition.param(Param::Int(id));
                    condition.and(format!(
                        "(starts_at > {at} OR (starts_at = {at} AND id > {id}))"
                    ));
                }
                "ORDER BY starts_at, id"
            }
        };
        let page = condition.page_sql(order, i64::from(limit) + 1);
        let rows: Vec<BookingRow> = on!(self.db, |p| {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(page)), &condition.params)
                .persistent(false)
                .fetch_all(p)
                .await
        })?;
        let mut items: Vec<Booking> = convert(rows)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|b| Cursor::after(b, filter.order).encode(b))
        } else {
            None
        };
        let offered: Vec<i64> = items
            .iter()
            .filter(|b| b.status == Status::Assigned)
            .filter(|b| offered_to.is_none() || b.provider_id == offered_to)
            .map(|b| b.id)
            .collect();
        let offer_deadlines = if offered.is_empty() {
            Default::default()
        } else {
            let mut tx = self.db.read().await?;
            let deadlines = assignment::offer_deadlines(&mut tx, &offered).await?;
            tx.commit().await?;
            deadlines
        };
        let passed_on = match offered_to {
            Some(me) => {
                let gone: Vec<i64> = items
                    .iter()
                    .filter(|b| b.provider_id != Some(me))
                    .map(|b| b.id)
                    .collect();
                passed_on(&self.db, me, &gone).await?
            }
            None => Default::default(),
        };
        if let Some(me) = offered_to {
            items = items
                .into_iter()
                .map(|b| {
                    if b.provider_id == Some(me) {
                        b
                    } else {
                        without_contact(b)
                    }
                })
                .collect();
        }
        Ok(BookingPage {
            items,
            next_cursor,
            total,
            offer_deadlines,
            passed_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::AttemptOutcome;

    /// A provider's latest attempt at a booking says how it left them: what they did
    /// (declined, let it lapse, did not come), or else dispatch took it back.
    #[test]
    fn how_a_booking_left_its_provider_follows_their_latest_attempt() {
        for outcome in AttemptOutcome::ALL {
            let expected = match outcome {
                AttemptOutcome::Rejected => PassedOn::Declined,
                AttemptOutcome::Expired => PassedOn::Lapsed,
                AttemptOutcome::NoShow => PassedOn::Absent,
                AttemptOutcome::Assigned
                | AttemptOutcome::Manual
                | AttemptOutcome::NoProvider
                | AttemptOutcome::Error => PassedOn::TakenBack,
            };
            assert_eq!(PassedOn::after(outcome.as_str()), expected, "{outcome:?}");
        }
    }
}

//! Reading bookings: one (with everything its page shows), a page of a list, the trail;
//! only what the reader may see.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use db::{Tx, dialect, on, ts};

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
    pub order: BookingOrder,
    /// Where the previous page ended (its `next_cursor`).
    pub after: Option<Cursor>,
    pub limit: u32,
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

/// Text search: SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is the same search.
/// Parameters: $1 customer (visibility), $2 provider (visibility), $3 provider
/// (filter), $4 status, $5 below this id, $6 text pattern, $7 limit, $8 only active, $9
/// starting from, $10 starting before, $11 offered to this provider, $12 and $13 after
/// this start and id, $14 the booking number the text names (`57` or `#57`), $15 service
/// type. The text also matches the name of the provider who holds the booking (whom the
/// caller sees). The page's condition is the filter's ([`list_filter`]) and the
/// cursor's; the count is the filter's alone, given the same parameters.
macro_rules! list_sql {
    ($like:literal, $order:literal) => {
        concat!(
            "SELECT ",
            $crate::booking::rows::booking_columns!(),
            " FROM bookings WHERE ",
            list_filter!($like),
            "AND ($5 IS NULL OR id < $5) ",
            "AND ($12 IS NULL OR starts_at > $12 OR (starts_at = $12 AND id > $13)) ",
            $order,
            " LIMIT $7"
        )
    };
}

/// How many bookings the filter matches, whatever the page (the cursor's and limit's
/// parameters are bound and unused).
macro_rules! count_sql {
    ($like:literal) => {
        concat!("SELECT COUNT(*) FROM bookings WHERE ", list_filter!($like))
    };
}

/// The list's filter and the caller's visibility (see [`list_sql`] for the parameters).
macro_rules! list_filter {
    ($like:literal) => {
        concat!(
            "($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR provider_id = $2) ",
            "AND ($3 IS NULL OR provider_id = $3) AND ($4 IS NULL OR status = $4) ",
            "AND ($15 IS NULL OR service_type = $15) ",
            "AND ($6 IS NULL OR customer_name ",
            $like,
            " $6 ESCAPE '\\' OR customer_email ",
            $like,
            " $6 ESCAPE '\\' ",
            "OR customer_phone ",
            $like,
            " $6 ESCAPE '\\' OR address ",
            $like,
            " $6 ESCAPE '\\' ",
            "OR service_type ",
            $like,
            " $6 ESCAPE '\\' OR notes ",
            $like,
            " $6 ESCAPE '\\' ",
            "OR id = $14 OR EXISTS (SELECT 1 FROM providers pv WHERE pv.id = bookings.provider_id ",
            "AND pv.name ",
            $like,
            " $6 ESCAPE '\\')) ",
            "AND (NOT $8 OR status IN ('assigned', 'accepted', 'in_progress')) ",
            "AND ($9 IS NULL OR starts_at >= $9) AND ($10 IS NULL OR starts_at < $10) ",
            "AND ($11 IS NULL OR provider_id = $11 OR EXISTS (SELECT 1 FROM assignment_attempts a ",
            "WHERE a.booking_id = bookings.id AND a.provider_id = $11)) "
        )
    };
}

mod sqlite {
    pub const NEWEST: &str = list_sql!("LIKE", "ORDER BY id DESC");
    pub const BY_START: &str = list_sql!("LIKE", "ORDER BY starts_at, id");
    pub const COUNT: &str = count_sql!("LIKE");
}
mod postgres {
    pub const NEWEST: &str = list_sql!("ILIKE", "ORDER BY id DESC");
    pub const BY_START: &str = list_sql!("ILIKE", "ORDER BY starts_at, id");
    pub const COUNT: &str = count_sql!("ILIKE");
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
        let limit = filter.limit.clamp(1, 100);
        let pattern = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| {
                let escaped = q
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            });
        let number = filter
            .q
            .as_deref()
            .map(|q| q.trim().trim_start_matches('#'))
            .and_then(|q| q.parse::<i64>().ok());
        let sql = match filter.order {
            BookingOrder::Newest => {
                dialect!(self.db, sqlite: sqlite::NEWEST, postgres: postgres::NEWEST)
            }
            BookingOrder::StartsAt => {
                dialect!(self.db, sqlite: sqlite::BY_START, postgres: postgres::BY_START)
            }
        };
        let (before_id, after) = match filter.after {
            Some(Cursor::BeforeId(id)) => (Some(id), None),
            Some(Cursor::After { starts_at, id }) => (None, Some((ts(starts_at), id))),
            None => (None, None),
        };
        // The same fifteen parameters for the page and for the count.
        macro_rules! bind_filter {
            ($query:expr) => {
                $query
                    .bind(customer)
                    .bind(provider)
                    .bind(filter.provider_id)
                    .bind(filter.status.map(Status::as_str))
                    .bind(before_id)
                    .bind(&pattern)
                    .bind(i64::from(limit) + 1)
                    .bind(filter.active)
                    .bind(filter.from.map(ts))
                    .bind(filter.to.map(ts))
                    .bind(offered_to)
                    .bind(after.map(|a| a.0))
                    .bind(after.map(|a| a.1))
                    .bind(number)
                    .bind(filter.service_type.as_deref())
            };
        }
        let rows: Vec<BookingRow> = on!(self.db, |p| {
            bind_filter!(sqlx::query_as(sql)).fetch_all(p).await
        })?;
        let total = if actor.sees_everything() {
            let count = dialect!(self.db, sqlite: sqlite::COUNT, postgres: postgres::COUNT);
            Some(on!(self.db, |p| {
                bind_filter!(sqlx::query_scalar::<_, i64>(count))
                    .fetch_one(p)
                    .await
            })?)
        } else {
            None
        };
        let mut items: Vec<Booking> = convert(rows)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|b| Cursor::after(b, filter.order).encode(b))
        } else {
            None
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
        })
    }
}

//! Reading bookings: one (with everything its page shows), a page of a list, the trail;
//! only what the reader may see.

use std::collections::BTreeMap;

use db::{Tx, dialect, on};

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
    pub provider_id: Option<i64>,
    /// Case-insensitive text search over name, e-mail, phone, address, service and notes.
    pub q: Option<String>,
    /// Only bookings with an id below this one (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// One page of bookings, newest first.
#[derive(Debug, Clone)]
pub struct BookingPage {
    pub items: Vec<Booking>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A booking with everything its page shows.
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
async fn visible(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Booking, StoreError> {
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

/// Text search: SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is the same search.
macro_rules! list_sql {
    ($like:literal) => {
        concat!(
            "SELECT ",
            $crate::booking::rows::booking_columns!(),
            " FROM bookings WHERE ($1 IS NULL OR customer_id = $1) AND ($2 IS NULL OR provider_id = $2) ",
            "AND ($3 IS NULL OR provider_id = $3) AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR id < $5) ",
            "AND ($6 IS NULL OR customer_name ", $like, " $6 ESCAPE '\\' OR customer_email ", $like, " $6 ESCAPE '\\' ",
            "OR customer_phone ", $like, " $6 ESCAPE '\\' OR address ", $like, " $6 ESCAPE '\\' ",
            "OR service_type ", $like, " $6 ESCAPE '\\' OR notes ", $like, " $6 ESCAPE '\\') ",
            "ORDER BY id DESC LIMIT $7"
        )
    };
}

mod sqlite {
    pub const LIST: &str = list_sql!("LIKE");
}
mod postgres {
    pub const LIST: &str = list_sql!("ILIKE");
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
        let booking = visible(&mut tx, actor, id).await?;
        let history = history::of_booking(&mut tx, id).await?;
        let attempts = assignment::attempts_of(&mut tx, id).await?;
        let assignment = assignment::state_of(&mut tx, &booking).await?;
        let provider_names: Vec<(i64, String)> = on!(tx, |c| {
            sqlx::query_as(
                "SELECT id, name FROM providers WHERE id IN ( \
                     SELECT provider_id FROM bookings WHERE id = $1 \
                     UNION SELECT provider_id FROM booking_history WHERE booking_id = $1 \
                     UNION SELECT provider_id FROM assignment_attempts WHERE booking_id = $1)",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?;
        tx.commit().await?;
        Ok(BookingDetail {
            booking,
            history,
            attempts,
            assignment,
            provider_names: provider_names.into_iter().collect(),
        })
    }

    /// The audit trail of a booking `actor` may see, oldest first.
    pub async fn history(&self, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut tx = self.db.read().await?;
        visible(&mut tx, actor, id).await?;
        history::of_booking(&mut tx, id).await
    }

    /// A page of the bookings `actor` may see, matching `filter`, newest first.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &BookingFilter,
    ) -> Result<BookingPage, StoreError> {
        let (customer, provider) = match actor.role {
            Role::Admin | Role::System => (None, None),
            Role::Customer => (Some(actor.user_id.unwrap_or(-1)), None),
            Role::Provider => (None, Some(actor.provider_id.unwrap_or(-1))),
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
        let sql = dialect!(self.db, sqlite: sqlite::LIST, postgres: postgres::LIST);
        let rows: Vec<BookingRow> = on!(self.db, |p| {
            sqlx::query_as(sql)
                .bind(customer)
                .bind(provider)
                .bind(filter.provider_id)
                .bind(filter.status.map(Status::as_str))
                .bind(filter.before_id)
                .bind(&pattern)
                .bind(i64::from(limit) + 1)
                .fetch_all(p)
                .await
        })?;
        let mut items: Vec<Booking> = convert(rows)?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|b| b.id.to_string())
        } else {
            None
        };
        Ok(BookingPage { items, next_cursor })
    }
}

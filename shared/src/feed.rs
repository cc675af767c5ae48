//! The event feed: history rows in the order they became visible, filtered to what a
//! caller may see. The API's event stream reads it when this process commits (the
//! [`db::Db::commits`] signal) and polls it for the commits of other processes (workers
//! included), so every change reaches clients; [`Feed`] is its entry point.
//!
//! A reader must never pass over a row that commits later with a smaller position.
//! On SQLite, with one writer, rows commit in id order, so a row's position is its id.
//! On PostgreSQL, ids are handed out before commit, so concurrent transactions can
//! commit out of id order; there a row's position is the id of the transaction that
//! wrote it (`tx_id`, migration 0004), and only transactions older than every one still
//! running (the snapshot's `xmin`) are read: that set never grows behind the reader.
//! Rows of one transaction share a position and are always returned together.

use sqlx::FromRow;

use db::{Db, dialect, on};

use crate::booking::HistoryEntry;
use crate::booking::history::HistoryRow;
use crate::error::StoreError;
use crate::{Actor, Role};

/// SQLite: one writer, so rows commit in id order and the id is the position.
mod sqlite {
    use crate::booking::history::history_columns;

    pub const AFTER: &str = concat!(
        "SELECT ",
        history_columns!(),
        ", id AS position FROM booking_history WHERE id > $1 ORDER BY id LIMIT $2"
    );
    pub const LATEST: &str = "SELECT COALESCE(MAX(id), 0) FROM booking_history";
}

/// PostgreSQL: the writing transaction is the position, and only transactions older than
/// every one still running are read.
mod postgres {
    use crate::booking::history::history_columns;

    pub const AFTER: &str = concat!(
        "WITH settled AS (SELECT DISTINCT tx_id FROM booking_history ",
        "WHERE tx_id > $1::text::xid8 AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ",
        "ORDER BY tx_id LIMIT $2) SELECT ",
        history_columns!(),
        ", tx_id::text::bigint AS position FROM booking_history ",
        "WHERE tx_id IN (SELECT tx_id FROM settled) ORDER BY tx_id, id"
    );
    pub const LATEST: &str = "SELECT COALESCE(MAX(tx_id)::text::bigint, 0) FROM booking_history \
         WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())";
}

/// The event feed's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Feed {
    db: Db,
}

/// One history row on the feed, with the position a reader resumes after.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub position: i64,
    pub entry: HistoryEntry,
}

/// What one read of the feed returned.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// The rows the caller may see, in feed order.
    pub events: Vec<Event>,
    /// Where the next read starts: past every row this read looked at, seen or not.
    pub next: i64,
    /// True when the read stopped at its limit and more rows may be waiting.
    pub more: bool,
}

#[derive(FromRow)]
struct EventRow {
    #[sqlx(flatten)]
    row: HistoryRow,
    position: i64,
}

impl Feed {
    pub fn new(db: Db) -> Feed {
        Feed { db }
    }

    /// Changes when this process commits a write (see [`Db::commits`]).
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.db.commits()
    }

    /// The rows after `position` (up to `limit` of them, or of transactions on
    /// PostgreSQL) that `actor` may see.
    pub async fn after(
        &self,
        actor: &Actor,
        position: i64,
        limit: u32,
    ) -> Result<EventBatch, StoreError> {
        let sql = dialect!(self.db, sqlite: sqlite::AFTER, postgres: postgres::AFTER);
        let rows: Vec<EventRow> = on!(self.db, |p| {
            sqlx::query_as(sql)
                .bind(position.max(0))
                .bind(i64::from(limit.max(1)))
                .fetch_all(p)
                .await
        })?;
        let next = rows.last().map_or(position, |r| r.position);
        let mut positions: Vec<i64> = rows.iter().map(|r| r.position).collect();
        positions.dedup();
        let more = positions.len() >= limit as usize;
        let mut events = Vec::new();
        for EventRow { row, position } in rows {
            if visible_to(actor, &row) {
                events.push(Event {
                    position,
                    entry: HistoryEntry::try_from(row)?,
                });
            }
        }
        Ok(EventBatch { events, next, more })
    }

    /// The position of the newest settled row (0 when there is none): where a new
    /// listener starts, and what the API's poller watches for change.
    pub async fn latest_position(&self) -> Result<i64, StoreError> {
        let sql = dialect!(self.db, sqlite: sqlite::LATEST, postgres: postgres::LATEST);
        Ok(on!(self.db, |p| sqlx::query_scalar(sql)
            .fetch_one(p)
            .await)?)
    }
}

/// Who sees a history row on the feed: admins everything, a customer their bookings, a
/// provider the rows naming them.
fn visible_to(actor: &Actor, row: &HistoryRow) -> bool {
    match actor.role {
        Role::Admin | Role::System => true,
        Role::Customer => actor.user_id == Some(row.customer_id),
        Role::Provider => actor.provider_id.is_some() && row.provider_id == actor.provider_id,
    }
}

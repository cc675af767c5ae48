//! The event feed: history rows in the order they became visible, filtered to what a
//! caller may see. The API's event stream reads it when this process commits (the
//! [`db::Db::commits`] signal) and polls it for the commits of other processes (workers
//! included), so every change reaches clients; [`Feed`] is its entry point.
//!
//! A reader must never pass over a row that commits later with a smaller position.
//! On SQLite, with one writer, rows commit in id order, so a row's position is its id.
//! On PostgreSQL, ids are handed out before commit, so concurrent transactions can
//! commit out of id order; there each row waits in `feed_pending` (put there by a trigger
//! in the transaction that writes it) until [`Feed::sequence`] gives it a position after
//! it committed (migration 0008). One sequencer runs at a time and its positions appear
//! together when it commits, so positions become visible in order; and a transaction
//! left open anywhere on the server holds back nothing but its own rows.

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

/// PostgreSQL: positions handed out after commit, in order, by one sequencer at a time.
mod postgres {
    use crate::booking::history::history_columns;

    pub const AFTER: &str = concat!(
        "SELECT ",
        history_columns!(),
        ", f.position FROM feed f JOIN booking_history ON booking_history.id = f.history_id ",
        "WHERE f.position > $1 ORDER BY f.position LIMIT $2"
    );
    pub const LATEST: &str = "SELECT COALESCE(MAX(position), 0) FROM feed";

    /// Moves the committed rows of `feed_pending` to the feed, positions in history-id
    /// order, if no other sequencer holds the lock (then it will). One statement, so one
    /// transaction: the lock is taken before any position is drawn and released when
    /// they are all visible. A row another sequencer moved meanwhile is skipped (its
    /// DELETE finds it gone).
    pub const SEQUENCE: &str = "WITH turn AS (SELECT pg_try_advisory_xact_lock(7310293875) AS mine), \
         moved AS (DELETE FROM feed_pending WHERE (SELECT mine FROM turn) RETURNING history_id) \
         INSERT INTO feed (position, history_id) \
         SELECT nextval('feed_position'), history_id FROM (SELECT history_id FROM moved ORDER BY history_id) m";
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
    /// The booking's customer (who, besides operators and the provider named, sees it).
    pub customer_id: i64,
}

impl Event {
    /// Whether `actor` may see this row: operators (admins and viewers) see everything, a
    /// customer their bookings, a provider the rows naming them.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match Audience::of(actor) {
            Audience::Everyone => true,
            Audience::Nobody => false,
            own => self.audiences().any(|a| a == own),
        }
    }

    /// The listeners besides operators who see this row: its booking's customer, and the
    /// provider it names.
    pub fn audiences(&self) -> impl Iterator<Item = Audience> + use<> {
        std::iter::once(Audience::Customer(self.customer_id))
            .chain(self.entry.provider_id.map(Audience::Provider))
    }
}

/// What a listener sees of the feed, by who they are: one key per customer and per
/// provider, so that a reader handing rows to many listeners finds each row's listeners
/// by key ([`Event::audiences`]) instead of asking every listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Operators (admins, viewers) and the system: every row.
    Everyone,
    Customer(i64),
    Provider(i64),
    /// A customer or provider without the id that would name their rows: none.
    Nobody,
}

impl Audience {
    pub fn of(actor: &Actor) -> Audience {
        match (actor.role, actor.user_id, actor.provider_id) {
            (Role::Admin | Role::Viewer | Role::System, _, _) => Audience::Everyone,
            (Role::Customer, Some(user), _) => Audience::Customer(user),
            (Role::Provider, _, Some(provider)) => Audience::Provider(provider),
            (Role::Customer | Role::Provider, _, _) => Audience::Nobody,
        }
    }
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

    /// Gives the history rows committed since the last call their feed positions
    /// (PostgreSQL; on SQLite the id is the position and there is nothing to do); how many
    /// it placed. The API's event poller calls it before each look at the feed.
    pub async fn sequence(&self) -> Result<u64, StoreError> {
        match self.db.split() {
            db::Either::Sqlite(_) => Ok(0),
            db::Either::Postgres(p) => Ok(sqlx::query(postgres::SEQUENCE)
                .execute(p)
                .await?
                .rows_affected()),
        }
    }

    /// The rows after `position` (up to `limit` of them) that `actor` may see.
    pub async fn after(
        &self,
        actor: &Actor,
        position: i64,
        limit: u32,
    ) -> Result<EventBatch, StoreError> {
        let mut batch = self.after_all(position, limit).await?;
        batch.events.retain(|event| event.visible_to(actor));
        Ok(batch)
    }

    /// Every row after `position` (up to `limit` of them), whoever may see it: what one
    /// reader hands to many listeners, each keeping what [`Event::visible_to`] its caller.
    pub async fn after_all(&self, position: i64, limit: u32) -> Result<EventBatch, StoreError> {
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
        let events = rows
            .into_iter()
            .map(|EventRow { row, position }| {
                Ok(Event {
                    position,
                    customer_id: row.customer_id,
                    entry: HistoryEntry::try_from(row)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
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

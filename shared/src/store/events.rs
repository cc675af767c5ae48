//! The event feed: history rows after a given id that a caller may see. The API's event
//! stream polls this, so changes made by any process (workers included) reach clients.

use super::Store;
use super::rows::{HistoryRow, convert, history_columns};
use crate::booking::HistoryEntry;
use crate::error::StoreError;
use crate::{Actor, Role};

impl Store {
    /// Up to `limit` history rows with an id above `after_id` that `actor` may see, oldest first.
    pub async fn events_after(
        &self,
        actor: &Actor,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let (customer, provider) = match actor.role {
            Role::Admin | Role::System => (None, None),
            Role::Customer => (Some(actor.user_id.unwrap_or(-1)), None),
            Role::Provider => (None, Some(actor.provider_id.unwrap_or(-1))),
        };
        let rows: Vec<HistoryRow> = sqlx::query_as(concat!(
            "SELECT ",
            history_columns!(),
            " FROM booking_history WHERE id > $1 AND ($2 IS NULL OR customer_id = $2) ",
            "AND ($3 IS NULL OR provider_id = $3) ORDER BY id LIMIT $4"
        ))
        .bind(after_id)
        .bind(customer)
        .bind(provider)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(convert(rows)?)
    }

    /// The id of the newest history row (0 when there is none): where a new listener starts.
    pub async fn latest_event_id(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM booking_history")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

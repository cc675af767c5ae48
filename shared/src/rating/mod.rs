//! The ratings room: customers rate their completed bookings, providers' ratings follow,
//! admins hide comments; [`Ratings`] is its entry point.
//!
//! The customer who owns a completed booking may rate it once, within 30 days of its
//! completion, and change the rating within 24 hours of giving it. Each provider keeps
//! the count and sum of their stars, changed in the same transaction as the rating.
//! Matching ranks providers by a Bayesian average ([`bayesian_rank`]): a provider with
//! few reviews is pulled toward the mean of all reviews, so that one 5-star review does
//! not beat forty 4.8s; a provider without any is ranked by the rating an admin gave
//! them. Pages show the plain mean and the count.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use db::{Db, Ts, Tx, exec, on, ts};

use crate::booking::history::{HistoryNote, append};
use crate::booking::permission::{Relation, can_see};
use crate::booking::read::visible;
use crate::booking::{Booking, rows};
use crate::console::AuditAction;
use crate::error::{DomainError, FieldErrors, StoreError};
use crate::{Actor, Role, Status};

/// How much the mean of all reviews weighs in a provider's rank: as much as this many
/// reviews of their own (the C of (C·m + Σr) / (C + n)).
pub const PRIOR_WEIGHT: f64 = 5.0;
/// How long after completion a booking may be rated.
pub const RATE_WITHIN: Duration = Duration::days(30);
/// How long after rating the customer may change it.
pub const EDIT_WITHIN: Duration = Duration::hours(24);
/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 1000;

/// A provider's rank for matching: (C·m + Σr) / (C + n), with m the mean of every review
/// of every provider; `typed` (the rating an admin gave them) while they have no reviews.
pub fn bayesian_rank(count: i64, sum: i64, mean_of_all: Option<f64>, typed: f64) -> f64 {
    match mean_of_all {
        Some(m) if count > 0 => (PRIOR_WEIGHT * m + sum as f64) / (PRIOR_WEIGHT + count as f64),
        _ => typed,
    }
}

/// The ratings room's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Ratings {
    db: Db,
}

/// One booking's rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub booking_id: i64,
    pub provider_id: i64,
    pub stars: i64,
    /// `None` when none was given, or (for all but admins) when an admin hid it.
    pub comment: Option<String>,
    pub hidden: bool,
    /// Why an admin hid the comment (admins only).
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Until when the customer may still change it.
    pub editable_until: DateTime<Utc>,
}

#[derive(FromRow)]
struct RatingRow {
    booking_id: i64,
    provider_id: i64,
    stars: i64,
    comment: Option<String>,
    hidden_at: Option<Ts>,
    hidden_reason: Option<String>,
    created_at: Ts,
    updated_at: Ts,
}

impl RatingRow {
    /// As `viewer` may see it: a hidden comment and the reason are for operators only.
    fn view(self, viewer: &Actor) -> Rating {
        let hidden = self.hidden_at.is_some();
        let admin = viewer.sees_everything();
        let created_at: DateTime<Utc> = self.created_at.into();
        Rating {
            booking_id: self.booking_id,
            provider_id: self.provider_id,
            stars: self.stars,
            comment: self.comment.filter(|_| !hidden || admin),
            hidden,
            hidden_reason: self.hidden_reason.filter(|_| admin),
            created_at,
            updated_at: self.updated_at.into(),
            editable_until: created_at + EDIT_WITHIN,
        }
    }
}

const SELECT: &str = "SELECT booking_id, provider_id, stars, comment, hidden_at, hidden_reason, \
     created_at, updated_at FROM ratings";

/// Records a rating's change in the booking's trail, which also tells the provider's and
/// the admins' pages (the event feed is the trail).
async fn note_in_history(
    tx: &mut Tx,
    booking: &Booking,
    actor: &Actor,
    what: String,
) -> Result<(), StoreError> {
    let note = HistoryNote {
        old_status: Some(booking.status),
        reason: Some(what),
        is_override: false,
        provider_id: None,
    };
    append(tx, booking, actor, &note).await?;
    Ok(())
}

/// Checks stars and a comment; the comment trimmed, `None` when empty.
fn checked(stars: i64, comment: Option<&str>) -> Result<Option<String>, DomainError> {
    let mut errors = FieldErrors::new();
    if !(1..=5).contains(&stars) {
        errors.insert("stars".into(), "must be a whole number from 1 to 5".into());
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        errors.insert(
            "comment".into(),
            format!("must be at most {MAX_COMMENT} characters"),
        );
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    Ok(comment.map(str::to_owned))
}

impl Ratings {
    pub fn new(db: Db) -> Ratings {
        Ratings { db }
    }

    /// The rating of booking `id`, if it has one and `viewer` may see the booking.
    pub async fn of_booking(&self, viewer: &Actor, id: i64) -> Result<Option<Rating>, StoreError> {
        let mut tx = self.db.read().await?;
        let booking = rows::fetch(&mut tx, id).await?;
        if !can_see(viewer.role, booking.relation_to(viewer)) {
            return Ok(None);
        }
        let row = fetch(&mut tx, id).await?;
        tx.commit().await?;
        Ok(row.map(|r| r.view(viewer)))
    }

    /// Rates booking `id` as `actor`: only its customer, once, when it is completed, and
    /// within [`RATE_WITHIN`] of its completion. The provider's count and sum move in the
    /// same transaction.
    pub async fn rate(
        &self,
        actor: &Actor,
        id: i64,
        stars: i64,
        comment: Option<&str>,
    ) -> Result<Rating, StoreError> {
        let comment = checked(stars, comment)?;
        let mut tx = self.db.write().await?;
        let booking = customers_own(&mut tx, actor, id, "rate a booking").await?;
        let (Status::Completed, Some(provider_id)) = (booking.status, booking.provider_id) else {
            return Err(DomainError::Conflict {
                code: "not_completed",
                message: "only a completed booking can be rated".into(),
            }
            .into());
        };
        let now = tx.now();
        let completed = completed_at(&mut tx, id)
            .await?
            .unwrap_or(booking.updated_at);
        if now > completed + RATE_WITHIN {
            return Err(DomainError::Conflict {
                code: "rating_window_closed",
                message: "a booking can be rated within 30 days of its completion".into(),
            }
            .into());
        }
        let inserted = exec!(tx, |c| {
            sqlx::query(
                "INSERT INTO ratings (booking_id, provider_id, customer_id, stars, comment, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (booking_id) DO NOTHING",
            )
            .bind(id)
            .bind(provider_id)
            .bind(booking.customer_id)
            .bind(stars)
            .bind(comment.as_deref())
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        if inserted == 0 {
            return Err(DomainError::Conflict {
                code: "already_rated",
                message: "this booking is already rated; change the rating instead".into(),
            }
            .into());
        }
        move_provider_totals(&mut tx, provider_id, 1, stars).await?;
        note_in_history(
            &mut tx,
            &booking,
            actor,
            format!("rated {stars} of 5 stars"),
        )
        .await?;
        let row = fetch(&mut tx, id).await?.expect("the rating just written");
        tx.commit().await?;
        Ok(row.view(actor))
    }

    /// Changes the stars and comment of the rating of booking `id`: its customer, within
    /// [`EDIT_WITHIN`] of giving it.
    pub async fn edit(
        &self,
        actor: &Actor,
        id: i64,
        stars: i64,
        comment: Option<&str>,
    ) -> Result<Rating, StoreError> {
        let comment = checked(stars, comment)?;
        let mut tx = self.db.write().await?;
        let booking = customers_own(&mut tx, actor, id, "change a rating").await?;
        let Some(before) = fetch(&mut tx, id).await? else {
            return Err(DomainError::NotFound {
                entity: "rating",
                id,
            }
            .into());
        };
        let now = tx.now();
        let created: DateTime<Utc> = before.created_at.into();
        if now > created + EDIT_WITHIN {
            return Err(DomainError::Conflict {
                code: "edit_window_closed",
                message: "a rating can be changed within 24 hours of giving it".into(),
            }
            .into());
        }
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE ratings SET stars = $2, comment = $3, updated_at = $4 WHERE booking_id = $1",
            )
            .bind(id)
            .bind(stars)
            .bind(comment.as_deref())
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        move_provider_totals(&mut tx, before.provider_id, 0, stars - before.stars).await?;
        let what = format!("rating changed to {stars} of 5 stars");
        note_in_history(&mut tx, &booking, actor, what).await?;
        let row = fetch(&mut tx, id).await?.expect("the rating just written");
        tx.commit().await?;
        Ok(row.view(actor))
    }

    /// Hides (or shows again) the comment of booking `id`'s rating, with a reason
    /// recorded in the booking's trail; admins only. The stars still count.
    pub async fn set_hidden(
        &self,
        admin: &Actor,
        id: i64,
        hidden: bool,
        reason: &str,
    ) -> Result<Rating, StoreError> {
        if admin.role != Role::Admin {
            return Err(DomainError::not_permitted(admin.role, "hide a review").into());
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(DomainError::field("reason", "say why, in at most 1000 characters").into());
        }
        let mut tx = self.db.write().await?;
        let booking = rows::fetch(&mut tx, id).await?;
        if fetch(&mut tx, id).await?.is_none() {
            return Err(DomainError::NotFound {
                entity: "rating",
                id,
            }
            .into());
        }
        let now = tx.now();
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE ratings SET hidden_at = CASE WHEN $2 THEN $3 END, \
                 hidden_by = CASE WHEN $2 THEN $4 END, hidden_reason = CASE WHEN $2 THEN $5 END \
                 WHERE booking_id = $1",
            )
            .bind(id)
            .bind(hidden)
            .bind(ts(now))
            .bind(admin.user_id)
            .bind(reason)
            .execute(c)
            .await
        })?;
        let what = if hidden {
            "review comment hidden"
        } else {
            "review comment shown again"
        };
        note_in_history(&mut tx, &booking, admin, format!("{what}: {reason}")).await?;
        crate::console::record(
            &mut tx,
            admin,
            if hidden {
                AuditAction::HideReview
            } else {
                AuditAction::ShowReview
            },
            &format!("review of booking {id}"),
            1,
            Some(reason),
        )
        .await?;
        let row = fetch(&mut tx, id).await?.expect("the rating just changed");
        tx.commit().await?;
        Ok(row.view(admin))
    }

    /// A provider's reviews, newest first (`before`: the previous page's last booking id),
    /// as `viewer` may see them: the provider themself and admins.
    pub async fn reviews(
        &self,
        viewer: &Actor,
        provider_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Rating>, StoreError> {
        let allowed = viewer.sees_everything()
            || (viewer.role == Role::Provider && viewer.provider_id == Some(provider_id));
        if !allowed {
            return Err(DomainError::NotFound {
                entity: "provider",
                id: provider_id,
            }
            .into());
        }
        let rows: Vec<RatingRow> = on!(self.db, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE provider_id = $1 AND ($2 IS NULL OR booking_id < $2) \
                 ORDER BY booking_id DESC LIMIT $3"
            )))
            .bind(provider_id)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await
        })?;
        Ok(rows.into_iter().map(|r| r.view(viewer)).collect())
    }
}

/// Booking `id` when `actor` is its customer, who alone may `action` (rate it or change the
/// rating): whoever may not see the booking gets `NotFound`, anyone else who may (its
/// provider, an admin) `NotPermitted`.
async fn customers_own(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    action: &str,
) -> Result<Booking, StoreError> {
    let booking = visible(tx, actor, id).await?;
    if actor.role != Role::Customer || booking.relation_to(actor) != Relation::Owner {
        return Err(DomainError::not_permitted(
            actor.role,
            format!("{action}; only the customer who booked it may"),
        )
        .into());
    }
    Ok(booking)
}

async fn fetch(tx: &mut Tx, id: i64) -> Result<Option<RatingRow>, StoreError> {
    Ok(on!(tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE booking_id = $1"
        )))
        .bind(id)
        .fetch_optional(c)
        .await
    })?)
}

/// When booking `id` was last completed, by its trail.
async fn completed_at(tx: &mut Tx, id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
    let at: Option<Ts> = on!(tx, |c| {
        sqlx::query_scalar(
            "SELECT MAX(timestamp) FROM booking_history WHERE booking_id = $1 \
             AND new_status = 'completed'",
        )
        .bind(id)
        .fetch_one(c)
        .await
    })?;
    Ok(at.map(Into::into))
}

async fn move_provider_totals(
    tx: &mut Tx,
    provider_id: i64,
    count: i64,
    sum: i64,
) -> Result<(), StoreError> {
    exec!(tx, |c| {
        sqlx::query(
            "UPDATE providers SET rating_count = rating_count + $2, rating_sum = rating_sum + $3 \
             WHERE id = $1",
        )
        .bind(provider_id)
        .bind(count)
        .bind(sum)
        .execute(c)
        .await
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_five_star_review_does_not_beat_forty_four_point_eights() {
        // Everyone's reviews average 4.5.
        let m = Some(4.5);
        let newcomer = bayesian_rank(1, 5, m, 3.0);
        let veteran = bayesian_rank(40, 192, m, 3.0);
        assert!((newcomer - (5.0 * 4.5 + 5.0) / 6.0).abs() < 1e-9);
        assert!((veteran - (5.0 * 4.5 + 192.0) / 45.0).abs() < 1e-9);
        assert!(veteran > newcomer, "{veteran} should beat {newcomer}");
        // Without reviews, the admin's rating stands.
        assert_eq!(bayesian_rank(0, 0, m, 3.7), 3.7);
        assert_eq!(bayesian_rank(0, 0, None, 3.7), 3.7);
    }
}

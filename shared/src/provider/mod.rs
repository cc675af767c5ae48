//! The providers room: who can be assigned, what they offer, whether they are
//! available; [`Providers`] is its entry point.

use sqlx::FromRow;

use db::{Db, Ts, Tx, dialect, exec, on, ts};

use chrono_tz::Tz;

use crate::account::{NewUser, duplicate_email, insert_user};
use crate::booking::rows::decode_error;
use crate::console::AuditAction;
use crate::error::{DomainError, FieldErrors, StoreError};
use crate::input;
use crate::schedule::calendar::{Calendar, CalendarInput};
use crate::schedule::stored_calendar;
use crate::{Actor, Role};

/// The providers room's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Providers {
    db: Db,
}

/// A provider with what matching and the admin pages need to know.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub available: bool,
    /// The rank matching uses: the Bayesian average of their reviews, or the rating an
    /// admin gave them while they have none (see [`crate::rating::bayesian_rank`]).
    pub rating: f64,
    /// How many reviews they have, and their plain mean (none without reviews).
    pub rating_count: i64,
    pub rating_mean: Option<f64>,
    pub service_types: Vec<String>,
    /// Bookings assigned, accepted or in progress: the provider's current load.
    pub active_bookings: i64,
    /// The provider's own time zone (their calendar's).
    pub time_zone: Tz,
    /// Whether they set working hours; without, they work every day, all day.
    pub has_calendar: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// When an admin deactivated them: they are offered no work and cannot be assigned.
    pub deactivated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A provider to create; with `login`, a provider login is created with it.
#[derive(Debug, Clone, Default)]
pub struct NewProvider {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub service_types: Vec<String>,
    pub available: bool,
    pub rating: f64,
    /// The password hash of the provider's login, when it gets one.
    pub login_password_hash: Option<String>,
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProviderUpdate {
    pub name: Option<String>,
    /// Their login's e-mail changes with it.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub available: Option<bool>,
    pub rating: Option<f64>,
    pub service_types: Option<Vec<String>>,
}

impl ProviderUpdate {
    /// The names of the fields it sets.
    pub fn fields_set(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("email", self.email.is_some()),
            ("phone", self.phone.is_some()),
            ("available", self.available.is_some()),
            ("rating", self.rating.is_some()),
            ("service_types", self.service_types.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Only availability: what a provider may change about themselves.
    pub fn is_availability_only(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.phone.is_none()
            && self.rating.is_none()
            && self.service_types.is_none()
    }
}

#[derive(FromRow)]
struct ProviderRow {
    id: i64,
    user_id: Option<i64>,
    name: String,
    email: String,
    phone: Option<String>,
    available: bool,
    rating: f64,
    rating_count: i64,
    rating_sum: i64,
    mean_of_all: Option<f64>,
    services: Option<String>,
    active_bookings: i64,
    time_zone: String,
    has_calendar: bool,
    created_at: Ts,
    updated_at: Ts,
    deactivated_at: Option<Ts>,
}

impl TryFrom<ProviderRow> for Provider {
    type Error = sqlx::Error;
    fn try_from(r: ProviderRow) -> Result<Self, Self::Error> {
        let mut service_types: Vec<String> = r
            .services
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        service_types.sort();
        Ok(Provider {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            available: r.available,
            rating: crate::rating::bayesian_rank(
                r.rating_count,
                r.rating_sum,
                r.mean_of_all,
                r.rating,
            ),
            rating_count: r.rating_count,
            rating_mean: (r.rating_count > 0).then(|| r.rating_sum as f64 / r.rating_count as f64),
            service_types,
            active_bookings: r.active_bookings,
            time_zone: r
                .time_zone
                .parse()
                .map_err(|_| decode_error("time zone", &r.time_zone))?,
            has_calendar: r.has_calendar,
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
            deactivated_at: r.deactivated_at.map(Into::into),
        })
    }
}

/// Providers with their services as one comma-separated column, filtered by `$where`;
/// the SQLite text first, then the PostgreSQL text.
macro_rules! select_provider {
    ($where:literal) => {
        (
            select_provider!("group_concat(service_type)", $where),
            select_provider!("string_agg(service_type, ',')", $where),
        )
    };
    ($aggregate:literal, $where:literal) => {
        concat!(
            "SELECT p.id, p.user_id, p.name, p.email, p.phone, p.available, p.rating, ",
            "p.rating_count, p.rating_sum, (SELECT CAST(SUM(q.rating_sum) AS DOUBLE PRECISION) ",
            "/ NULLIF(SUM(q.rating_count), 0) FROM providers q) AS mean_of_all, (SELECT ",
            $aggregate,
            " FROM provider_services s WHERE s.provider_id = p.id) AS services, ",
            "p.active_bookings, p.time_zone, p.calendar IS NOT NULL AS has_calendar, ",
            "p.created_at, p.updated_at, p.deactivated_at FROM providers p ",
            $where
        )
    };
}

/// A service type customers can book.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ServiceType {
    pub name: String,
    pub label: String,
    /// How long a booking of it lasts.
    pub duration_minutes: i64,
    /// Providers who offer it and are taking work, available and not deactivated (none:
    /// customers cannot book it now).
    pub providers: i64,
}

/// The shortest and longest a service may last.
pub const DURATION_MINUTES: std::ops::RangeInclusive<i64> = 15..=1440;

impl Providers {
    pub fn new(db: Db) -> Providers {
        Providers { db }
    }

    /// Every service type customers can book, by label.
    pub async fn service_types(&self) -> Result<Vec<ServiceType>, StoreError> {
        Ok(on!(self.db, |p| {
            sqlx::query_as(
                "SELECT t.name, t.label, CAST(t.duration_minutes AS BIGINT) AS duration_minutes, \
                 (SELECT COUNT(*) FROM provider_services s JOIN providers p ON p.id = s.provider_id \
                  WHERE s.service_type = t.name AND p.available AND p.deactivated_at IS NULL) \
                 AS providers \
                 FROM service_types t ORDER BY t.label",
            )
            .fetch_all(p)
            .await
        })?)
    }

    /// An admin sets how long a service lasts (for bookings made from then on; those
    /// made before keep their windows). Returns the service type as it now is; `None`
    /// when there is no such service type.
    pub async fn set_duration(
        &self,
        actor: &Actor,
        name: &str,
        duration_minutes: i64,
    ) -> Result<Option<ServiceType>, StoreError> {
        if actor.role != Role::Admin {
            return Err(
                DomainError::not_permitted(actor.role, "change a service's duration").into(),
            );
        }
        if !DURATION_MINUTES.contains(&duration_minutes) || duration_minutes % 15 != 0 {
            return Err(DomainError::field(
                "duration_minutes",
                "must be a multiple of 15 minutes, from 15 to 1440",
            )
            .into());
        }
        let mut tx = self.db.write().await?;
        let changed = exec!(tx, |c| {
            sqlx::query("UPDATE service_types SET duration_minutes = $2 WHERE name = $1")
                .bind(name)
                .bind(duration_minutes)
                .execute(c)
                .await
        })?;
        tx.commit().await?;
        if changed == 0 {
            return Ok(None);
        }
        Ok(self
            .service_types()
            .await?
            .into_iter()
            .find(|t| t.name == name))
    }

    /// Whether `actor` may see provider `id`'s calendar: the provider themselves, or an
    /// operator (admin or viewer). Anyone else learns nothing (`NotFound`).
    fn may_see(actor: &Actor, id: i64) -> Result<(), StoreError> {
        if actor.sees_everything() {
            return Ok(());
        }
        Self::may_manage(actor, id)
    }

    /// Whether `actor` may change provider `id`'s calendar: the provider themselves, or
    /// an admin. A viewer is refused; anyone else learns nothing (`NotFound`).
    fn may_manage(actor: &Actor, id: i64) -> Result<(), StoreError> {
        match actor.role {
            Role::Admin => Ok(()),
            Role::Viewer => Err(DomainError::not_permitted(actor.role, "change a calendar").into()),
            Role::Provider if actor.provider_id == Some(id) => Ok(()),
            _ => Err(DomainError::NotFound {
                entity: "provider",
                id,
            }
            .into()),
        }
    }

    /// Provider `id`'s calendar, and whether they set one (without, it is "every day,
    /// all day" in their time zone).
    pub async fn calendar(&self, actor: &Actor, id: i64) -> Result<(Calendar, bool), StoreError> {
        Self::may_see(actor, id)?;
        let row: Option<(String, Option<String>)> = on!(self.db, |p| {
            sqlx::query_as("SELECT time_zone, calendar FROM providers WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await
        })?;
        let Some((time_zone, calendar)) = row else {
            return Err(DomainError::NotFound {
                entity: "provider",
                id,
            }
            .into());
        };
        Ok((
            stored_calendar(&time_zone, calendar.as_deref())?,
            calendar.is_some(),
        ))
    }

    /// Replaces provider `id`'s calendar (and time zone) with `input`, checked field by
    /// field. Bookings they already hold stay theirs.
    pub async fn set_calendar(
        &self,
        actor: &Actor,
        id: i64,
        input: &CalendarInput,
    ) -> Result<Calendar, StoreError> {
        Self::may_manage(actor, id)?;
        let calendar = input.validate().map_err(DomainError::Validation)?;
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let changed = exec!(tx, |c| {
            sqlx::query(
                "UPDATE providers SET time_zone = $2, calendar = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(calendar.time_zone.name())
            .bind(calendar.to_stored())
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        if changed == 0 {
            return Err(DomainError::NotFound {
                entity: "provider",
                id,
            }
            .into());
        }
        tx.commit().await?;
        Ok(calendar)
    }

    /// Every provider, or those offering `service_type`, by id.
    pub async fn list(&self, service_type: Option<&str>) -> Result<Vec<Provider>, StoreError> {
        let (sqlite, postgres) = select_provider!(
            "WHERE $1 IS NULL OR EXISTS (SELECT 1 FROM provider_services s \
             WHERE s.provider_id = p.id AND s.service_type = $1) ORDER BY p.id"
        );
        let sql = dialect!(self.db, sqlite: sqlite, postgres: postgres);
        let rows: Vec<ProviderRow> = on!(self.db, |p| sqlx::query_as(sql)
            .bind(service_type)
            .fetch_all(p)
            .await)?;
        Ok(rows
            .into_iter()
            .map(Provider::try_from)
            .collect::<Result<_, _>>()?)
    }

    pub async fn get(&self, id: i64) -> Result<Option<Provider>, StoreError> {
        let (sqlite, postgres) = select_provider!("WHERE p.id = $1");
        let sql = dialect!(self.db, sqlite: sqlite, postgres: postgres);
        let row: Option<ProviderRow> = on!(self.db, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(Provider::try_from).transpose()?)
    }

    /// Creates a provider (and its login when a password hash is given) in one
    /// transaction; `by` an admin, it is recorded in the audit log.
    pub async fn create(&self, by: &Actor, new: NewProvider) -> Result<Provider, StoreError> {
        let mut errors = FieldErrors::new();
        let name = input::text(&mut errors, "name", &new.name, 200);
        let email = input::email(&mut errors, "email", &new.email);
        check_rating(&mut errors, new.rating);
        let phone = optional_phone(&mut errors, new.phone.as_deref());
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors).into());
        }
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let user_id = match &new.login_password_hash {
            Some(hash) => Some(
                insert_user(
                    &mut tx,
                    &NewUser {
                        email: email.clone(),
                        name: name.clone(),
                        password_hash: hash.clone(),
                        role: crate::Role::Provider,
                    },
                )
                .await?,
            ),
            None => None,
        };
        let inserted = on!(tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO providers (user_id, name, email, phone, available, rating, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(user_id)
            .bind(&name)
            .bind(&email)
            .bind(phone)
            .bind(new.available)
            .bind(new.rating)
            .bind(ts(now))
            .fetch_one(c)
            .await
        });
        // `email` is the only unique column this statement can violate (user_id is new).
        let id: i64 = inserted
            .map_err(|e| duplicate_email(e, "a provider with this e-mail already exists"))?;
        set_services(&mut tx, id, &new.service_types).await?;
        crate::console::record(
            &mut tx,
            by,
            AuditAction::CreateProvider,
            &format!("provider {id} ({name})"),
            1,
            None,
        )
        .await?;
        tx.commit().await?;
        self.get(id).await?.ok_or_else(|| {
            DomainError::NotFound {
                entity: "provider",
                id,
            }
            .into()
        })
    }

    /// Applies a partial update; an unknown provider is `NotFound`. Made `by` an admin, it
    /// is recorded in the audit log with the fields it set.
    pub async fn update(
        &self,
        by: &Actor,
        id: i64,
        update: ProviderUpdate,
    ) -> Result<Provider, StoreError> {
        let mut errors = FieldErrors::new();
        let name = update
            .name
            .as_deref()
            .map(|n| input::text(&mut errors, "name", n, 200));
        let email = update
            .email
            .as_deref()
            .map(|e| input::email(&mut errors, "email", e));
        let phone = optional_phone(&mut errors, update.phone.as_deref());
        // An empty phone clears it; an absent one leaves it.
        let clear_phone = update.phone.as_deref() == Some("");
        if let Some(r) = update.rating {
            check_rating(&mut errors, r);
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors).into());
        }
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let changed = exec!(tx, |c| {
            sqlx::query(
                "UPDATE providers SET name = COALESCE($2, name), \
                 phone = CASE WHEN $7 THEN NULL ELSE COALESCE($3, phone) END, \
                 available = COALESCE($4, available), rating = COALESCE($5, rating), updated_at = $6, \
                 email = COALESCE($8, email) WHERE id = $1",
            )
            .bind(id)
            .bind(&name)
            .bind(phone.as_deref())
            .bind(update.available)
            .bind(update.rating)
            .bind(ts(now))
            .bind(clear_phone)
            .bind(email.as_deref())
            .execute(c)
            .await
        })
        .map_err(|e| duplicate_email(e, "another provider or account has this e-mail"))?;
        // Their login signs in with the same address.
        if let Some(email) = &email {
            exec!(tx, |c| {
                sqlx::query(
                    "UPDATE users SET email = $2 WHERE id = (SELECT user_id FROM providers WHERE id = $1)",
                )
                .bind(id)
                .bind(email)
                .execute(c)
                .await
            })
            .map_err(|e| duplicate_email(e, "another provider or account has this e-mail"))?;
        }
        if changed == 0 {
            return Err(DomainError::NotFound {
                entity: "provider",
                id,
            }
            .into());
        }
        if let Some(types) = &update.service_types {
            exec!(tx, |c| {
                sqlx::query("DELETE FROM provider_services WHERE provider_id = $1")
                    .bind(id)
                    .execute(c)
                    .await
            })?;
            set_services(&mut tx, id, types).await?;
        }
        crate::console::record(
            &mut tx,
            by,
            AuditAction::UpdateProvider,
            &format!("provider {id}"),
            1,
            Some(&update.fields_set().join(", ")),
        )
        .await?;
        tx.commit().await?;
        self.get(id).await?.ok_or_else(|| {
            DomainError::NotFound {
                entity: "provider",
                id,
            }
            .into()
        })
    }
}

/// A provider's phone: absent or empty for none, else a phone number.
fn optional_phone(errors: &mut FieldErrors, phone: Option<&str>) -> Option<String> {
    match phone {
        None | Some("") => None,
        Some(p) => Some(input::phone(errors, "phone", p)),
    }
}

fn check_rating(errors: &mut FieldErrors, rating: f64) {
    if !(0.0..=5.0).contains(&rating) {
        errors.insert("rating".into(), "must be between 0 and 5".into());
    }
}

/// Records the services a provider offers; every one must be a known service type.
async fn set_services(tx: &mut Tx, provider_id: i64, types: &[String]) -> Result<(), StoreError> {
    if types.is_empty() {
        return Err(
            DomainError::field("service_types", "must name at least one service type").into(),
        );
    }
    for t in types {
        let known: Option<String> = on!(tx, |c| {
            sqlx::query_scalar("SELECT name FROM service_types WHERE name = $1")
                .bind(t)
                .fetch_optional(c)
                .await
        })?;
        if known.is_none() {
            return Err(DomainError::field(
                "service_types",
                format!("`{t}` is not a service type"),
            )
            .into());
        }
        exec!(tx, |c| {
            sqlx::query(
                "INSERT INTO provider_services (provider_id, service_type) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(provider_id)
            .bind(t)
            .execute(c)
            .await
        })?;
    }
    Ok(())
}

//! The accounts room: logins, their sessions and password resets, and the identity an
//! authenticated request acts with; [`Accounts`] is its entry point.

pub use session::{ActiveSession, SessionEnd, SessionRules, UserFilter, UserSummary, secret_hash};

use sqlx::FromRow;

use db::{Db, Ts, Tx, exec, on, ts};

use crate::booking::rows::decode_error;
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role};

/// The accounts room's entry point. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Accounts {
    db: Db,
    /// Counts sessions ended by this process, so that its open event streams look again
    /// at once (streams of other processes look on their own timer).
    ended: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

/// A login. The password hash never leaves the store except to the sign-in check.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// For a provider's login: the provider record it acts for.
    pub provider_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Set while an admin has disabled the account: it cannot sign in.
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl User {
    /// The identity this user acts with.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.id),
            name: self.name.clone(),
            role: self.role,
            provider_id: self.provider_id,
        }
    }
}

/// What a user changes about their own account, checked: a name, a new sign-in e-mail
/// (lower-cased; the address they have, in any case, is no change), or both.
/// The longest password a caller may give to be checked (longer ones were never set: a new
/// password is at most 128 characters).
pub const MAX_GIVEN_PASSWORD: usize = 1024;

/// Made only by [`OwnDetails::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnDetails {
    name: Option<String>,
    email: Option<String>,
}

impl OwnDetails {
    /// Checks what `user` asks to change. A provider's login may change neither: their name
    /// and e-mail are the provider record's, which dispatch keeps. A new e-mail needs the
    /// current password (given here to be checked for its length; the caller verifies it),
    /// and a password given at all must be one that could be.
    pub fn check(
        user: &User,
        name: Option<&str>,
        email: Option<&str>,
        current_password: Option<&str>,
    ) -> Result<OwnDetails, DomainError> {
        if user.role == Role::Provider {
            return Err(DomainError::not_permitted(
                Role::Provider,
                "change their name or e-mail here: dispatch keeps them on the provider record",
            ));
        }
        let mut errors = crate::error::FieldErrors::new();
        let name = name.map(|n| crate::input::text(&mut errors, "name", n, 200));
        let email = email
            .map(|e| crate::input::email(&mut errors, "email", e))
            .filter(|e| *e != user.email);
        match current_password {
            Some("") => {
                errors.insert("current_password".into(), "must not be empty".into());
            }
            Some(p) if p.chars().count() > MAX_GIVEN_PASSWORD => {
                errors.insert(
                    "current_password".into(),
                    format!("must be at most {MAX_GIVEN_PASSWORD} characters"),
                );
            }
            Some(_) => {}
            // Asked for once the address itself is right.
            None if email.is_some() && !errors.contains_key("email") => {
                errors.insert(
                    "current_password".into(),
                    "enter your current password to change your e-mail".into(),
                );
            }
            None => {}
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok(OwnDetails { name, email })
    }

    /// Whether the sign-in e-mail changes (the caller then checks the password).
    pub fn changes_email(&self) -> bool {
        self.email.is_some()
    }
}

/// A login to create; the caller hashes the password.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
}

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    provider_id: Option<i64>,
    created_at: Ts,
    disabled_at: Option<Ts>,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> Result<(User, String), sqlx::Error> {
        Ok((
            User {
                id: self.id,
                email: self.email,
                name: self.name,
                role: self
                    .role
                    .parse::<Role>()
                    .map_err(|_| decode_error("role", &self.role))?,
                provider_id: self.provider_id,
                created_at: self.created_at.into(),
                disabled_at: self.disabled_at.map(Into::into),
            },
            self.password_hash,
        ))
    }
}

/// A user with the provider record their login acts for, filtered by `$where`; with
/// `$columns` (starting with a comma) selected too.
macro_rules! select_user {
    ($where:literal) => {
        select_user!("", $where)
    };
    ($columns:literal, $where:literal) => {
        concat!(
            "SELECT u.id, u.email, u.name, u.role, p.id AS provider_id, u.created_at, ",
            "u.disabled_at, u.password_hash",
            $columns,
            " FROM users u LEFT JOIN providers p ON p.user_id = u.id ",
            $where
        )
    };
}

// After the macro, which it uses.
mod session;

impl Accounts {
    pub fn new(db: Db) -> Accounts {
        Accounts {
            db,
            ended: std::sync::Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Creates a login; a taken e-mail is a `duplicate_email` conflict.
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let mut tx = self.db.write().await?;
        let id = insert_user(&mut tx, &new).await?;
        tx.commit().await?;
        self.user(id)
            .await?
            .ok_or(StoreError::Domain(DomainError::NotFound {
                entity: "user",
                id,
            }))
    }

    /// An admin creates an operator's account: another admin, or a read-only viewer.
    /// Customers sign up themselves and providers' logins come with their provider
    /// record, so any other role is refused. Recorded in the audit log.
    pub async fn create_operator(&self, by: &Actor, new: NewUser) -> Result<User, StoreError> {
        crate::console::ensure_admin(by, "create accounts")?;
        if !matches!(new.role, Role::Admin | Role::Viewer) {
            return Err(DomainError::field(
                "role",
                "must be admin or viewer (customers sign up; providers are created as providers)",
            )
            .into());
        }
        let mut tx = self.db.write().await?;
        let id = insert_user(&mut tx, &new).await?;
        crate::console::record(
            &mut tx,
            by,
            crate::console::AuditAction::CreateUser,
            &format!("user {id}"),
            1,
            Some(&format!(
                "{} ({})",
                new.email.trim().to_lowercase(),
                new.role
            )),
        )
        .await?;
        tx.commit().await?;
        self.user(id)
            .await?
            .ok_or(StoreError::Domain(DomainError::NotFound {
                entity: "user",
                id,
            }))
    }

    /// The user with this id, if any.
    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on!(self.db, |p| {
            sqlx::query_as(select_user!("WHERE u.id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await
        })?;
        Ok(row.map(UserRow::into_user).transpose()?.map(|(u, _)| u))
    }

    /// The user with this e-mail (any case) and their password hash, for signing in.
    pub async fn user_with_password(
        &self,
        email: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let email = email.trim().to_lowercase();
        let row: Option<UserRow> = on!(self.db, |p| {
            sqlx::query_as(select_user!("WHERE u.email = $1"))
                .bind(&email)
                .fetch_optional(p)
                .await
        })?;
        Ok(row.map(UserRow::into_user).transpose()?)
    }

    /// A user changes their own name or sign-in e-mail, checked by [`OwnDetails::check`]
    /// (the caller checks the password before an e-mail changes). A taken e-mail is a
    /// `duplicate_email` conflict.
    pub async fn update_own_details(
        &self,
        user: &User,
        details: &OwnDetails,
    ) -> Result<User, StoreError> {
        let (name, email) = (&details.name, &details.email);
        let mut tx = self.db.write().await?;
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email) \
                 WHERE id = $1",
            )
            .bind(user.id)
            .bind(name.as_deref())
            .bind(email.as_deref())
            .execute(c)
            .await
        })
        .map_err(|e| duplicate_email(e, "an account with this e-mail already exists"))?;
        tx.commit().await?;
        self.user(user.id)
            .await?
            .ok_or(StoreError::Domain(DomainError::NotFound {
                entity: "user",
                id: user.id,
            }))
    }
}

/// Inserts a login inside a transaction (also used when a provider is created with one).
pub(crate) async fn insert_user(tx: &mut Tx, new: &NewUser) -> Result<i64, StoreError> {
    let now = tx.now();
    let result = on!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(new.email.trim().to_lowercase())
        .bind(new.name.trim())
        .bind(&new.password_hash)
        .bind(new.role.as_str())
        .bind(ts(now))
        .fetch_one(c)
        .await
    });
    // Only the e-mail is unique in `users`, so this statement's unique violation names it.
    result.map_err(|e| duplicate_email(e, "an account with this e-mail already exists"))
}

/// A unique violation on an e-mail (the only unique column the caller's statement can
/// violate) is a `duplicate_email` conflict saying `message`; any other error is itself.
pub(crate) fn duplicate_email(e: sqlx::Error, message: &str) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DomainError::Conflict {
            code: "duplicate_email",
            message: message.into(),
        }
        .into(),
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> User {
        User {
            id: 7,
            email: "pat@example.com".into(),
            name: "Pat".into(),
            role,
            provider_id: None,
            created_at: chrono::Utc::now(),
            disabled_at: None,
        }
    }

    fn fields(e: DomainError) -> Vec<String> {
        match e {
            DomainError::Validation(f) => f.into_keys().collect(),
            other => panic!("not a validation error: {other}"),
        }
    }

    #[test]
    fn a_new_e_mail_needs_the_password_and_the_one_they_have_is_no_change() {
        let pat = user(Role::Customer);
        let d = OwnDetails::check(&pat, Some(" Pat Q "), Some("PAT@example.com"), None).unwrap();
        assert_eq!(d.name.as_deref(), Some("Pat Q"));
        assert!(!d.changes_email(), "the same address in another case");
        let e = OwnDetails::check(&pat, None, Some("Quinn@Example.com"), None).unwrap_err();
        assert_eq!(fields(e), ["current_password"]);
        let d = OwnDetails::check(&pat, None, Some("Quinn@Example.com"), Some("pw")).unwrap();
        assert_eq!(d.email.as_deref(), Some("quinn@example.com"));
        assert!(d.changes_email());
        // Every field that is wrong, at once.
        let e = OwnDetails::check(&pat, Some(" "), Some("nope"), None).unwrap_err();
        assert_eq!(fields(e), ["email", "name"]);
        // A password given is checked whether or not the e-mail changes.
        let long = "p".repeat(MAX_GIVEN_PASSWORD + 1);
        for given in ["", long.as_str()] {
            let e = OwnDetails::check(&pat, Some("Pat"), None, Some(given)).unwrap_err();
            assert_eq!(fields(e), ["current_password"]);
        }
        let longest = "p".repeat(MAX_GIVEN_PASSWORD);
        assert!(OwnDetails::check(&pat, Some("Pat"), None, Some(&longest)).is_ok());
    }

    #[test]
    fn a_provider_s_login_changes_neither_and_others_may() {
        let e = OwnDetails::check(&user(Role::Provider), Some("P"), None, None).unwrap_err();
        assert!(
            matches!(
                e,
                DomainError::NotPermitted {
                    role: Role::Provider,
                    ..
                }
            ),
            "{e:?}"
        );
        for role in [Role::Customer, Role::Admin, Role::Viewer] {
            assert!(OwnDetails::check(&user(role), Some("P"), None, None).is_ok());
        }
    }
}

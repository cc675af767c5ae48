//! Sessions that can be ended, accounts an admin can disable, and one-time password
//! resets.
//!
//! A sign-in starts a session row. The client's token carries the session's secret; the
//! store keeps only its SHA-256 ([`secret_hash`]), so a copy of the database signs
//! nobody in. Every authenticated request looks the row up ([`Accounts::session_user`]):
//! a session is live until it is ended (logout, sign out everywhere, a password change or
//! reset, the account disabled), its absolute expiry passes, or it sits idle too long.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use db::{Ts, dialect, exec, on, ts};

use super::{Accounts, User, UserRow};
use crate::console::AuditAction;
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role};

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionRules {
    /// From sign-in, however active the session is.
    pub absolute: Duration,
    /// Without a request.
    pub idle: Duration,
}

/// A request's session is marked seen again when its last mark is older than this (or
/// than a quarter of the idle limit, if shorter): one write a minute per active session,
/// not one per request.
const TOUCH_AFTER: Duration = Duration::seconds(60);

/// Why a session ended (stored in `sessions.end_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    Logout,
    LogoutAll,
    PasswordChanged,
    PasswordReset,
    Disabled,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Logout => "logout",
            SessionEnd::LogoutAll => "logout_all",
            SessionEnd::PasswordChanged => "password_changed",
            SessionEnd::PasswordReset => "password_reset",
            SessionEnd::Disabled => "disabled",
        }
    }
}

/// The live session a request came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveSession {
    pub id: i64,
    pub expires_at: DateTime<Utc>,
}

/// The hex SHA-256 of a session secret or reset token: what the store keeps of it.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Which accounts an admin lists, newest first.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    /// A piece of the name or e-mail, any case.
    pub search: Option<String>,
    /// Only accounts with a smaller id (the previous page's last).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// An account as the admin's list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSummary {
    pub user: User,
    /// Sessions not ended and not past their absolute expiry.
    pub live_sessions: i64,
}

#[derive(FromRow)]
struct SessionUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    session_id: i64,
    last_seen_at: Ts,
    expires_at: Ts,
}

#[derive(FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    user: UserRow,
    live_sessions: i64,
}

impl Accounts {
    /// Starts a session for `user_id` whose token carries `secret`.
    pub async fn start_session(
        &self,
        user_id: i64,
        secret: &str,
        rules: SessionRules,
    ) -> Result<ActiveSession, StoreError> {
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let expires_at = now + rules.absolute;
        let id = on!(tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO sessions (user_id, secret_hash, created_at, last_seen_at, \
                 expires_at) VALUES ($1, $2, $3, $3, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(secret_hash(secret))
            .bind(ts(now))
            .bind(ts(expires_at))
            .fetch_one(c)
            .await
        })?;
        tx.commit().await?;
        Ok(ActiveSession { id, expires_at })
    }

    /// The user of the live session whose token carries `secret`: not ended, not expired,
    /// not idle longer than `idle`, its account not disabled. Marks it seen (at most
    /// once a minute).
    pub async fn session_user(
        &self,
        secret: &str,
        idle: Duration,
    ) -> Result<Option<(User, ActiveSession)>, StoreError> {
        let now = self.db.now();
        let row: Option<SessionUserRow> = on!(self.db, |p| {
            sqlx::query_as(select_user!(
                ", s.id AS session_id, s.last_seen_at, s.expires_at",
                "JOIN sessions s ON s.user_id = u.id \
                 WHERE s.secret_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 \
                 AND s.last_seen_at > $3 AND u.disabled_at IS NULL"
            ))
            .bind(secret_hash(secret))
            .bind(ts(now))
            .bind(ts(now - idle))
            .fetch_optional(p)
            .await
        })?;
        let Some(row) = row else { return Ok(None) };
        let session = ActiveSession {
            id: row.session_id,
            expires_at: row.expires_at.into(),
        };
        let last_seen: DateTime<Utc> = row.last_seen_at.into();
        // Often enough for the shortest idle limit too (a minute), seen every 15 s.
        if now - last_seen >= TOUCH_AFTER.min(idle / 4)
            && let Err(e) = self.touch(session.id).await
        {
            // The session is live either way; a busy or full database must not turn
            // every request of the minute into an error. The next request tries again.
            tracing::warn!(error = %e, session = session.id, "could not mark a session seen");
        }
        let (user, _) = row.user.into_user()?;
        Ok(Some((user, session)))
    }

    /// Marks a session seen now.
    async fn touch(&self, session_id: i64) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let at = tx.now();
        exec!(tx, |c| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(ts(at))
                .bind(session_id)
                .execute(c)
                .await
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// Which of `ids` are live sessions: an API process checks its open event streams'
    /// sessions together, in one statement.
    pub async fn which_sessions_live(
        &self,
        ids: &[i64],
        idle: Duration,
    ) -> Result<std::collections::HashSet<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        // The live sessions among those `$1` (a JSON array of ids) names, as each
        // dialect reads such an array.
        macro_rules! live_among {
            ($($ids:tt)*) => {
                concat!(
                    "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id IN ",
                    $($ids)*,
                    " AND s.ended_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 \
                     AND u.disabled_at IS NULL"
                )
            };
        }
        let now = self.db.now();
        let ids = db::json_ids(ids);
        let sql = dialect!(self.db,
            sqlite: live_among!(db::ids_of_json!(sqlite, "$1")),
            postgres: live_among!(db::ids_of_json!(postgres, "$1")),
        );
        let live: Vec<i64> = on!(self.db, |p| {
            sqlx::query_scalar(sql)
                .bind(&ids)
                .bind(ts(now))
                .bind(ts(now - idle))
                .fetch_all(p)
                .await
        })?;
        Ok(live.into_iter().collect())
    }

    /// A receiver that changes whenever this process ends a session.
    pub fn sessions_ended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ended.subscribe()
    }

    /// Ends one session (if it has not ended already).
    pub async fn end_session(&self, session_id: i64, why: SessionEnd) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        end_sessions(&mut tx, "id", session_id, None, why).await?;
        tx.commit().await?;
        self.ended.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Ends every live session of a user, but `keep`; how many ended.
    pub async fn end_user_sessions(
        &self,
        user_id: i64,
        keep: Option<i64>,
        why: SessionEnd,
    ) -> Result<u64, StoreError> {
        let mut tx = self.db.write().await?;
        let ended = end_sessions(&mut tx, "user_id", user_id, keep, why).await?;
        tx.commit().await?;
        self.ended.send_modify(|n| *n += 1);
        Ok(ended)
    }

    /// Sets a new password hash and ends the user's other sessions (all but `keep`), in
    /// one transaction.
    pub async fn change_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<i64>,
        why: SessionEnd,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        set_password(&mut tx, user_id, password_hash).await?;
        end_sessions(&mut tx, "user_id", user_id, keep, why).await?;
        tx.commit().await?;
        self.ended.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Disables an account (its sessions end with it) or enables it again. An admin
    /// cannot disable their own account: nobody would be left to undo it.
    pub async fn set_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        by: &Actor,
    ) -> Result<User, StoreError> {
        if disabled && by.user_id == Some(user_id) {
            return Err(DomainError::Conflict {
                code: "cannot_disable_self",
                message: "you cannot disable your own account".into(),
            }
            .into());
        }
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let changed = exec!(tx, |c| {
            sqlx::query(
                "UPDATE users SET disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, $3) END, \
                 disabled_by = CASE WHEN $2 THEN COALESCE(disabled_by, $4) END WHERE id = $1",
            )
            .bind(user_id)
            .bind(disabled)
            .bind(ts(now))
            .bind(by.user_id)
            .execute(c)
            .await
        })?;
        if changed == 0 {
            return Err(DomainError::NotFound {
                entity: "user",
                id: user_id,
            }
            .into());
        }
        if disabled {
            end_sessions(&mut tx, "user_id", user_id, None, SessionEnd::Disabled).await?;
        }
        let action = if disabled {
            AuditAction::DisableUser
        } else {
            AuditAction::EnableUser
        };
        crate::console::record(&mut tx, by, action, &format!("user {user_id}"), 1, None).await?;
        tx.commit().await?;
        self.ended.send_modify(|n| *n += 1);
        self.user(user_id).await?.ok_or_else(|| {
            DomainError::NotFound {
                entity: "user",
                id: user_id,
            }
            .into()
        })
    }

    /// Accounts, newest first, with how many live sessions each has.
    pub async fn users(&self, filter: &UserFilter) -> Result<Vec<UserSummary>, StoreError> {
        let now = self.db.now();
        let pattern = filter.search.as_deref().map(|s| db::like_pattern(s.trim()));
        let rows: Vec<SummaryRow> = on!(self.db, |p| {
            sqlx::query_as(select_user!(
                ", (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id \
                 AND s.ended_at IS NULL AND s.expires_at > $5) AS live_sessions",
                "WHERE ($1 IS NULL OR u.role = $1) \
                 AND ($2 IS NULL OR LOWER(u.name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\') \
                 AND ($3 IS NULL OR u.id < $3) ORDER BY u.id DESC LIMIT $4"
            ))
            .bind(filter.role.map(Role::as_str))
            .bind(pattern.as_deref())
            .bind(filter.before_id)
            .bind(i64::from(filter.limit))
            .bind(ts(now))
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|r| {
                let (user, _) = r.user.into_user()?;
                Ok(UserSummary {
                    user,
                    live_sessions: r.live_sessions,
                })
            })
            .collect()
    }

    /// How many live sessions a user has.
    pub async fn live_sessions(&self, user_id: i64) -> Result<i64, StoreError> {
        let now = self.db.now();
        let n = on!(self.db, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND ended_at IS NULL \
                 AND expires_at > $2",
            )
            .bind(user_id)
            .bind(ts(now))
            .fetch_one(p)
            .await
        })?;
        Ok(n)
    }

    /// Records a one-time password reset for `user_id` whose link carries `token`, valid
    /// for `valid_for`; when it expires.
    pub async fn create_reset(
        &self,
        user_id: i64,
        token: &str,
        by: &Actor,
        valid_for: Duration,
    ) -> Result<DateTime<Utc>, StoreError> {
        if self.user(user_id).await?.is_none() {
            return Err(DomainError::NotFound {
                entity: "user",
                id: user_id,
            }
            .into());
        }
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let expires_at = now + valid_for;
        // Only the newest link works: one sent to the wrong place is undone by sending
        // another.
        void_reset_links(&mut tx, user_id).await?;
        exec!(tx, |c| {
            sqlx::query(
                "INSERT INTO password_resets (user_id, token_hash, created_by, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user_id)
            .bind(secret_hash(token))
            .bind(by.user_id)
            .bind(ts(now))
            .bind(ts(expires_at))
            .execute(c)
            .await
        })?;
        // A link sets the account's password without the old one: who handed one out is
        // the operators' business.
        let subject = format!("user {user_id}");
        crate::console::record(&mut tx, by, AuditAction::IssueResetLink, &subject, 1, None).await?;
        tx.commit().await?;
        Ok(expires_at)
    }

    /// Uses a reset link once: sets the new password and ends every session of its
    /// user; the user's id. An unknown, used or expired token is a `token` field error.
    pub async fn redeem_reset(&self, token: &str, password_hash: &str) -> Result<i64, StoreError> {
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let user_id: Option<i64> = on!(tx, |c| {
            sqlx::query_scalar(
                "UPDATE password_resets SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 RETURNING user_id",
            )
            .bind(secret_hash(token))
            .bind(ts(now))
            .fetch_optional(c)
            .await
        })?;
        let Some(user_id) = user_id else {
            return Err(DomainError::field(
                "token",
                "this reset link is unknown, already used or expired: ask an admin for a new one",
            )
            .into());
        };
        set_password(&mut tx, user_id, password_hash).await?;
        end_sessions(&mut tx, "user_id", user_id, None, SessionEnd::PasswordReset).await?;
        tx.commit().await?;
        self.ended.send_modify(|n| *n += 1);
        Ok(user_id)
    }
}

/// Sets `user_id`'s password hash. A link to reset the old password, issued before and
/// not used, no longer works: whoever holds it must not undo the new one.
async fn set_password(tx: &mut db::Tx, user_id: i64, hash: &str) -> Result<(), StoreError> {
    exec!(tx, |c| {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(c)
            .await
    })?;
    void_reset_links(tx, user_id).await
}

/// Ends every unused reset link of `user_id`, as if used now.
async fn void_reset_links(tx: &mut db::Tx, user_id: i64) -> Result<(), StoreError> {
    let now = tx.now();
    exec!(tx, |c| {
        sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(ts(now))
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Ends the live sessions whose `column` (`id` or `user_id`) is `value`, but `keep`.
async fn end_sessions(
    tx: &mut db::Tx,
    column: &'static str,
    value: i64,
    keep: Option<i64>,
    why: SessionEnd,
) -> Result<u64, StoreError> {
    let now = tx.now();
    let sql = format!(
        "UPDATE sessions SET ended_at = $1, end_reason = $2 \
         WHERE {column} = $3 AND ended_at IS NULL AND ($4 IS NULL OR id <> $4)"
    );
    let done = exec!(tx, |c| {
        // `column` is one of two names written in this file, never input.
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(ts(now))
            .bind(why.as_str())
            .bind(value)
            .bind(keep)
            .execute(c)
            .await
    })?;
    Ok(done)
}

//! The operator audit log: every operator action, who, in what role, when, what it was
//! done to and how many things it changed. Append-only, like the booking history (the
//! database refuses updates and deletes).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use db::{Ts, Tx, exec, on, ts};

use crate::error::StoreError;
use crate::{Actor, DomainError, Role};

/// What an operator did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    RetryJobs,
    CancelJobs,
    RunJobsNow,
    PauseQueue,
    ResumeQueue,
    AssignBooking,
    OverrideStatus,
    CreateProvider,
    UpdateProvider,
    HideReview,
    ShowReview,
    CreateUser,
    DisableUser,
    EnableUser,
    IssueResetLink,
}

impl AuditAction {
    pub const ALL: [AuditAction; 15] = [
        AuditAction::RetryJobs,
        AuditAction::CancelJobs,
        AuditAction::RunJobsNow,
        AuditAction::PauseQueue,
        AuditAction::ResumeQueue,
        AuditAction::AssignBooking,
        AuditAction::OverrideStatus,
        AuditAction::CreateProvider,
        AuditAction::UpdateProvider,
        AuditAction::HideReview,
        AuditAction::ShowReview,
        AuditAction::CreateUser,
        AuditAction::DisableUser,
        AuditAction::EnableUser,
        AuditAction::IssueResetLink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::RetryJobs => "retry_jobs",
            AuditAction::CancelJobs => "cancel_jobs",
            AuditAction::RunJobsNow => "run_jobs_now",
            AuditAction::PauseQueue => "pause_queue",
            AuditAction::ResumeQueue => "resume_queue",
            AuditAction::AssignBooking => "assign_booking",
            AuditAction::OverrideStatus => "override_status",
            AuditAction::CreateProvider => "create_provider",
            AuditAction::UpdateProvider => "update_provider",
            AuditAction::HideReview => "hide_review",
            AuditAction::ShowReview => "show_review",
            AuditAction::CreateUser => "create_user",
            AuditAction::DisableUser => "disable_user",
            AuditAction::EnableUser => "enable_user",
            AuditAction::IssueResetLink => "issue_reset_link",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: i64,
    /// The actor's name now (a deleted account keeps its id).
    pub actor_name: Option<String>,
    pub actor_role: String,
    pub action: AuditAction,
    pub subject: String,
    pub count: i64,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    actor_id: i64,
    actor_name: Option<String>,
    actor_role: String,
    action: String,
    subject: String,
    count: i64,
    detail: Option<String>,
    at: Ts,
}

/// Which rows to list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub action: Option<AuditAction>,
    /// At or after this.
    pub from: Option<DateTime<Utc>>,
    /// Before this.
    pub to: Option<DateTime<Utc>>,
    /// Only rows with an id below this (the previous page's cursor).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// Appends a row to the audit log, in the transaction of the action it records, when
/// `actor` is an operator (a signed-in admin); anyone else's action is not an operator
/// action (a provider changing their own availability, the seed creating providers).
pub(crate) async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: AuditAction,
    subject: &str,
    count: u64,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    let Some(actor_id) = actor.user_id.filter(|_| actor.role == Role::Admin) else {
        return Ok(());
    };
    let now = ts(tx.now());
    exec!(tx, |c| {
        sqlx::query(
            "INSERT INTO operator_actions (actor_id, actor_role, action, subject, count, detail, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(actor_id)
        .bind(actor.role.as_str())
        .bind(action.as_str())
        .bind(subject)
        .bind(i64::try_from(count).unwrap_or(i64::MAX))
        .bind(detail)
        .bind(now)
        .execute(c)
        .await
    })?;
    Ok(())
}

/// The audit log, newest first; for admins.
pub(crate) async fn list(
    tx: &mut Tx,
    actor: &Actor,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    ensure_reader(actor, "read the audit log")?;
    let rows: Vec<AuditRow> = on!(tx, |c| {
        sqlx::query_as(
            "SELECT a.id, a.actor_id, u.name AS actor_name, a.actor_role, a.action, a.subject, \
             a.count, a.detail, a.at FROM operator_actions a LEFT JOIN users u ON u.id = a.actor_id \
             WHERE ($1 IS NULL OR a.actor_id = $1) AND ($2 IS NULL OR a.action = $2) \
             AND ($3 IS NULL OR a.at >= $3) AND ($4 IS NULL OR a.at < $4) \
             AND ($5 IS NULL OR a.id < $5) ORDER BY a.id DESC LIMIT $6",
        )
        .bind(filter.actor_id)
        .bind(filter.action.map(AuditAction::as_str))
        .bind(filter.from.map(ts))
        .bind(filter.to.map(ts))
        .bind(filter.before_id)
        .bind(i64::from(filter.limit.clamp(1, 1000)))
        .fetch_all(c)
        .await
    })?;
    rows.into_iter()
        .map(|r| {
            let action = AuditAction::parse(&r.action).ok_or_else(|| {
                sqlx::Error::Decode(format!("unexpected audit action `{}`", r.action).into())
            })?;
            Ok(AuditEntry {
                id: r.id,
                actor_id: r.actor_id,
                actor_name: r.actor_name,
                actor_role: r.actor_role,
                action,
                subject: r.subject,
                count: r.count,
                detail: r.detail,
                at: r.at.into(),
            })
        })
        .collect()
}

/// Operators (admins and viewers) read the console's records.
pub(crate) fn ensure_reader(actor: &Actor, what: &str) -> Result<(), StoreError> {
    if actor.sees_everything() {
        Ok(())
    } else {
        Err(DomainError::not_permitted(actor.role, what).into())
    }
}

/// Only admins act in the console.
pub(crate) fn ensure_admin(actor: &Actor, what: &str) -> Result<(), StoreError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(DomainError::not_permitted(actor.role, what).into())
    }
}

//! Start-up data: the admin named by ADMIN_EMAIL/ADMIN_PASSWORD, and, only when asked
//! (SEED_DEMO, which `scripts/run` sets), the demo accounts and providers, so a newcomer
//! can try every role.

use serde::Serialize;

use shared::account::NewUser;
use shared::error::{DomainError, StoreError};
use shared::provider::NewProvider;
use shared::{Accounts, Providers, Role};

use crate::auth::password;
use crate::error::ApiError;

/// The password of every demo account. Demo data only: never seed a real deployment.
pub const DEMO_PASSWORD: &str = "demo1234";

/// A demo account, as the sign-in page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DemoLogin {
    pub role: Role,
    pub name: String,
    pub email: String,
    pub password: String,
}

/// The demo providers: six over four service types, with different ratings so that
/// matching has something to choose by.
const DEMO_PROVIDERS: [(&str, &str, &[&str], f64); 6] = [
    ("Priya Patel", "priya@example.com", &["plumbing"], 4.8),
    (
        "Marco Rossi",
        "marco@example.com",
        &["plumbing", "handyman"],
        4.5,
    ),
    ("Chen Wei", "chen@example.com", &["cleaning"], 4.9),
    (
        "Dana Cole",
        "dana@example.com",
        &["cleaning", "handyman"],
        4.2,
    ),
    ("Eli Brooks", "eli@example.com", &["electrical"], 4.7),
    (
        "Sam Okafor",
        "sam@example.com",
        &["electrical", "handyman"],
        4.4,
    ),
];

/// The demo logins, whether or not they exist yet.
pub fn demo_logins() -> Vec<DemoLogin> {
    let login = |role, name: &str, email: &str| DemoLogin {
        role,
        name: name.into(),
        email: email.into(),
        password: DEMO_PASSWORD.into(),
    };
    let mut logins = vec![
        login(Role::Admin, "Ada Admin", "admin@example.com"),
        login(Role::Customer, "Casey Customer", "customer@example.com"),
    ];
    logins.extend(
        DEMO_PROVIDERS
            .iter()
            .map(|(name, email, _, _)| login(Role::Provider, name, email)),
    );
    logins
}

/// Creates the demo accounts and providers that do not exist yet; returns how many were created.
pub async fn seed_demo(accounts: &Accounts, providers: &Providers) -> Result<usize, ApiError> {
    let hash = password::hash(DEMO_PASSWORD.into()).await?;
    let mut created = 0;
    for (role, name, email) in [
        (Role::Admin, "Ada Admin", "admin@example.com"),
        (Role::Customer, "Casey Customer", "customer@example.com"),
    ] {
        let new = NewUser {
            email: email.into(),
            name: name.into(),
            password_hash: hash.clone(),
            role,
        };
        created += usize::from(ignore_duplicate(accounts.create_user(new).await)?);
    }
    for (name, email, services, rating) in DEMO_PROVIDERS {
        let new = NewProvider {
            name: name.into(),
            email: email.into(),
            phone: None,
            service_types: services.iter().map(|s| s.to_string()).collect(),
            available: true,
            rating,
            login_password_hash: Some(hash.clone()),
        };
        created += usize::from(ignore_duplicate(
            providers.create(&shared::Actor::system("seed"), new).await,
        )?);
    }
    Ok(created)
}

/// The e-mails of the demo accounts that exist and still accept the demo password.
pub async fn demo_accounts_with_demo_password(
    accounts: &Accounts,
) -> Result<Vec<String>, ApiError> {
    let mut exposed = Vec::new();
    for login in demo_logins() {
        if let Some((_, hash)) = accounts.user_with_password(&login.email).await?
            && password::verify(DEMO_PASSWORD.into(), hash).await
        {
            exposed.push(login.email);
        }
    }
    Ok(exposed)
}

/// Creates the admin from ADMIN_EMAIL/ADMIN_PASSWORD if no account has that e-mail.
pub async fn ensure_admin(
    accounts: &Accounts,
    email: &str,
    admin_password: &str,
) -> Result<bool, ApiError> {
    if accounts.user_with_password(email).await?.is_some() {
        return Ok(false);
    }
    password::check_new("password", admin_password)?;
    let new = NewUser {
        email: email.into(),
        name: "Administrator".into(),
        password_hash: password::hash(admin_password.into()).await?,
        role: Role::Admin,
    };
    ignore_duplicate(accounts.create_user(new).await)
}

/// `Ok(true)` when created, `Ok(false)` when it already existed.
fn ignore_duplicate<T>(result: Result<T, StoreError>) -> Result<bool, ApiError> {
    match result {
        Ok(_) => Ok(true),
        Err(StoreError::Domain(DomainError::Conflict {
            code: "duplicate_email",
            ..
        })) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

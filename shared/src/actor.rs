//! Who is acting: the roles and the identity that every store write records.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The role a change is made in. `System` is the worker; it has no login. A `Viewer` is a
/// read-only operator: it sees what an admin sees and changes nothing, so no history row
/// ever names it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Provider,
    Admin,
    Viewer,
    System,
}

impl Role {
    /// Every role, in a stable order (used by tests and by the CHECK constraint's list).
    pub const ALL: [Role; 5] = [
        Role::Customer,
        Role::Provider,
        Role::Admin,
        Role::Viewer,
        Role::System,
    ];

    /// An operator (admin or viewer): sees every booking, job and record.
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::Viewer)
    }

    /// The name stored in the database and sent over the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Provider => "provider",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
            Role::System => "system",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The caller of a store operation: recorded in history as who, in what role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user id; `None` for the system (a worker).
    pub user_id: Option<i64>,
    /// A display name for the audit trail: the user's name, or the worker's name.
    pub name: String,
    pub role: Role,
    /// For a provider's login, the provider record it acts for.
    pub provider_id: Option<i64>,
}

impl Actor {
    /// The worker process `name`, acting in the system role.
    pub fn system(name: impl Into<String>) -> Self {
        Actor {
            user_id: None,
            name: name.into(),
            role: Role::System,
            provider_id: None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// An admin or a viewer: sees every booking, job and record the console shows.
    pub fn sees_everything(&self) -> bool {
        self.role.sees_everything()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}

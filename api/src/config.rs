//! The API's configuration: flags that mirror environment variables, loaded once.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use chrono_tz::Tz;
use queue::RetryPolicy;
use runtime::{DatabaseArgs, LogArgs};
use shared::schedule::ScheduleRules;

/// What the binary does instead of serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Copies the SQLite database to a new file while the service runs (a consistent
    /// snapshot, checked before it is kept). For PostgreSQL use pg_dump.
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        output: std::path::PathBuf,
    },
}

#[derive(Debug, Clone, Parser)]
#[command(name = "api", about = "The booking service's HTTP API and frontend")]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
    #[command(flatten)]
    pub retry: RetryArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    #[command(flatten)]
    pub rate_limits: RateLimitArgs,
    /// Address to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:5000")]
    pub bind_addr: String,
    /// Create this admin at start if no account has this e-mail (with ADMIN_PASSWORD).
    #[arg(long, env = "ADMIN_EMAIL", requires = "admin_password")]
    pub admin_email: Option<String>,
    #[arg(
        long,
        env = "ADMIN_PASSWORD",
        hide_env_values = true,
        requires = "admin_email"
    )]
    pub admin_password: Option<String>,
    /// Create the demo accounts (every password `demo1234`) and providers. Only when asked:
    /// `scripts/run` asks; a deployment never should.
    #[arg(long, env = "SEED_DEMO", default_value_t = false)]
    pub seed_demo: bool,
    /// Token signing key, at least 32 bytes; generated and kept in the database when unset.
    #[arg(long, env = "AUTH_SECRET", hide_env_values = true)]
    pub auth_secret: Option<String>,
    /// How long a sign-in lasts at most, however active.
    #[arg(long, env = "AUTH_TOKEN_TTL_MINUTES", default_value_t = 720, value_parser = clap::value_parser!(i64).range(1..=525_600))]
    pub token_ttl_minutes: i64,
    /// A sign-in ends after this long without a request.
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 240, value_parser = clap::value_parser!(i64).range(1..=525_600))]
    pub session_idle_minutes: i64,
    /// Mark the session cookie Secure (when served over HTTPS).
    #[arg(long, env = "COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,
    /// The one browser origin allowed to call the API cross-origin (none by default).
    #[arg(long, env = "CORS_ORIGIN")]
    pub cors_origin: Option<String>,
    /// Where people open the app (`https://bookings.example.com`): the start of the links
    /// the API hands out (a password-reset link). Unset, the request's `Host`, with https
    /// when `COOKIE_SECURE` is on: right when the API is reached directly, not behind a
    /// proxy that changes the host.
    #[arg(long, env = "PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,
    /// The built frontend (`npm run build` in frontend/), served at `/`.
    #[arg(long, env = "FRONTEND_DIR", default_value = "frontend/dist")]
    pub frontend_dir: std::path::PathBuf,
    /// How long a request may take before it gets 408.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
}

/// How assignment attempts are retried. Set here, on the API, which stores it with every
/// assignment job it enqueues or retries; workers follow what each job says.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    /// Attempt k >= 2 waits base * 2^(k-2) milliseconds after attempt k-1 failed.
    #[arg(long, env = "ASSIGN_BACKOFF_BASE_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub assign_backoff_base_ms: u64,
    /// Attempts per assignment cycle before the job is dead.
    #[arg(long, env = "ASSIGN_MAX_ATTEMPTS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub assign_max_attempts: u32,
}

impl RetryArgs {
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(self.assign_backoff_base_ms),
            max_attempts: self.assign_max_attempts,
        }
    }
}

/// Rate limits, per API process (README, Configuration). 0 turns one off.
#[derive(Debug, Clone, Args)]
pub struct RateLimitArgs {
    /// Requests a minute from one client address without a valid sign-in.
    #[arg(long, env = "RATE_LIMIT_ANONYMOUS_PER_MIN", default_value_t = 300)]
    pub anonymous_per_min: u32,
    /// Requests a minute from one signed-in user.
    #[arg(long, env = "RATE_LIMIT_USER_PER_MIN", default_value_t = 1200)]
    pub user_per_min: u32,
    /// Bookings one user may create a minute.
    #[arg(long, env = "RATE_LIMIT_BOOKINGS_PER_MIN", default_value_t = 30)]
    pub bookings_per_min: u32,
}

impl RateLimitArgs {
    pub fn settings(&self) -> crate::limits::RateLimitSettings {
        crate::limits::RateLimitSettings {
            anonymous_per_min: self.anonymous_per_min,
            user_per_min: self.user_per_min,
            bookings_per_min: self.bookings_per_min,
        }
    }
}

/// The rules of time: where the service area is, how far ahead bookings are made, how
/// long an offer waits for its provider's answer.
#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// The service area's IANA time zone: a booking's address is in it unless the
    /// booking names its own; the slot grid follows its clock.
    #[arg(long, env = "SERVICE_TIME_ZONE", default_value = "UTC", value_parser = parse_time_zone)]
    pub service_time_zone: Tz,
    /// New bookings start at least this many minutes from now.
    #[arg(long, env = "MIN_LEAD_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(i64).range(0..=10_080))]
    pub min_lead_minutes: i64,
    /// An offer the provider neither accepts nor rejects within this many seconds
    /// expires: a failed attempt, retried with backoff, that provider skipped.
    #[arg(long, env = "OFFER_TIMEOUT_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub offer_timeout_secs: u64,
}

fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("`{name}` is not an IANA time zone (e.g. Europe/Berlin)"))
}

impl ScheduleArgs {
    pub fn rules(&self) -> ScheduleRules {
        ScheduleRules {
            service_time_zone: self.service_time_zone,
            min_lead: chrono::Duration::minutes(self.min_lead_minutes),
            offer_timeout: Duration::from_secs(self.offer_timeout_secs),
        }
    }
}

/// The shortest `AUTH_SECRET` accepted: a short key can be guessed, and whoever guesses it
/// can sign a token for any account.
pub const MIN_AUTH_SECRET_LEN: usize = 32;

impl Config {
    /// Refuses settings that would start an unsafe server. The message names the variable
    /// and never repeats a secret.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.auth_secret
            && secret.len() < MIN_AUTH_SECRET_LEN
        {
            anyhow::bail!(
                "AUTH_SECRET is {} bytes; it must be at least {MIN_AUTH_SECRET_LEN} \
                 (e.g. `openssl rand -hex 32`), or unset to generate one",
                secret.len()
            );
        }
        Ok(())
    }

    /// Whether the API listens only on this host (a loopback address).
    pub fn binds_loopback(&self) -> bool {
        self.bind_addr
            .parse::<std::net::SocketAddr>()
            .map(|a| a.ip().is_loopback())
            .unwrap_or_else(|_| self.bind_addr.starts_with("localhost:"))
    }
}

/// A `PUBLIC_URL`: `http://` or `https://` and a host, no path, query or fragment;
/// without a trailing `/`.
fn public_url(value: &str) -> Result<String, String> {
    let url = value.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// or http://")?;
    if host.is_empty() || host.contains(['/', '?', '#', ' ', '@']) {
        return Err("must be an origin such as https://bookings.example.com (no path)".into());
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_public_url_is_an_origin_without_a_trailing_slash() {
        assert_eq!(
            super::public_url("https://bookings.example.com/").as_deref(),
            Ok("https://bookings.example.com")
        );
        assert_eq!(
            super::public_url("http://127.0.0.1:5000").as_deref(),
            Ok("http://127.0.0.1:5000")
        );
        for bad in [
            "bookings.example.com",
            "ftp://bookings.example.com",
            "https://",
            "https://bookings.example.com/app",
            "https://x.example?y",
            "https://user@x.example",
        ] {
            assert!(super::public_url(bad).is_err(), "{bad}");
        }
    }
}

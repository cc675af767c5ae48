//! Password hashing with argon2 (its default parameters), off the async threads, a few
//! at a time.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

use std::sync::Arc;

use tokio::sync::Semaphore;

use shared::error::FieldErrors;
use shared::input;

use crate::error::ApiError;

/// The shortest and longest passwords accepted.
pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Checks a new password's length; the message is for `field`.
pub fn check_new(field: &str, password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(ApiError::field(
            field,
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(ApiError::field(
            field,
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// A new account's name, e-mail and password, checked field by field (every bad field
/// named at once); the name trimmed and the e-mail lower-cased, ready to store, and the
/// password hashed.
pub async fn new_account(
    name: &str,
    email: &str,
    password: String,
) -> Result<(String, String, String), ApiError> {
    let mut errors = FieldErrors::new();
    let name = input::text(&mut errors, "name", name, 200);
    let email = input::email(&mut errors, "email", email);
    if let Err(ApiError::Validation(e)) = check_new("password", &password) {
        errors.extend(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok((name, email, hash(password).await?))
}

/// Argon2 is all CPU and takes 19 MiB at a time: as many hash at once as there are
/// cores, and the rest wait their turn, so that a burst of sign-ins costs time, not the
/// memory of hundreds of hashes.
static HASHING: std::sync::LazyLock<Arc<Semaphore>> = std::sync::LazyLock::new(|| {
    Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ))
});

/// Runs `work` on the blocking pool when a hashing turn is free. The turn goes with the
/// work, so that it is held until the hash is done even if the caller stops waiting.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let turn = HASHING
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
}

/// Hashes a password (argon2id, random salt) on the blocking pool.
pub async fn hash(password: String) -> Result<String, ApiError> {
    hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches `stored`. A malformed stored hash never matches.
pub async fn verify(password: String, stored: String) -> bool {
    hashing(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing anyone knows, made once, for checking unknown e-mails in constant time.
pub async fn dummy_hash() -> Result<String, ApiError> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| hash(format!("{:x}", rand::random::<u128>())))
        .await
        .cloned()
}

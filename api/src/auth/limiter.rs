//! Sign-in throttling: after too many failed sign-ins for one e-mail within a window,
//! further attempts for it get 429 until the window passes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failed attempts allowed per e-mail per window.
const MAX_FAILURES: u32 = 10;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Beyond this many tracked e-mails, expired entries are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Clone, Default)]
pub struct LoginLimiter {
    failures: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl LoginLimiter {
    /// `Err(seconds to wait)` when this e-mail is locked out.
    pub fn check(&self, email: &str) -> Result<(), u64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(email) {
            Some((start, n)) if *n >= MAX_FAILURES && start.elapsed() < WINDOW => {
                Err((WINDOW - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let entry = map.entry(email.to_owned()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    pub fn record_success(&self, email: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_lock_the_email_and_a_success_unlocks_it() {
        let l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES - 1 {
            l.record_failure("a@example.com");
        }
        assert!(l.check("a@example.com").is_ok());
        l.record_failure("a@example.com");
        assert!(l.check("a@example.com").is_err());
        assert!(l.check("b@example.com").is_ok());
        l.record_success("a@example.com");
        assert!(l.check("a@example.com").is_ok());
    }
}

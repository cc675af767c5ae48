//! Sign-in throttling, per client address and account together: after too many failed
//! sign-ins for one e-mail from one address within a window, further attempts from there
//! get 429 until the window passes. Someone guessing from another address cannot lock the
//! account's owner out. An attempt is counted before its password is checked (so that
//! many at once cannot all slip past the limit) and forgiven if it succeeds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failed attempts allowed per address and e-mail per window.
pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Beyond this many tracked pairs, expired entries are swept.
const SWEEP_AT: usize = 10_000;
/// The most pairs tracked at once: past it (after a sweep), the oldest are forgotten, so
/// a flood of made-up e-mails cannot grow memory without bound.
const MAX_TRACKED: usize = 50_000;
/// The longest e-mail kept as a key (longer ones are cut: no real address is longer).
const MAX_KEY_EMAIL: usize = 254;

type Key = (IpAddr, String);

#[derive(Debug, Clone, Default)]
pub struct LoginLimiter {
    failures: Arc<Mutex<Tracked>>,
}

#[derive(Debug, Default)]
struct Tracked {
    pairs: HashMap<Key, (Instant, u32)>,
    /// The size at which the next sweep runs: twice what the last one left (at least
    /// [`SWEEP_AT`]), so that sweeping costs a constant per attempt however many pairs
    /// are live.
    sweep_at: usize,
}

impl Tracked {
    fn sweep(&mut self) {
        self.pairs.retain(|_, (start, _)| start.elapsed() < WINDOW);
        if self.pairs.len() >= MAX_TRACKED {
            let mut starts: Vec<Instant> = self.pairs.values().map(|(s, _)| *s).collect();
            starts.sort_unstable();
            let cutoff = starts[starts.len() - MAX_TRACKED / 2];
            self.pairs.retain(|_, (start, _)| *start >= cutoff);
        }
        self.sweep_at = (self.pairs.len() * 2).clamp(SWEEP_AT, MAX_TRACKED);
    }
}

fn key(address: IpAddr, email: &str) -> Key {
    let mut email = email.to_owned();
    if email.len() > MAX_KEY_EMAIL {
        let mut cut = MAX_KEY_EMAIL;
        while !email.is_char_boundary(cut) {
            cut -= 1;
        }
        email.truncate(cut);
    }
    (address, email)
}

impl LoginLimiter {
    /// Counts an attempt for `email` from `address` before its password is checked:
    /// `Err(seconds to wait)` when that pair is locked out. A success forgives it
    /// ([`LoginLimiter::succeeded`]); a failure leaves it counted.
    pub fn attempt(&self, address: IpAddr, email: &str) -> Result<(), u64> {
        let mut tracked = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if tracked.pairs.len() >= tracked.sweep_at.max(SWEEP_AT) {
            tracked.sweep();
        }
        let entry = tracked
            .pairs
            .entry(key(address, email))
            .or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        if entry.1 >= MAX_FAILURES {
            return Err((WINDOW - entry.0.elapsed()).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// The sign-in succeeded: its pair starts afresh.
    pub fn succeeded(&self, address: IpAddr, email: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pairs
            .remove(&key(address, email));
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.failures.lock().unwrap().pairs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));

    #[test]
    fn ten_failures_lock_the_pair_not_the_account_and_a_success_unlocks_it() {
        let l = LoginLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(l.attempt(ELSEWHERE, "a@example.com").is_ok());
        }
        let wait = l.attempt(ELSEWHERE, "a@example.com").unwrap_err();
        assert!((WINDOW.as_secs() - 5..=WINDOW.as_secs()).contains(&wait));
        // The owner, from their own address, is not locked out; nor is another account.
        assert!(l.attempt(HOME, "a@example.com").is_ok());
        assert!(l.attempt(ELSEWHERE, "b@example.com").is_ok());
        l.succeeded(ELSEWHERE, "a@example.com");
        assert!(l.attempt(ELSEWHERE, "a@example.com").is_ok());
    }

    #[test]
    fn attempts_count_before_the_password_is_checked() {
        // Ten attempts in flight at once (none answered yet): the eleventh is refused.
        let l = LoginLimiter::default();
        let admitted = (0..60)
            .filter(|_| l.attempt(ELSEWHERE, "a@example.com").is_ok())
            .count();
        assert_eq!(admitted, MAX_FAILURES as usize);
    }

    #[test]
    fn memory_is_bounded_whatever_is_sent() {
        let l = LoginLimiter::default();
        for i in 0..(MAX_TRACKED + 10_000) {
            let _ = l.attempt(ELSEWHERE, &format!("{i}{}", "x".repeat(60_000)));
        }
        assert!(l.tracked() <= MAX_TRACKED);
        let long = "y".repeat(60_000);
        let _ = l.attempt(HOME, &long);
        assert!(
            l.failures
                .lock()
                .unwrap()
                .pairs
                .keys()
                .all(|(_, e)| e.len() <= MAX_KEY_EMAIL)
        );
    }
}

//! How a job's failed attempts are retried. The policy travels with the job (its row
//! holds `max_attempts` and `backoff_base_ms`), so every process that records a failure
//! schedules the same retry, whatever its own configuration says.

use std::time::Duration;

/// Attempt 1 runs when the job is due; attempt k >= 2 runs `base * 2^(k-2)` after
/// attempt k-1 failed; after attempt `max_attempts` fails the job is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(2000),
            max_attempts: 4,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based), counted from the failure of the one
    /// before.
    pub fn delay_before(&self, attempt: u32) -> Duration {
        match attempt {
            0 | 1 => Duration::ZERO,
            k => self.base.saturating_mul(1u32 << (k - 2).min(20)),
        }
    }

    /// Whether a failure of attempt `attempt` leaves another attempt.
    pub fn has_attempt_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The base in milliseconds, as stored.
    pub fn base_ms(&self) -> i64 {
        i64::try_from(self.base.as_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_waits_nothing_then_two_four_and_eight_seconds() {
        let p = RetryPolicy::default();
        let waits: Vec<_> = (1..=4).map(|k| p.delay_before(k).as_millis()).collect();
        assert_eq!(waits, [0, 2000, 4000, 8000]);
        assert!(p.has_attempt_after(3));
        assert!(!p.has_attempt_after(4));
    }

    #[test]
    fn the_base_scales_every_wait() {
        let p = RetryPolicy {
            base: Duration::from_millis(500),
            max_attempts: 4,
        };
        let waits: Vec<_> = (1..=4).map(|k| p.delay_before(k).as_millis()).collect();
        assert_eq!(waits, [0, 500, 1000, 2000]);
        assert_eq!(p.base_ms(), 500);
    }

    #[test]
    fn waits_stop_doubling_instead_of_overflowing() {
        let p = RetryPolicy {
            base: Duration::from_secs(1),
            max_attempts: 100,
        };
        assert_eq!(p.delay_before(22), p.delay_before(40));
    }
}

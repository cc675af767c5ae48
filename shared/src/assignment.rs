//! The assignment retry policy: how many attempts a cycle has and when each runs.

use std::time::Duration;

/// Attempt 1 runs at once; attempt k >= 2 runs `base * 2^(k-2)` after attempt k-1 failed.
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
    /// The wait before attempt `attempt` (1-based) of a cycle.
    pub fn delay_before(&self, attempt: u32) -> Duration {
        match attempt {
            0 | 1 => Duration::ZERO,
            k => self.base.saturating_mul(1u32 << (k - 2).min(20)),
        }
    }

    /// Whether a failure of attempt `attempt` leaves another attempt in this cycle.
    pub fn has_attempt_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
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
    }
}

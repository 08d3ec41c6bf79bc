//! Per-object retry delays: 5 s doubling to 300 s, as the Go service controller does
//! (`minRetryDelay`/`maxRetryDelay`), reset by a success. kube-runtime has no built-in for this.
//!
//! Keys are plain strings (`namespace/name`), so this knows nothing of Kubernetes types. Jitter
//! (±10 %) keeps many Services failing together from retrying in lockstep.

use rand::Rng;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// First retry delay after a failure.
pub const MIN_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Upper bound of the retry delay.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// Failure counts per object, and the delays they imply.
#[derive(Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: Mutex<HashMap<String, u32>>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(MIN_RETRY_DELAY, MAX_RETRY_DELAY)
    }
}

impl Backoff {
    /// Delays start at `min` and double up to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Records a failure of `key` and returns how long to wait before the next try (without
    /// jitter): `min`, `2·min`, `4·min`, … capped at `max`.
    pub fn failed(&self, key: &str) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let count = failures.entry(key.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
        delay_after(self.min, self.max, *count)
    }

    /// Like [`Backoff::failed`], with ±10 % jitter.
    pub fn failed_jittered(&self, key: &str) -> Duration {
        let delay = self.failed(key);
        let factor = rand::rng().random_range(0.9..=1.1);
        delay.mul_f64(factor).min(self.max)
    }

    /// Forgets the failures of `key` (after a success).
    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    /// How many failures in a row `key` has had.
    pub fn failures(&self, key: &str) -> u32 {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

/// The delay after the `n`-th failure in a row (`n ≥ 1`).
pub fn delay_after(min: Duration, max: Duration, n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(31);
    min.saturating_mul(1u32 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_five_seconds_and_stop_at_five_minutes() {
        let b = Backoff::default();
        let delays: Vec<u64> = (0..9).map(|_| b.failed("ns/svc").as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn a_success_resets_only_that_object() {
        let b = Backoff::default();
        b.failed("ns/a");
        b.failed("ns/a");
        b.failed("ns/b");
        b.succeeded("ns/a");
        assert_eq!(b.failures("ns/a"), 0);
        assert_eq!(b.failures("ns/b"), 1);
        assert_eq!(b.failed("ns/a"), MIN_RETRY_DELAY);
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_under_the_cap() {
        let b = Backoff::default();
        for n in 1..40 {
            let d = b.failed_jittered("ns/j");
            let plain = delay_after(MIN_RETRY_DELAY, MAX_RETRY_DELAY, n);
            assert!(d >= plain.mul_f64(0.9) && d <= plain.mul_f64(1.1).min(MAX_RETRY_DELAY));
        }
    }

    #[test]
    fn huge_failure_counts_do_not_overflow() {
        assert_eq!(
            delay_after(MIN_RETRY_DELAY, MAX_RETRY_DELAY, u32::MAX),
            MAX_RETRY_DELAY
        );
    }
}

//! The retry-delay policy: 5 s doubling to 300 s, as the Go service controller does
//! (`minRetryDelay`/`maxRetryDelay`), with ±10 % jitter so that many Services failing together
//! do not retry in lockstep. kube-runtime has no built-in for this.
//!
//! Pure: it maps a count of failures in a row to a delay. The counts themselves live with the
//! rest of a Service's state in [`crate::service_state`], which resets them on success and
//! drops them when the Service goes.

use rand::Rng;
use std::time::Duration;

/// First retry delay after a failure.
pub const MIN_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Upper bound of the retry delay.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// Delays that start at `min` and double up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryDelays {
    /// After the first failure.
    pub min: Duration,
    /// The cap.
    pub max: Duration,
}

impl Default for RetryDelays {
    fn default() -> Self {
        Self {
            min: MIN_RETRY_DELAY,
            max: MAX_RETRY_DELAY,
        }
    }
}

impl RetryDelays {
    /// The delay after the `n`-th failure in a row, without jitter: `min`, `2·min`, `4·min`,
    /// … capped at `max`.
    pub fn after(&self, n: u32) -> Duration {
        delay_after(self.min, self.max, n)
    }

    /// [`RetryDelays::after`] with ±10 % jitter, still at most `max`.
    pub fn jittered(&self, n: u32) -> Duration {
        let factor = rand::rng().random_range(0.9..=1.1);
        self.after(n).mul_f64(factor).min(self.max)
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
        let delays: Vec<u64> = (1..=9)
            .map(|n| RetryDelays::default().after(n).as_secs())
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_under_the_cap() {
        let delays = RetryDelays::default();
        for n in 1..40 {
            let d = delays.jittered(n);
            let plain = delays.after(n);
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

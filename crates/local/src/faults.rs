//! Fault injection for tests and demos: per-action throttling (`Throttling.User`), arrears
//! and insufficient balance (answered by billing calls), and added latency (applied by the
//! async callers, not here).
//!
//! Throttling is deterministic, not random: with rate `r` for an action, call `n` (1-based)
//! is rejected when `floor(n·r) > floor((n−1)·r)`, so 0.5 rejects every second call and 1.0
//! every call. Tests can then count on exact outcomes. Local admin actions are never
//! throttled, so a test can always lift a fault it set.

use std::collections::HashMap;

use slb_openapi::error::{ApiError, codes};

use crate::config::FaultConfig;

/// The wildcard key of [`FaultConfig::throttle`].
pub const ALL_ACTIONS: &str = "*";

/// The fault settings plus the per-action call counters throttling needs.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    config: FaultConfig,
    calls: HashMap<String, u64>,
}

impl Faults {
    /// Faults as configured.
    pub fn new(config: FaultConfig) -> Self {
        Self {
            config,
            calls: HashMap::new(),
        }
    }

    /// The current settings.
    pub fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Replaces the settings; throttle counters restart.
    pub fn set(&mut self, config: FaultConfig) {
        self.config = config;
        self.calls.clear();
    }

    /// Counts a call of `action` and rejects it with `Throttling.User` when its turn is due.
    ///
    /// # Errors
    /// `Throttling.User` (400).
    pub fn admit(&mut self, action: &str) -> Result<(), ApiError> {
        if action.starts_with(crate::engine::ADMIN_PREFIX) {
            return Ok(());
        }
        let rate = self
            .config
            .throttle
            .get(action)
            .or_else(|| self.config.throttle.get(ALL_ACTIONS))
            .copied()
            .unwrap_or(0.0);
        if rate <= 0.0 {
            return Ok(());
        }
        let n = self.calls.entry(action.to_owned()).or_insert(0);
        *n += 1;
        if throttled(*n, rate) {
            Err(codes::THROTTLING_USER.error())
        } else {
            Ok(())
        }
    }
}

/// Whether call `n` (1-based) is rejected at `rate`.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
fn throttled(n: u64, rate: f64) -> bool {
    let rate = rate.clamp(0.0, 1.0);
    let now = (n as f64 * rate).floor() as u64;
    let before = ((n - 1) as f64 * rate).floor() as u64;
    now > before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(action: &str, rate: f64) -> Faults {
        let mut config = FaultConfig::default();
        config.throttle.insert(action.to_owned(), rate);
        Faults::new(config)
    }

    fn outcomes(f: &mut Faults, action: &str, n: usize) -> Vec<bool> {
        (0..n).map(|_| f.admit(action).is_err()).collect()
    }

    #[test]
    fn half_rate_rejects_every_second_call_with_throttling_user() {
        let mut f = faults("DescribeLoadBalancers", 0.5);
        assert_eq!(
            outcomes(&mut f, "DescribeLoadBalancers", 4),
            [false, true, false, true]
        );
        let mut f = faults("DescribeLoadBalancers", 0.5);
        f.admit("DescribeLoadBalancers").unwrap();
        let err = f.admit("DescribeLoadBalancers").unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.http_status),
            ("Throttling.User", 400)
        );
    }

    #[test]
    fn full_rate_rejects_all_and_other_actions_pass() {
        let mut f = faults("CreateLoadBalancer", 1.0);
        assert_eq!(
            outcomes(&mut f, "CreateLoadBalancer", 3),
            [true, true, true]
        );
        assert_eq!(
            outcomes(&mut f, "DescribeLoadBalancers", 3),
            [false, false, false]
        );
    }

    #[test]
    fn wildcard_applies_to_every_action_but_admin_ones() {
        let mut f = faults(ALL_ACTIONS, 1.0);
        assert!(f.admit("DeleteVServerGroup").is_err());
        assert!(f.admit("LocalSetFaults").is_ok());
    }
}

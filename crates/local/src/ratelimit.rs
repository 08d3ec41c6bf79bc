//! Flow control as Alibaba's OpenAPI gateway does it: per action and per account
//! (AccessKeyId), a token bucket; a call beyond it is answered `Throttling.User` (HTTP 400,
//! "Request was denied due to user flow control.").
//!
//! Configured under `rate_limits:` in the config file, per action or `"*"` for every action,
//! in the documented form "N calls per S seconds" (the OpenAPI portal states 90/60 s for
//! `CreateVServerGroup` and `CreateLoadBalancerTCPListener`); the bucket holds `burst` calls
//! (default N) and refills at N/S per second. Nothing is limited unless configured, and the
//! `Local*` admin actions never are. The fraction-based throttling of [`crate::faults`] is a
//! separate, deterministic fault for tests. This module decides only; the engine calls
//! [`RateLimiter::admit`] with the time.

use std::collections::{BTreeMap, HashMap};
use tokio::time::Instant;

use serde::{Deserialize, Serialize};
use slb_openapi::error::{ApiError, codes};

/// The wildcard action of [`RateLimits`].
pub const ALL_ACTIONS: &str = "*";

/// One action's quota: `calls` per `seconds`, at most `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Calls allowed per period.
    pub calls: u32,
    /// The period in seconds (default 1).
    #[serde(default = "one_second")]
    pub seconds: f64,
    /// Bucket size; `calls` when absent.
    #[serde(default)]
    pub burst: Option<u32>,
}

fn one_second() -> f64 {
    1.0
}

impl Quota {
    /// The documented default of CLB's write APIs: 90 calls per 60 s.
    pub const DOCUMENTED: Self = Self {
        calls: 90,
        seconds: 60.0,
        burst: None,
    };

    fn per_second(&self) -> f64 {
        f64::from(self.calls) / self.seconds
    }

    fn capacity(&self) -> f64 {
        f64::from(self.burst.unwrap_or(self.calls).max(1))
    }

    fn validate(&self) -> Result<(), String> {
        if self.calls == 0 || !(self.seconds.is_finite() && self.seconds > 0.0) {
            return Err(format!(
                "{} calls per {} s: use at least 1 call per a positive number of seconds",
                self.calls, self.seconds
            ));
        }
        Ok(())
    }
}

/// The `rate_limits:` section: per action name (or `"*"`), its quota.
pub type RateLimits = BTreeMap<String, Quota>;

/// Checks every quota of `limits`.
///
/// # Errors
/// The action and what is wrong with its quota.
pub fn validate(limits: &RateLimits) -> Result<(), String> {
    for (action, quota) in limits {
        quota.validate().map_err(|e| format!("{action}: {e}"))?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets, one per (account, action) that has been called.
#[derive(Debug, Default)]
pub struct RateLimiter {
    limits: RateLimits,
    buckets: HashMap<(String, String), Bucket>,
}

impl RateLimiter {
    /// A limiter enforcing `limits` (none when empty).
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for `action` called by `account` at `now`.
    ///
    /// # Errors
    /// `Throttling.User` (400) when the bucket is empty; nothing is taken then.
    pub fn admit(&mut self, account: &str, action: &str, now: Instant) -> Result<(), ApiError> {
        if action.starts_with(crate::engine::ADMIN_PREFIX) {
            return Ok(());
        }
        let Some(quota) = self
            .limits
            .get(action)
            .or_else(|| self.limits.get(ALL_ACTIONS))
            .copied()
        else {
            return Ok(());
        };
        let bucket = self
            .buckets
            .entry((account.to_owned(), action.to_owned()))
            .or_insert(Bucket {
                tokens: quota.capacity(),
                last: now,
            });
        let earned = now.saturating_duration_since(bucket.last).as_secs_f64() * quota.per_second();
        bucket.tokens = (bucket.tokens + earned).min(quota.capacity());
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(codes::THROTTLING_USER.error())
        }
    }
}

#[cfg(test)]
mod tests;

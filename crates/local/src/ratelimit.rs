//! Flow control as Alibaba's OpenAPI gateway does it: per action and per account
//! (AccessKeyId), a token bucket; a call beyond it is answered `Throttling.User` (HTTP 400,
//! "Request was denied due to user flow control.").
//!
//! Configured under `rate_limits:` in the config file, either as a preset name
//! (`rate_limits: documented`, Alibaba's published CLB quota table: see [`preset`]) or as a
//! map of quotas per action or `"*"` for every action, in the documented form "N calls per S
//! seconds"; the map may also name a preset (`preset: documented`), whose quotas then apply to
//! the actions the map does not list. The bucket holds `burst` calls (default N) and refills at
//! N/S per second. Nothing is limited unless configured, and the `Local*` admin actions never
//! are. The fraction-based throttling of [`crate::faults`] is a separate, deterministic fault
//! for tests. This module decides only; the engine calls [`RateLimiter::admit`] with the time.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use tokio::time::Instant;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use slb_openapi::error::{ApiError, codes};

pub mod preset;

pub use preset::Preset;

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
    /// Alibaba's published quota of CLB's write APIs (e.g. `CreateVServerGroup`,
    /// `CreateLoadBalancerTCPListener`, `AddBackendServers`): 90 calls per 60 s per account and
    /// action; the `documented` preset's rule for every action that is not a read.
    pub const DOCUMENTED: Self = Self {
        calls: 90,
        seconds: 60.0,
        burst: None,
    };

    /// Alibaba's published quota of CLB's reads (e.g. `DescribeAvailableResource`,
    /// `DescribeLoadBalancerTCPListenerAttribute`): 3,000 calls per 60 s per account and
    /// action; the `documented` preset's rule for `Describe*` and `List*`.
    pub const DOCUMENTED_READ: Self = Self {
        calls: 3000,
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

/// The key of the `rate_limits:` map that names a preset instead of an action.
pub const PRESET_KEY: &str = "preset";

/// The `rate_limits:` section: explicit quotas per action name (or `"*"`), and a preset for
/// the actions without one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimits {
    /// Quotas of the actions not in `actions` (nor covered by `"*"`).
    pub preset: Option<Preset>,
    /// Per action name, or [`ALL_ACTIONS`], its quota.
    pub actions: BTreeMap<String, Quota>,
}

impl RateLimits {
    /// No flow control.
    pub fn new() -> Self {
        Self::default()
    }

    /// The quotas of `preset` alone.
    pub fn from_preset(preset: Preset) -> Self {
        Self {
            preset: Some(preset),
            actions: BTreeMap::new(),
        }
    }

    /// Whether nothing is limited.
    pub fn is_empty(&self) -> bool {
        self.preset.is_none() && self.actions.is_empty()
    }

    /// The quota of `action`: its own entry, else `"*"`, else the preset's (`None`: unlimited).
    pub fn quota_for(&self, action: &str) -> Option<Quota> {
        self.actions
            .get(action)
            .or_else(|| self.actions.get(ALL_ACTIONS))
            .copied()
            .or_else(|| self.preset.map(|p| p.quota(action)))
    }
}

impl From<BTreeMap<String, Quota>> for RateLimits {
    fn from(actions: BTreeMap<String, Quota>) -> Self {
        Self {
            preset: None,
            actions,
        }
    }
}

/// Checks every quota of `limits`, and that a preset is not hidden behind `"*"`.
///
/// # Errors
/// The action and what is wrong with its quota.
pub fn validate(limits: &RateLimits) -> Result<(), String> {
    if let (Some(preset), true) = (limits.preset, limits.actions.contains_key(ALL_ACTIONS)) {
        return Err(format!(
            "\"{ALL_ACTIONS}\": a wildcard next to preset {} would replace every quota of the \
             preset; keep one of them",
            preset.name()
        ));
    }
    for (action, quota) in &limits.actions {
        quota.validate().map_err(|e| format!("{action}: {e}"))?;
    }
    Ok(())
}

impl Serialize for RateLimits {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let (Some(preset), true) = (self.preset, self.actions.is_empty()) {
            return s.serialize_str(preset.name());
        }
        let mut map = s.serialize_map(Some(
            self.actions.len() + usize::from(self.preset.is_some()),
        ))?;
        if let Some(preset) = self.preset {
            map.serialize_entry(PRESET_KEY, preset.name())?;
        }
        for (action, quota) in &self.actions {
            map.serialize_entry(action, quota)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RateLimits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RateLimitsVisitor)
    }
}

/// Reads a preset name, or a map of action quotas with an optional `preset:` entry.
struct RateLimitsVisitor;

impl<'de> Visitor<'de> for RateLimitsVisitor {
    type Value = RateLimits;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a preset name (documented) or a map of action (or \"*\") to \
             { calls, seconds, burst }, optionally with `preset: documented`",
        )
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<RateLimits, E> {
        Preset::parse(name)
            .map(RateLimits::from_preset)
            .map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<RateLimits, E> {
        Ok(RateLimits::new())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RateLimits, A::Error> {
        let mut limits = RateLimits::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == PRESET_KEY {
                let name: String = map.next_value()?;
                limits.preset = Some(Preset::parse(&name).map_err(de::Error::custom)?);
            } else {
                let quota: Quota = map.next_value()?;
                if limits.actions.insert(key.clone(), quota).is_some() {
                    return Err(de::Error::custom(format!("{key} appears twice")));
                }
            }
        }
        Ok(limits)
    }
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
        let Some(quota) = self.limits.quota_for(action) else {
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

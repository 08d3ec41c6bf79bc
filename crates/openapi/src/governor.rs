//! The API governor shared by every call of one client: per-action token buckets, a bound
//! on concurrent requests, and retries with jittered exponential backoff.
//!
//! Retry rule: an error is retried when [`ApiError::is_retryable`] says so and the attempt
//! budget allows. A resource-creating action without a `ClientToken` is retried only after a
//! *definite* rejection (throttling or a busy code answered by the server); after an
//! ambiguous outcome (timeout, transport error, 5xx) it is not, because the first attempt
//! may have created the resource. The decision functions are pure; [`Governor::run`] is the
//! only place that sleeps, always on `tokio::time` so tests can pause the clock.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use tokio::time::{Duration, Instant};

use crate::error::ApiError;

/// A token-bucket rate: `per_second` sustained, `burst` at once. `per_second <= 0` means
/// unlimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

impl RateLimit {
    /// No limit.
    pub const UNLIMITED: Self = Self {
        per_second: 0.0,
        burst: 0,
    };

    /// A limit of `per_second` with `burst`.
    pub fn new(per_second: f64, burst: u32) -> Self {
        Self { per_second, burst }
    }

    fn is_unlimited(&self) -> bool {
        self.per_second <= 0.0 || !self.per_second.is_finite()
    }
}

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retries).
    pub max_attempts: u32,
    /// Backoff before the first retry (doubled each time, before jitter).
    pub base_delay: Duration,
    /// Cap on one backoff.
    pub max_delay: Duration,
    /// Throttling gets this many attempts instead (the CCM's `--max-throttling-retry-times`).
    pub max_throttling_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_throttling_attempts: 10,
        }
    }
}

/// Governor settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GovernorConfig {
    /// Most requests in flight at once, across all actions (at least 1).
    pub max_concurrency: usize,
    /// Limit for actions without their own entry.
    pub default_rate: RateLimit,
    /// Per-action limits, by action name (e.g. `DescribeLoadBalancers`).
    pub per_action: HashMap<String, RateLimit>,
    /// Retry settings.
    pub retry: RetryPolicy,
}

impl Default for GovernorConfig {
    /// 10 concurrent requests, 20 requests/s (burst 40) per action, default retries. CLB's
    /// published per-API quotas are tens of calls per second per account; staying below
    /// them leaves room for other clients of the same account.
    fn default() -> Self {
        Self {
            max_concurrency: 10,
            default_rate: RateLimit::new(20.0, 40),
            per_action: HashMap::new(),
            retry: RetryPolicy::default(),
        }
    }
}

/// What kind of outcome an attempt may have had, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatSafety {
    /// Repeating the request can never do harm (reads, idempotent writes, creates with a
    /// `ClientToken`).
    Safe,
    /// Repeating is safe only when the server definitely did not execute the request.
    OnlyAfterRejection,
}

/// Whether to retry after `err` on attempt number `attempt` (1-based), and if so the
/// un-jittered backoff ceiling. `retry_after` is a server hint that overrides the backoff.
pub fn retry_delay(
    err: &ApiError,
    attempt: u32,
    policy: &RetryPolicy,
    safety: RepeatSafety,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    if !err.is_retryable() {
        return None;
    }
    if safety == RepeatSafety::OnlyAfterRejection && err.outcome_unknown() {
        return None;
    }
    let budget = if err.is_throttling() {
        policy.max_throttling_attempts.max(policy.max_attempts)
    } else {
        policy.max_attempts
    };
    if attempt >= budget {
        return None;
    }
    if let Some(hint) = retry_after {
        return Some(hint.min(policy.max_delay));
    }
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(20));
    Some(exp.min(policy.max_delay))
}

/// "Equal jitter": half the ceiling plus a random share of the other half, so retries
/// spread out but never collapse to zero. `unit` is a random number in `[0, 1)`.
pub fn jitter(ceiling: Duration, unit: f64) -> Duration {
    let half = ceiling / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// A reservation-style token bucket on `tokio::time`: each acquire takes a token now or
/// reserves the next one and waits for it, so waiters are paced exactly at the rate.
#[derive(Debug)]
pub struct TokenBucket {
    limit: RateLimit,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            state: Mutex::new(BucketState {
                tokens: f64::from(limit.burst.max(1)),
                last: Instant::now(),
            }),
        }
    }

    /// How long the caller must wait for its token (zero when one was available). The token
    /// is taken (or reserved) by this call.
    pub fn reserve(&self) -> Duration {
        if self.limit.is_unlimited() {
            return Duration::ZERO;
        }
        let now = Instant::now();
        // A poisoned lock only means another thread panicked mid-update; the state is two
        // numbers and stays usable.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(state.last).as_secs_f64();
        let cap = f64::from(self.limit.burst.max(1));
        state.tokens = (state.tokens + elapsed * self.limit.per_second).min(cap);
        state.last = now;
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / self.limit.per_second)
        }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The outcome of one attempt as the governor sees it.
#[derive(Debug)]
pub struct AttemptError {
    /// The error.
    pub error: ApiError,
    /// A server retry hint (e.g. `TimeLeft` of `x-ratelimit-user-api`).
    pub retry_after: Option<Duration>,
}

impl From<ApiError> for AttemptError {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

/// Observes the governor's decisions (metrics hook).
pub trait GovernorObserver: Send + Sync {
    /// A retry of `action` after `err`, sleeping `delay`.
    fn on_retry(&self, action: &str, err: &ApiError, delay: Duration);
}

/// The shared governor. Cheap to clone (all state behind `Arc`).
#[derive(Debug, Clone)]
pub struct Governor {
    inner: Arc<GovernorInner>,
}

#[derive(Debug)]
struct GovernorInner {
    config: GovernorConfig,
    semaphore: Semaphore,
    buckets: Mutex<HashMap<String, Arc<TokenBucket>>>,
}

impl Governor {
    /// A governor with `config`.
    pub fn new(config: GovernorConfig) -> Self {
        let permits = config.max_concurrency.max(1);
        Self {
            inner: Arc::new(GovernorInner {
                config,
                semaphore: Semaphore::new(permits),
                buckets: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &GovernorConfig {
        &self.inner.config
    }

    fn bucket(&self, action: &str) -> Arc<TokenBucket> {
        let mut buckets = self.inner.buckets.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(buckets.entry(action.to_owned()).or_insert_with(|| {
            let limit = self
                .inner
                .config
                .per_action
                .get(action)
                .copied()
                .unwrap_or(self.inner.config.default_rate);
            Arc::new(TokenBucket::new(limit))
        }))
    }

    /// Runs `attempt` (given the 1-based attempt number) under the rate limit and the
    /// concurrency bound, retrying per the policy. The permit is held only while an attempt
    /// runs, never during backoff.
    ///
    /// # Errors
    /// The last attempt's error.
    pub async fn run<T, F, Fut>(
        &self,
        action: &str,
        safety: RepeatSafety,
        observer: &dyn GovernorObserver,
        mut attempt: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
    {
        let bucket = self.bucket(action);
        let mut n = 1;
        loop {
            bucket.acquire().await;
            let result =
                {
                    let _permit =
                        self.inner.semaphore.acquire().await.map_err(|_| {
                            ApiError::invalid_request("the API governor was shut down")
                        })?;
                    attempt(n).await
                };
            let failed = match result {
                Ok(v) => return Ok(v),
                Err(failed) => failed,
            };
            let policy = &self.inner.config.retry;
            match retry_delay(&failed.error, n, policy, safety, failed.retry_after) {
                None => return Err(failed.error),
                Some(ceiling) => {
                    let delay = if failed.retry_after.is_some() {
                        ceiling
                    } else {
                        jitter(ceiling, rand::random::<f64>())
                    };
                    observer.on_retry(action, &failed.error, delay);
                    tracing::debug!(action, attempt = n, code = %failed.error.code, ?delay, "retrying OpenAPI call");
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

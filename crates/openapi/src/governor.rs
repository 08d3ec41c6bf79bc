//! The API governor shared by every call of one client: per-action token buckets whose rate
//! adapts to the cloud's throttling ([`aimd`]), a bound on concurrent requests, and retries
//! with jittered exponential backoff.
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

pub mod aimd;

use aimd::{AimdConfig, AimdState};

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

    /// Whether this is no limit at all.
    pub fn is_unlimited(&self) -> bool {
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
    /// Limit (the ceiling, when adaptive) for actions without a more specific entry.
    pub default_rate: RateLimit,
    /// Limit for reads (`Describe*`, `List*`) without their own entry; else `default_rate`.
    pub read_rate: Option<RateLimit>,
    /// Limit for writes (every other action) without their own entry; else `default_rate`.
    pub write_rate: Option<RateLimit>,
    /// Per-action limits, by action name (e.g. `DescribeLoadBalancers`).
    pub per_action: HashMap<String, RateLimit>,
    /// Adapt each action's rate to throttling answers below its limit; `None` keeps the
    /// limits fixed.
    pub adaptive: Option<AimdConfig>,
    /// Retry settings.
    pub retry: RetryPolicy,
}

impl Default for GovernorConfig {
    /// 10 concurrent requests, no fixed rate limit, adaptive rates, default retries: the
    /// client goes as fast as the cloud allows and slows down per action when the cloud
    /// answers `Throttling*` (the account's quotas are the cloud's to state, not ours to
    /// guess).
    fn default() -> Self {
        Self {
            max_concurrency: 10,
            default_rate: RateLimit::UNLIMITED,
            read_rate: None,
            write_rate: None,
            per_action: HashMap::new(),
            adaptive: Some(AimdConfig::default()),
            retry: RetryPolicy::default(),
        }
    }
}

impl GovernorConfig {
    /// The limit for `action`: its own entry, else its class's (read or write), else the
    /// default.
    pub fn limit_for(&self, action: &str) -> RateLimit {
        let class = if is_read(action) {
            self.read_rate
        } else {
            self.write_rate
        };
        self.per_action
            .get(action)
            .copied()
            .or(class)
            .unwrap_or(self.default_rate)
    }
}

/// Whether `action` only reads (`Describe*`, `List*`).
pub fn is_read(action: &str) -> bool {
    action.starts_with("Describe") || action.starts_with("List")
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
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

impl BucketState {
    /// Adds what the rate earned since `last` (up to the burst).
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        let cap = f64::from(self.limit.burst.max(1));
        if !self.limit.is_unlimited() {
            self.tokens = (self.tokens + elapsed * self.limit.per_second).min(cap);
        }
        self.last = now;
    }
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            state: Mutex::new(BucketState {
                limit,
                tokens: f64::from(limit.burst.max(1)),
                last: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // A poisoned lock only means another thread panicked mid-update; the state is a few
        // numbers and stays usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current limit.
    pub fn limit(&self) -> RateLimit {
        self.lock().limit
    }

    /// Changes the rate from now on. Tokens earned so far are kept up to the new burst; a
    /// bucket that was unlimited starts with one token (the retry of the call that was
    /// refused may go once its backoff is over, no sooner than the rate allows after that).
    pub fn set_limit(&self, limit: RateLimit) {
        let mut state = self.lock();
        if state.limit == limit {
            return;
        }
        state.refill(Instant::now());
        state.tokens = if state.limit.is_unlimited() {
            1.0
        } else {
            state.tokens.min(f64::from(limit.burst.max(1)))
        };
        state.limit = limit;
    }

    /// How long the caller must wait for its token (zero when one was available). The token
    /// is taken (or reserved) by this call.
    pub fn reserve(&self) -> Duration {
        let mut state = self.lock();
        if state.limit.is_unlimited() {
            return Duration::ZERO;
        }
        state.refill(Instant::now());
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / state.limit.per_second)
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
    buckets: Mutex<HashMap<String, Arc<ActionLimiter>>>,
}

/// One action's bucket and, when adaptive, the state that sets its rate.
#[derive(Debug)]
struct ActionLimiter {
    bucket: TokenBucket,
    /// The configured burst (the bucket's, at the ceiling).
    burst: u32,
    aimd: Option<(AimdConfig, Mutex<AimdState>)>,
}

impl ActionLimiter {
    fn new(limit: RateLimit, adaptive: Option<AimdConfig>) -> Self {
        Self {
            bucket: TokenBucket::new(limit),
            burst: limit.burst,
            aimd: adaptive.map(|c| (c, Mutex::new(AimdState::new(limit, Instant::now())))),
        }
    }

    async fn acquire(&self) {
        self.bucket.acquire().await;
        self.update(|s, _| aimd::on_admit(s, Instant::now()));
    }

    /// Feeds an attempt's outcome to the adaptive rate and applies the new rate.
    fn outcome(&self, throttled: bool) {
        self.update(|s, c| {
            if throttled {
                aimd::on_throttle(s, c, Instant::now())
            } else {
                aimd::on_success(s, c, Instant::now())
            }
        });
    }

    fn update(&self, step: impl FnOnce(AimdState, &AimdConfig) -> AimdState) {
        let Some((config, state)) = &self.aimd else {
            return;
        };
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        let before = state.rate;
        *state = step(*state, config);
        if state.rate != before {
            self.bucket
                .set_limit(aimd::bucket_limit(&state, self.burst));
        }
    }

    /// The current rate (infinite when unlimited).
    fn rate(&self) -> f64 {
        match &self.aimd {
            Some((_, state)) => state.lock().unwrap_or_else(|p| p.into_inner()).rate,
            None => aimd::ceiling_of(self.bucket.limit()),
        }
    }
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

    fn limiter(&self, action: &str) -> Arc<ActionLimiter> {
        let mut buckets = self.inner.buckets.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(buckets.entry(action.to_owned()).or_insert_with(|| {
            let config = &self.inner.config;
            Arc::new(ActionLimiter::new(
                config.limit_for(action),
                config.adaptive,
            ))
        }))
    }

    /// The rate `action` is currently allowed, in calls per second (infinite when unlimited).
    pub fn current_rate(&self, action: &str) -> f64 {
        self.limiter(action).rate()
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
        let limiter = self.limiter(action);
        let mut n = 1;
        loop {
            limiter.acquire().await;
            let result =
                {
                    let _permit =
                        self.inner.semaphore.acquire().await.map_err(|_| {
                            ApiError::invalid_request("the API governor was shut down")
                        })?;
                    attempt(n).await
                };
            let failed = match result {
                Ok(v) => {
                    limiter.outcome(false);
                    return Ok(v);
                }
                Err(failed) => failed,
            };
            if failed.error.is_throttling() {
                limiter.outcome(true);
            }
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

//! Adaptive per-action rates: additive increase on success, multiplicative decrease on a
//! throttling answer (AIMD), between a floor and a ceiling.
//!
//! A governor starts every action at its ceiling (by default none at all) and lets the cloud
//! say how fast it may go: each `Throttling*` answer cuts the rate (at most once per cooldown,
//! since one overrun is answered to every call in flight), each success adds a little back.
//! When the rate was unlimited the first cut starts from the rate measured over the last
//! second. Only decisions live here: [`AimdState`] is plain data moved by pure functions that
//! take the time as an argument; the governor applies the rate to its token bucket.

use tokio::time::{Duration, Instant};

use super::RateLimit;

/// How an action's rate adapts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AimdConfig {
    /// Lowest rate a cut may reach, in calls per second (> 0).
    pub floor: f64,
    /// Calls per second added over one second of successful calls at the current rate.
    pub increase: f64,
    /// Factor applied on a throttling answer (0 < factor < 1).
    pub decrease: f64,
    /// At most one cut per this long.
    pub cooldown: Duration,
}

impl Default for AimdConfig {
    /// Floor 0.5 calls/s, +1 call/s per second of success, halve on throttling, one cut per
    /// second.
    fn default() -> Self {
        Self {
            floor: 0.5,
            increase: 1.0,
            decrease: 0.5,
            cooldown: Duration::from_secs(1),
        }
    }
}

/// One action's adaptive rate and what it needs to decide the next one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AimdState {
    /// The current rate in calls per second; infinite means no limit.
    pub rate: f64,
    /// The ceiling (infinite when none).
    pub ceiling: f64,
    /// Start of the current measurement window.
    pub window_start: Instant,
    /// Calls admitted in the current window.
    pub window_calls: u32,
    /// Calls per second measured over the last complete window.
    pub measured: f64,
    /// When the rate was last cut.
    pub last_cut: Option<Instant>,
}

/// The rate a [`RateLimit`] allows, infinite for an unlimited one.
pub fn ceiling_of(limit: RateLimit) -> f64 {
    if limit.is_unlimited() {
        f64::INFINITY
    } else {
        limit.per_second
    }
}

impl AimdState {
    /// An action starting at its `ceiling`.
    pub fn new(ceiling: RateLimit, now: Instant) -> Self {
        let ceiling = ceiling_of(ceiling);
        Self {
            rate: ceiling,
            ceiling,
            window_start: now,
            window_calls: 0,
            measured: 0.0,
            last_cut: None,
        }
    }
}

/// `state` after admitting one call at `now`: counts it in the one-second measurement window.
#[must_use]
pub fn on_admit(mut state: AimdState, now: Instant) -> AimdState {
    let elapsed = now.saturating_duration_since(state.window_start);
    if elapsed >= Duration::from_secs(1) {
        state.measured = f64::from(state.window_calls) / elapsed.as_secs_f64();
        state.window_start = now;
        state.window_calls = 0;
    }
    state.window_calls = state.window_calls.saturating_add(1);
    state
}

/// `state` after a successful call: `increase / rate` more, so one second of successes at the
/// current rate adds `increase` calls per second; never above the ceiling.
#[must_use]
pub fn on_success(mut state: AimdState, config: &AimdConfig) -> AimdState {
    if state.rate.is_finite() {
        let step = config.increase / state.rate.max(1.0);
        state.rate = (state.rate + step).min(state.ceiling);
    }
    state
}

/// `state` after a throttling answer at `now`: the rate times `decrease`, not below the
/// floor, unless another cut happened within the cooldown. An unlimited rate is cut from
/// what was measured (the busier of the last window and the current one).
#[must_use]
pub fn on_throttle(mut state: AimdState, config: &AimdConfig, now: Instant) -> AimdState {
    if state
        .last_cut
        .is_some_and(|at| now.saturating_duration_since(at) < config.cooldown)
    {
        return state;
    }
    let base = if state.rate.is_finite() {
        state.rate
    } else {
        let current = now
            .saturating_duration_since(state.window_start)
            .as_secs_f64();
        let current = f64::from(state.window_calls) / current.max(1.0);
        state.measured.max(current)
    };
    state.rate = (base * config.decrease).max(config.floor);
    state.last_cut = Some(now);
    state
}

/// The token-bucket limit for `state` with the configured `burst` (0 = none): unlimited for an
/// infinite rate; at the ceiling the configured burst; below it (after a cut) at most one
/// second's worth of calls (at least one), so a cut rate is not undone by a burst.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn bucket_limit(state: &AimdState, burst: u32) -> RateLimit {
    let rate = state.rate;
    if !rate.is_finite() {
        return RateLimit::UNLIMITED;
    }
    let second = rate.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
    let burst = match burst {
        0 => second,
        b if rate >= state.ceiling => b,
        b => b.min(second),
    };
    RateLimit::new(rate, burst.max(1))
}

#[cfg(test)]
mod tests;

//! Adaptive per-action rates: additive increase on success, a cut on a throttling answer,
//! and a remembered limit so the rate settles just under what the cloud serves instead of
//! overrunning it every few seconds.
//!
//! A governor starts every action at its ceiling (by default none at all) and lets the cloud
//! say how fast it may go. Each `Throttling*` answer cuts the rate (at most once per cooldown,
//! since one overrun is answered to every call in flight). A cut measures the rate of
//! *successful* calls since the previous cut: between two throttling answers the cloud's
//! bucket was empty at both ends, so what it served in between is its refill rate. That
//! measure (or the rate just refused, if lower) becomes the action's known limit and the rate
//! is cut to `headroom` (90 %) of it. Below the headroom the rate grows fast as plain AIMD
//! does (`increase` calls/s per second); from there up to `forget_above` times the known
//! limit it only creeps (`plateau`, 0.4 % of the rate per second), so an overrun takes about
//! a minute to recur and costs a call or two; above that the cloud evidently allows more, the
//! limit is forgotten and the rate grows fast again (like TCP's slow-start threshold, or
//! CUBIC's plateau). A cut with nothing to measure yet (the first one from a fixed ceiling, or
//! from unlimited) falls back to `decrease` (halve); from unlimited it halves the rate
//! measured over the last second, learns the cloud's burst from the calls served just
//! before, and lets the next (measured) cut come after `probe_cooldown` (250 ms) instead of a
//! second.
//!
//! Only decisions live here: [`AimdState`] is plain data moved by pure functions that take
//! the time as an argument; the governor applies the rate to its token bucket. No I/O, no
//! clock reads.

use tokio::time::{Duration, Instant};

use super::RateLimit;

/// How an action's rate adapts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AimdConfig {
    /// Lowest rate a cut may reach, in calls per second (> 0).
    pub floor: f64,
    /// Calls per second added over one second of successful calls at the current rate, while
    /// the rate is below `headroom` of the known limit (or no limit is known).
    pub increase: f64,
    /// Factor applied on a throttling answer with no measured limit (0 < factor < 1).
    pub decrease: f64,
    /// At most one cut per this long; also the shortest span a measure of the served rate
    /// may cover.
    pub cooldown: Duration,
    /// A cut sets the rate to this fraction of the known limit, and growth is slow from
    /// there up (0 < headroom < 1).
    pub headroom: f64,
    /// Near the known limit, the fraction of the rate added over one second of successes.
    pub plateau: f64,
    /// Above this multiple of the known limit the limit is forgotten (growth is fast again).
    pub forget_above: f64,
    /// The cooldown right after the first cut from unlimited (which only halved a rate far
    /// above the cloud's): the calls in flight then answer within a round trip, and every
    /// further second at that rate costs many refusals.
    pub probe_cooldown: Duration,
    /// A served rate measured over less than this is blended with the known limit for the
    /// rest of it, so a short span's few calls do not decide alone.
    pub window: Duration,
}

impl Default for AimdConfig {
    /// Floor 0.5 calls/s; +1 call/s per second of success far below the known limit, +0.4 %
    /// per second near it, forgotten above 1.25 times it; cut to 90 % of the served rate
    /// (halve when nothing was measured); one cut per second; 5 s measurement window.
    fn default() -> Self {
        Self {
            floor: 0.5,
            increase: 1.0,
            decrease: 0.5,
            cooldown: Duration::from_secs(1),
            headroom: 0.9,
            plateau: 0.004,
            forget_above: 1.25,
            window: Duration::from_secs(5),
            probe_cooldown: Duration::from_millis(250),
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
    /// The served rate measured at the last cut, in calls per second; 0 when none is known.
    pub known: f64,
    /// Successful calls since `served_since`.
    pub served: u32,
    /// Start of the span `served` counts (the last cut, or the action's first call).
    pub served_since: Instant,
    /// The cloud's burst as learnt at the first cut from unlimited (`headroom` of the calls
    /// served just before it); 0 when unknown.
    pub burst: u32,
    /// Whether the last cut was the first from unlimited (nothing measured since).
    pub probing: bool,
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
    /// An action starting at its `ceiling`, with no known limit.
    pub fn new(ceiling: RateLimit, now: Instant) -> Self {
        let ceiling = ceiling_of(ceiling);
        Self {
            rate: ceiling,
            ceiling,
            window_start: now,
            window_calls: 0,
            measured: 0.0,
            last_cut: None,
            known: 0.0,
            served: 0,
            served_since: now,
            burst: 0,
            probing: false,
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

/// `state` after a successful call, never above the ceiling. Far below the known limit (or
/// with none known) it adds `increase / rate`, so one second of successes at the current rate
/// adds `increase` calls per second; from `headroom` of the known limit up it adds `plateau`
/// (a fraction of the rate per second of successes); above `forget_above` times the limit
/// the limit is forgotten (and the served span restarts at `now`).
#[must_use]
pub fn on_success(mut state: AimdState, config: &AimdConfig, now: Instant) -> AimdState {
    state.served = state.served.saturating_add(1);
    if !state.rate.is_finite() {
        return state;
    }
    if state.known > 0.0 && state.rate > state.known * config.forget_above {
        state = forget(state, now);
    }
    let step = if state.known > 0.0 && state.rate >= state.known * config.headroom {
        config.plateau
    } else {
        config.increase / state.rate.max(1.0)
    };
    state.rate = (state.rate + step).min(state.ceiling);
    state
}

/// `state` without its known limit; the served span restarts at `now`, since the cloud's
/// bucket has been filling while the rate stayed below its refill.
fn forget(mut state: AimdState, now: Instant) -> AimdState {
    state.known = 0.0;
    state.served = 0;
    state.served_since = now;
    state
}

/// `state` after a throttling answer at `now`, unless another cut happened within the
/// cooldown. With the served rate measurable (a finite rate and at least a cooldown since the
/// last cut) the lesser of it and the current rate (which the cloud just refused) becomes
/// the known limit and the rate is cut to `headroom` of that; otherwise the rate is
/// multiplied by `decrease` (an unlimited one from what was measured over the last second).
/// Never below the floor.
#[must_use]
pub fn on_throttle(mut state: AimdState, config: &AimdConfig, now: Instant) -> AimdState {
    if state
        .last_cut
        .is_some_and(|at| now.saturating_duration_since(at) < cooldown(&state, config))
    {
        return state;
    }
    let cut = match served_rate(&state, config, now) {
        Some(served) => {
            state.probing = false;
            state.known = state.rate.min(served);
            state.known * config.headroom
        }
        None => {
            if !state.rate.is_finite() {
                state.burst = learnt_burst(&state, config);
                state.probing = true;
            }
            unmeasured_base(&state, now) * config.decrease
        }
    };
    state.rate = cut.max(config.floor);
    state.last_cut = Some(now);
    state.served = 0;
    state.served_since = now;
    state
}

/// How long after a cut the next may come: `probe_cooldown` right after the first cut from
/// unlimited, else `cooldown`.
fn cooldown(state: &AimdState, config: &AimdConfig) -> Duration {
    if state.probing {
        config.probe_cooldown
    } else {
        config.cooldown
    }
}

/// The rate of successful calls since the last cut (or the first call), when it can be
/// measured: the rate is finite and the span at least a cooldown long. Counts one call more
/// than served (see below). A span shorter than the window is filled up to it with the known
/// limit, if any.
fn served_rate(state: &AimdState, config: &AimdConfig, now: Instant) -> Option<f64> {
    let span = now.saturating_duration_since(state.served_since);
    if !state.rate.is_finite() || span < cooldown(state, config) || span.is_zero() {
        return None;
    }
    let span = span.as_secs_f64();
    let window = config.window.as_secs_f64();
    // The cloud's bucket held less than one token at both ends of the span, so the calls it
    // served are its refill give or take one; counting one more keeps a short span from
    // pinning the rate under the limit for minutes (an overestimate costs one refusal).
    let served = f64::from(state.served) + 1.0;
    if state.known > 0.0 && span < window {
        Some((served + state.known * (window - span)) / window)
    } else {
        Some(served / span)
    }
}

/// `headroom` of the calls served before the first throttling answer of an unlimited action,
/// counting only those of the last second or two (the admission windows): the cloud's bucket
/// was full before them and is empty now. An action that ran unthrottled for long learns
/// only what it sent lately, never more than the cloud held.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn learnt_burst(state: &AimdState, config: &AimdConfig) -> u32 {
    let recent = f64::from(state.window_calls) + state.measured;
    (f64::from(state.served).min(recent) * config.headroom).floor() as u32
}

/// What an unmeasured cut starts from: the rate, or for an unlimited one the busier of the
/// last complete one-second window and the current one.
fn unmeasured_base(state: &AimdState, now: Instant) -> f64 {
    if state.rate.is_finite() {
        return state.rate;
    }
    let current = now
        .saturating_duration_since(state.window_start)
        .as_secs_f64();
    let current = f64::from(state.window_calls) / current.max(1.0);
    state.measured.max(current)
}

/// The token-bucket limit for `state` with the configured `burst` (0 = none): unlimited for an
/// infinite rate; at the ceiling the configured burst; below it (after a cut) at most one
/// second's worth of calls (at least one), so a cut rate is not undone by a burst. Without a
/// configured burst, the burst learnt from the cloud when larger: the client's bucket then
/// fills slower than the cloud's (its rate is under the cloud's) and never holds more than
/// it, so after an idle spell the calls go at once as the cloud would allow.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn bucket_limit(state: &AimdState, burst: u32) -> RateLimit {
    let rate = state.rate;
    if !rate.is_finite() {
        return RateLimit::UNLIMITED;
    }
    let second = rate.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
    let burst = match burst {
        0 => second.max(state.burst),
        b if rate >= state.ceiling => b,
        b => b.min(second),
    };
    RateLimit::new(rate, burst.max(1))
}

#[cfg(test)]
mod tests;
